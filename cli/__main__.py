"""`python -m alephtx.cli` runs the `aleph` command."""

from alephtx.cli.main import main

main()
