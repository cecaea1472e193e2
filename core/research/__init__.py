"""Research: backtests over recorded data, their figures and reports, and the runs kept."""
