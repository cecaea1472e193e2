"""A backtest: one strategy over recorded data (a capture, or a catalog dataset over a range),
through the same engine, risk engine, OMS and paper matching as a session or the node, into a run
folder of its own with the report a trader reads (docs/research.md).

The instrument is keyed ``VENUE:SYMBOL`` as the data names it (``binance-usdm:BTCUSDT``): the
paper venue is named after the data's venue, so that the same strategy parameters work in a
backtest and in a node whose venue has that name. Deterministic: client ids come from a fixed
boot, every time is market time, so the same inputs give byte-identical trades, orders, equity
samples and metrics (``metrics.json``; ``report.json`` adds the run's own time and folder).
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl

from alephtx.core.data.source import MarketSource
from alephtx.core.engine.report import refusals
from alephtx.core.engine.session import SessionHandles, StrategySpec, VenueFeed, run_session
from alephtx.core.errors import FieldError
from alephtx.core.model import Instrument, Side
from alephtx.core.model.accounting import CASH_PRECISION
from alephtx.core.oms.ids import ClientIdFactory
from alephtx.core.research import metrics as m
from alephtx.core.research.runs import new_folder
from alephtx.core.risk import RiskLimits
from alephtx.core.risk.limits import InstrumentLimits
from alephtx.core.venues.paper import FeeModel
from alephtx.core.venues.paper.models import QueueModel, fee_tier, latency_model, parse_bps, queue_model
from alephtx.core.version import __version__

STRATEGY = "strategy"  # the one strategy's name in the engine


@dataclass(frozen=True)
class Models:
    """How the paper venue answers (core/venues/paper/models.py, docs/research.md): ``latency``
    in milliseconds, or ``data``/``data*K`` (the recorded feed's delay, scaled); fees in basis
    points, or ``fee_tier`` (``VENUE:TIER`` of the packaged table) instead; ``queue``: ``fifo``
    (risk-averse), ``power:N`` or ``log`` (probabilistic); ``fills``: ``partial`` (as far as
    the traded size allows) or ``whole`` (hftbacktest's no-partial-fill exchange). Written as a
    person types them; :meth:`feed` checks them."""

    latency: str = "1"
    maker_bps: str = "2"
    taker_bps: str = "5"
    fee_tier: str = ""
    queue: str = "fifo"
    fills: str = "partial"

    def feed(self, instrument: Instrument) -> VenueFeed:
        """The paper venue's set-up, or a FieldError naming the model that is wrong."""
        lat = latency_model(self.latency)
        fees = (
            fee_tier(self.fee_tier)
            if self.fee_tier
            else FeeModel(parse_bps(self.maker_bps, "maker_bps"), parse_bps(self.taker_bps, "taker_bps"))
        )
        queue = queue_model(self.queue)
        if self.fills not in ("partial", "whole"):
            raise FieldError("fills", self.fills, "partial or whole")
        return VenueFeed(
            instrument,
            latency_ms=lat if isinstance(lat, float) else 0.0,
            fees=fees,
            latency_of=None if isinstance(lat, float) else lat,
            queue=None if type(queue) is QueueModel else queue,  # the risk-averse cap
            whole_fills=self.fills == "whole",
        )


def _described(models: Models, feed: VenueFeed) -> dict[str, Any]:
    """The models as they ran: the fees resolved from a tier, the latencies the data gave."""
    out: dict[str, Any] = {
        **asdict(models),
        "maker_bps": _number(feed.fees.maker_bps),
        "taker_bps": _number(feed.fees.taker_bps),
    }
    if feed.latency_of is not None and feed.latency_of.seen:
        seen = sorted(feed.latency_of.seen)
        out["latency_ms_seen"] = {
            "orders_and_cancels": len(seen),
            "median": seen[len(seen) // 2] / 1e6,
            "p90": seen[min(len(seen) - 1, len(seen) * 9 // 10)] / 1e6,
            "max": seen[-1] / 1e6,
        }
    return out


def _number(bps: int | Decimal) -> int | float:
    return bps if isinstance(bps, int) else float(bps)


@dataclass(frozen=True)
class BacktestSpec:
    strategy: str  # a built-in kind, "module:Class" or "file.py:Class"
    params: dict[str, Any] = field(default_factory=dict)
    models: Models = Models()
    capital: int = 100_000  # quote units of the paper venue
    max_position: str = "1"  # base units, when the risk limits have none for the instrument
    timer_ms: int = 1000  # the strategy's timer, and the equity samples


@dataclass
class BacktestRun:
    folder: Path
    report: dict[str, Any]


async def run_backtest(
    spec: BacktestSpec,
    source: MarketSource,
    instrument: Instrument,
    limits: RiskLimits,
    runs: Path,
    on_progress: Callable[[int, int], None] | None = None,
    html: bool = True,
) -> BacktestRun:
    """Run ``spec`` over ``source`` and write its run folder under ``runs`` (``html=False``: no
    report.html, as for a sweep's trials: the sweep has its own page)."""
    source.check(instrument)
    feed = spec.models.feed(instrument)  # a wrong model is said before anything is written
    key = instrument.key
    if key not in limits.instrument:  # the data's instrument: the spec's position limit
        limits = limits.model_copy(
            update={"instrument": {**limits.instrument, key: InstrumentLimits(max_position=spec.max_position)}}
        )
    params = {"instrument": key, **spec.params}
    folder = new_folder(runs, f"{Path(spec.strategy).stem.split(':')[-1]}")
    prices: list[tuple[float, float]] = []  # the mid on every timer tick (the price chart)

    async def sample(h: SessionHandles, at: float) -> None:
        mid = h.engine.mids_x2.get(key)
        if mid:
            prices.append((at, mid / 2 / 10**instrument.price_precision))

    t0 = time.perf_counter()
    result = await run_session(
        source,
        [feed],
        [StrategySpec(STRATEGY, spec.strategy, params)],
        limits,
        folder / "journal.db",
        cash=spec.capital,
        timer_ms=spec.timer_ms,
        on_progress=on_progress,
        on_timer=sample,
        ids=ClientIdFactory("bt", boot="0"),  # the same ids every run: byte-identical outputs
    )
    run_time = time.perf_counter() - t0
    await result.engine.mark()
    led = result.engine.ledger
    first_ns = result.first_ns
    fills = sorted(led.fills.values(), key=lambda f: (f.ts_ns, f.client_id, f.trade_id))
    pp, sp = instrument.price_precision, instrument.size_precision
    trades = [
        m.Trade(
            (f.ts_ns - first_ns) / 1e9,
            f.instrument,
            1 if f.side is Side.BUY else -1,
            f.price / 10**pp,
            f.quantity / 10**sp,
            f.fee / 10 ** (pp + sp),
        )
        for f in fills
    ]
    acct = result.books[STRATEGY]
    equity = [(at, pnl / 10**CASH_PRECISION) for at, pnl in acct.curve]
    figures = m.compute(equity, trades, float(spec.capital), prices)
    status = next((s for s in result.host.status() if s["name"] == STRATEGY), {})
    _write_tables(folder, fills, led.orders.values(), equity, instrument, first_ns)
    metrics_doc = figures.as_dict()
    (folder / "metrics.json").write_text(json.dumps(metrics_doc, indent=1, sort_keys=True))
    report = {
        "run": folder.name,
        "strategy": {"kind": spec.strategy, "params": params, "error": status.get("error", "")},
        "data": _data_section(source, result.events),
        "instrument": {"key": key, "tick_size": instrument.tick_size, "lot_size": instrument.lot_size},
        "models": {
            **_described(spec.models, feed),
            "capital": spec.capital,
            "max_position": spec.max_position,
            "timer_ms": spec.timer_ms,
        },
        "metrics": metrics_doc,
        "orders": len(led.orders),
        "refusals": dict(sorted(refusals(result).items())),
        "code_version": _code_version(),
        "run_time_s": round(run_time, 3),
        "events": result.events,
    }
    (folder / "report.json").write_text(json.dumps(report, indent=1, sort_keys=True))
    if html:
        from alephtx.core.research.report_html import write_html

        write_html(folder / "report.html", report, equity, trades, prices, float(spec.capital))
    return BacktestRun(folder, report)


def _write_tables(
    folder: Path, fills: list[Any], orders: Any, equity: list[tuple[float, float]], inst: Instrument, first_ns: int
) -> None:
    """trades.parquet, orders.parquet, equity.parquet: prices and sizes as decimal strings."""
    fp, fs = inst.format_price, inst.format_size
    d = inst.price_precision + inst.size_precision
    trades = pl.DataFrame(
        {
            "ts_ns": [f.ts_ns for f in fills],
            "instrument": [f.instrument for f in fills],
            "client_id": [f.client_id for f in fills],
            "trade_id": [f.trade_id for f in fills],
            "side": [f.side.value for f in fills],
            "price": [fp(f.price) for f in fills],
            "quantity": [fs(f.quantity) for f in fills],
            "fee": [f"{f.fee / 10**d:.{d}f}" for f in fills],
            "liquidity": [f.liquidity for f in fills],
        },
        schema={
            "ts_ns": pl.Int64,
            "instrument": pl.String,
            "client_id": pl.String,
            "trade_id": pl.String,
            "side": pl.String,
            "price": pl.String,
            "quantity": pl.String,
            "fee": pl.String,
            "liquidity": pl.String,
        },
    )
    trades.write_parquet(folder / "trades.parquet")
    rows = sorted(orders, key=lambda o: (o.created_ns, o.client_id))
    pl.DataFrame(
        {
            "client_id": [o.client_id for o in rows],
            "instrument": [o.request.instrument for o in rows],
            "side": [o.request.side.value for o in rows],
            "type": [o.request.type.value for o in rows],
            "price": [fp(o.request.price) if o.request.price else "" for o in rows],
            "quantity": [fs(o.request.quantity) for o in rows],
            "filled": [fs(o.filled) for o in rows],
            "status": [o.status.value for o in rows],
            "created_ns": [o.created_ns for o in rows],
            "updated_ns": [o.updated_ns for o in rows],
        },
        schema={
            "client_id": pl.String,
            "instrument": pl.String,
            "side": pl.String,
            "type": pl.String,
            "price": pl.String,
            "quantity": pl.String,
            "filled": pl.String,
            "status": pl.String,
            "created_ns": pl.Int64,
            "updated_ns": pl.Int64,
        },
    ).write_parquet(folder / "orders.parquet")
    pl.DataFrame(
        {"market_s": [t for t, _ in equity], "pnl": [p for _, p in equity]},
        schema={"market_s": pl.Float64, "pnl": pl.Float64},
    ).with_columns(ts_ns=(pl.col("market_s") * 1e9).cast(pl.Int64) + first_ns).write_parquet(folder / "equity.parquet")


def _data_section(source: MarketSource, events: int) -> dict[str, Any]:
    out: dict[str, Any] = {"source": source.name, "events": events}
    if source.capture is not None:
        out["capture"] = str(source.capture)
        return out
    ds = source.info()
    lo, hi = source.start_ns, source.end_ns
    inside = [i for i in ds.imports if (hi is None or i.first_exch_ns < hi) and (lo is None or i.last_exch_ns >= lo)]
    out.update(
        dataset=ds.name,
        catalog=str(source.catalog.url if source.catalog else ""),
        start_ns=lo,
        end_ns=hi,
        files=[i.source for i in inside],
        gaps=sum(i.gaps for i in inside),  # in the files the range reads (per file, not per range)
        stale_files=[i.source for i in inside if i.stale],
    )
    return out


def _code_version() -> str:
    """The package's version, and the git commit the code runs from when it runs from a clone."""
    here = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(
            ["git", "-C", str(here), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return f"{__version__}" + (f" ({commit})" if commit else "")
