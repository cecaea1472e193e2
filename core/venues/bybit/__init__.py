"""Bybit v5: linear perpetuals through ccxt.bybit; orderbook.50 through our own WebSocket client."""
