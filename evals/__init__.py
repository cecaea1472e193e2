"""Agent evaluation: scenarios, red-team cases, scorer and scorecards (issue 6)."""
