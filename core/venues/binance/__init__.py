"""Binance: parsing of the USD-M futures streams (adapters arrive with the venue issue)."""
