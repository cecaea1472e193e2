"""OKX (v5): perpetual swaps through ccxt.okx; the books channel through our own WebSocket client."""
