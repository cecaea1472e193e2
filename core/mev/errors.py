"""The errors of the AMM maths: a bad argument, or a computation the contract would revert."""

from __future__ import annotations

from alephtx.core.errors import AlephError, FieldError

__all__ = ["FieldError", "MathRevert", "require_int"]


class MathRevert(AlephError, ArithmeticError):
    """The contract would revert here (overflow, no liquidity left); ``reason`` says which rule."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def require_int(field: str, value: object, *, minimum: int = 0, maximum: int | None = None) -> int:
    """``value`` as an int within [minimum, maximum]; bools and floats are refused, not rounded."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise FieldError(field, value, "must be an integer (wei, not a float)")
    if value < minimum:
        raise FieldError(field, value, f"must be >= {minimum}")
    if maximum is not None and value > maximum:
        raise FieldError(field, value, f"must be <= {maximum}")
    return value
