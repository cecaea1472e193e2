"""Recorded market data: the catalog (Parquet, polars)."""
