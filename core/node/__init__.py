"""The node: one long-running engine that holds the positions; every surface attaches to it."""
