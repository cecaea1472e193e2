"""Replay of recorded market data into books and (later) the engine."""
