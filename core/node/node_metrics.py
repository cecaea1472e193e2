"""What an operator alerts on, read from the node's state when Prometheus scrapes it.

A custom collector rather than gauges set on the hot path: venue connections, stream ages,
reconnects, reconciliation differences, halts, the trading state and kill switch, open orders,
positions, exposure, PnL and the day's drawdown are all kept by the node and the engine already;
reading them at scrape time costs the trading loop nothing. Counters and histograms that must
see every event (orders, fills, refusals, order-ack and journal-commit latencies, agent tool
calls, LLM requests) live in core/metrics.py. The names and the alert rules that use them:
docs/monitoring.md, monitoring/alerts.yml.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from alephtx.core.model.accounting import CASH_PRECISION

STATES = {"ACTIVE": 0, "REDUCING": 1, "HALTED": 2}
MICRO = 1_000_000


class NodeCollector(Collector):
    def __init__(self, node: Any) -> None:
        self.node = node

    def collect(self) -> Iterator[GaugeMetricFamily]:
        n = self.node
        engine = n.engine
        if engine is None:  # not started yet: nothing true to say
            return
        risk = engine.risk
        yield _gauge("aleph_trading_state", "Trading state: 0 active, 1 reducing, 2 halted", STATES[risk.state.name])
        yield _gauge("aleph_kill_switch_tripped", "1 when the kill switch has tripped", int(risk.kill_switch_tripped))
        day = risk._day
        equity_micro = engine.equity() // 10 ** (CASH_PRECISION - 6)
        peak = day.peak if day.peak is not None else equity_micro
        yield _gauge("aleph_equity_usd", "Cash plus unrealised PnL at the mids", equity_micro / MICRO)
        yield _gauge(
            "aleph_pnl_usd",
            "Equity less the starting cash",
            (engine.equity() - engine.ledger.initial_cash) / 10**CASH_PRECISION,
        )
        yield _gauge("aleph_drawdown_usd", "Fall of equity from the day's peak", max(peak - equity_micro, 0) / MICRO)
        yield _gauge("aleph_max_drawdown_usd", "The kill switch's drawdown limit", risk.max_drawdown / MICRO)
        yield _gauge("aleph_daily_loss_limit_usd", "The kill switch's daily loss limit", risk.daily_loss_limit / MICRO)

        up = GaugeMetricFamily(
            "aleph_venue_up", "1 when the venue's market is connected and fresh", labels=["venue", "kind"]
        )
        halted = GaugeMetricFamily("aleph_venue_halted", "1 when the venue alone is halted", labels=["venue"])
        diffs = GaugeMetricFamily(
            "aleph_reconciliation_differences", "Differences found with the venue (start, reconnects)", labels=["venue"]
        )
        for v in n.venue_status():
            up.add_metric([v.name, v.kind], int(v.connected))
            halted.add_metric([v.name], int(bool(v.halted)))
            diffs.add_metric([v.name], sum(1 for r in n.reconciled if r.venue == v.name))
        yield from (up, halted, diffs)

        age = GaugeMetricFamily(
            "aleph_stream_last_message_age_seconds", "Seconds since the live venue's book last moved", labels=["venue"]
        )
        reconnects = GaugeMetricFamily(
            "aleph_stream_reconnects", "Times the live venue's market stream connected again", labels=["venue"]
        )
        silences = GaugeMetricFamily(
            "aleph_stream_silences", "Times the watchdog found the live venue's book stale", labels=["venue"]
        )
        now = time.monotonic()
        for lv in n.live.values():
            name = lv.section.name
            age.add_metric([name], max(now - lv.last_update, 0.0))
            reconnects.add_metric([name], max(lv.stream.stats.connects - 1, 0))
            silences.add_metric([name], lv.silences)
        yield from (age, reconnects, silences)

        open_orders = GaugeMetricFamily("aleph_open_orders", "Orders not yet terminal", labels=["instrument"])
        counts: dict[str, int] = {}
        for o in engine.ledger.live.values():
            counts[o.request.instrument] = counts.get(o.request.instrument, 0) + 1
        for key in engine.instruments:
            open_orders.add_metric([key], counts.get(key, 0))
        position = GaugeMetricFamily("aleph_position", "Position in base units (signed)", labels=["instrument"])
        exposure = GaugeMetricFamily("aleph_exposure_usd", "|position| x mid", labels=["instrument"])
        for key, inst in engine.instruments.items():
            p = engine.ledger.positions.get(key)
            qty = p.quantity if p is not None else 0
            position.add_metric([key], qty / 10**inst.size_precision)
            mid_x2 = engine.mids_x2.get(key) or 0
            exposure.add_metric([key], abs(qty) * mid_x2 / 2 / 10 ** (inst.size_precision + inst.price_precision))
        yield from (open_orders, position, exposure)


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=value)
