"""Results of applying a depth diff. Shared by the Cython book and its twin."""

APPLIED = 0  # applied; the book is in sync
SKIPPED_OLD = 1  # older than the snapshot (u < lastUpdateId): dropped, as the venue says to
GAP = 2  # a sequence break: the book is now stale and needs a new snapshot
STALE = 3  # dropped because the book is waiting for a resync
CROSSED = 4  # applied, but best bid >= best ask: the book is marked stale and needs a resync

STATUS_NAMES = {APPLIED: "applied", SKIPPED_OLD: "skipped_old", GAP: "gap", STALE: "stale", CROSSED: "crossed"}
BUFFERED = 5  # held by BookSync until a snapshot arrives (the venue's sync procedure)

STATUS_NAMES[BUFFERED] = "buffered"
