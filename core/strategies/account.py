"""One strategy's own account, from its own fills: its position per instrument (what the strategy
reads through ``ctx.position``), its realised PnL and fees, and the equity curve a session samples
(what the report shows per strategy). The host keeps one per strategy name."""

from __future__ import annotations

from dataclasses import dataclass, field

from alephtx.core.model import Instrument
from alephtx.core.model.accounting import PositionState, to_cash, unrealised


@dataclass
class StrategyAccount:
    positions: dict[str, PositionState] = field(default_factory=dict)
    fills: int = 0
    curve: list[tuple[float, int]] = field(default_factory=list)

    def position(self, key: str) -> int:
        p = self.positions.get(key)
        return p.quantity if p is not None else 0

    def pnl(self, instruments: dict[str, Instrument], mids_x2: dict[str, int]) -> tuple[int, int, int]:
        """(realised, unrealised, fees) in cash units."""
        r = u = f = 0
        for key, p in self.positions.items():
            inst = instruments[key]
            r += to_cash(inst, p.realised)
            f += to_cash(inst, p.fees)
            if p.quantity and mids_x2.get(key):
                u += to_cash(inst, unrealised(p, mids_x2[key])) // 2
        return r, u, f
