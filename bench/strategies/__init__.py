"""Strategies written for the benchmarks: the same logic as a peer's benchmark strategy."""
