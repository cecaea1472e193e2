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
        super().__init__(f"{field}={shorten(value)}: {rule}")


def shorten(value: object, limit: int = 80) -> str:
    """A value's repr for an error text, cut to ``limit`` characters (an attacker's megabyte of
    input must not become a megabyte of error)."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 12]}...({len(text)} chars)"
