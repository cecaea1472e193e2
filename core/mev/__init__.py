"""MEV simulation: exact AMM maths, sandwich and backrun analyses, an in-memory EVM, bundles.

The maths modules (``univ2``, ``univ3``, ``sandwich``, ``backrun``) are pure integer Python that
reproduce the Uniswap contracts to the wei; the EVM modules check them against the real bytecode.
"""

from __future__ import annotations

from alephtx.core.mev import backrun, sandwich, univ2, univ3

__all__ = ["backrun", "sandwich", "univ2", "univ3"]
