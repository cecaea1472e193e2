"""Venues: the paper venue and one folder per real venue (config, credentials, data, parsing,
execution, factory); the registry goes from a venue's kind to its factory (docs/adapters.md)."""
