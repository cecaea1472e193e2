"""Account state derived from the journal: orders, fills, positions, balances, PnL (the ledger)."""
