"""Venues: the paper venue and one folder per real venue (config, data, execution, parsing)."""
