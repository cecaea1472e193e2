"""Errors people can act on: each names the field, the value and the rule it broke."""

from __future__ import annotations


class AlephError(Exception):
    """Base class of every error AlephTX raises on purpose."""


class FieldError(AlephError, ValueError):
    """A bad input value. ``field`` names where it came from, ``rule`` says what was expected."""

    def __init__(self, field: str, value: object, rule: str) -> None:
        self.field = field
        self.value = value
        self.rule = rule
        super().__init__(f"{field}={value!r}: {rule}")
