"""Who sent an order: ``agent``, ``operator``, ``strategy:<name>`` or ``mcp:<client>``.

Origins travel as plain strings (on orders, in the journal, on the bus); this is the one place
that builds, checks and reads them.
"""

from __future__ import annotations

import re

from alephtx.core.errors import FieldError

__all__ = ["Origin"]

# After the prefix: ASCII letters, digits and a few separators; no spaces or control characters
# (an origin is written into journals, audits and logs).
_NAME = re.compile(r"[A-Za-z0-9_.:@/-]{1,64}\Z", re.ASCII)


class Origin:
    AGENT = "agent"
    OPERATOR = "operator"
    STRATEGY = "strategy:"
    MCP = "mcp:"

    @staticmethod
    def strategy(name: str) -> str:
        return Origin.STRATEGY + name

    @staticmethod
    def strategy_name(origin: str) -> str | None:
        """The strategy's name for ``strategy:<name>``; None for any other origin."""
        return origin[len(Origin.STRATEGY) :] if origin.startswith(Origin.STRATEGY) else None

    @staticmethod
    def check(origin: object) -> str:
        if origin in (Origin.AGENT, Origin.OPERATOR):
            return str(origin)
        if isinstance(origin, str):
            for prefix in (Origin.STRATEGY, Origin.MCP):
                if origin.startswith(prefix) and _NAME.match(origin, len(prefix)):
                    return origin
        raise FieldError(
            "origin", origin, "must be 'agent', 'operator', 'strategy:<name>' or 'mcp:<client>' (ASCII name, 1 to 64)"
        )
