"""The `aleph` command line."""
