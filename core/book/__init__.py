"""L2 order books: the Cython :class:`L2Book` and its pure-Python twin :class:`PyL2Book`.

Both keep integer prices and sizes (fixed-point, scaled by the instrument's precision) and share
one API; the twin is the oracle of the property tests.
"""

from alephtx.core.book.pybook import PyL2Book
from alephtx.core.book.status import APPLIED, BUFFERED, CROSSED, GAP, SKIPPED_OLD, STALE, STATUS_NAMES
from alephtx.core.book.sync import BookSync

try:
    from alephtx.core.book._l2book import L2Book
except ImportError as exc:  # the extension is built by `pip install -e .` (make build)
    raise ImportError("alephtx.core.book._l2book is not built; run `make build` (pip install -e .)") from exc

__all__ = [
    "APPLIED",
    "BUFFERED",
    "CROSSED",
    "GAP",
    "SKIPPED_OLD",
    "STALE",
    "STATUS_NAMES",
    "BookSync",
    "L2Book",
    "PyL2Book",
]
