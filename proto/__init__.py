"""Generated at build from aleph.proto (setup.py); never edited by hand, never committed."""
