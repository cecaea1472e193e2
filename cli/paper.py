"""`aleph paper` (a scripted paper session through risk) and `aleph paper-venue` (the venue server).

The scripted session is the demo (`make demo`): a SCRIPT of orders from the operator, the agent and
a strategy at moments of market time, over a recorded capture, through the same engine, risk
engine, OMS and journal as production (``core/engine/bootstrap.py``). Some steps are meant to be
refused, to show the limits at work.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table

from alephtx.cli.main import DatasetCatalogOpt, FromOpt, ToOpt, app, console, data_dir, fail, market_source
from alephtx.core.config.session import SessionConfig, SessionSection, VenueSection
from alephtx.core.engine.engine import Engine
from alephtx.core.engine.session import SessionHandles
from alephtx.core.model import Fill, Instrument, OrderRequest, OrderType, Side, TimeInForce
from alephtx.core.model.accounting import CASH_PRECISION
from alephtx.core.model.fixed import from_fixed

INSTRUMENT = Instrument.from_strings("paper", "BTCUSDT", "perp", "0.10", "0.001", "5")
START_CASH = 100_000


@dataclass
class StepResult:
    at_s: float
    who: str
    what: str
    outcome: str
    ok: bool
    client_id: str = ""
    reason: str = ""  # the stable code when refused (risk reason or the venue's code)


@dataclass
class SessionReport:
    steps: list[StepResult] = field(default_factory=list)
    fills: list[Fill] = field(default_factory=list)
    realised: int = 0  # cash units
    unrealised: int = 0
    fees: int = 0
    equity: int = 0
    position: str = "0"
    equity_curve: list[tuple[float, int]] = field(default_factory=list)
    journal: str = ""


Action = Callable[[Engine, int, int], OrderRequest | str]


def _limit(side: str, qty: str, px: Callable[[int, int], int], origin: str, **kw: object) -> Action:
    def build(e: Engine, bid: int, ask: int) -> OrderRequest:
        price = px(bid, ask)
        return OrderRequest(
            INSTRUMENT.key,
            Side(side),
            OrderType.LIMIT,
            INSTRUMENT.size(qty),
            price,
            origin=origin,
            **kw,  # type: ignore[arg-type]
        )

    return build


def _market(side: str, qty: str, origin: str, **kw: object) -> Action:
    def build(e: Engine, bid: int, ask: int) -> OrderRequest:
        return OrderRequest(INSTRUMENT.key, Side(side), OrderType.MARKET, INSTRUMENT.size(qty), origin=origin, **kw)  # type: ignore[arg-type]

    return build


def _tighten(key: str, value: str, by: str) -> Action:
    def act(e: Engine, bid: int, ask: int) -> str:
        e.risk.tighten(key, value, by=by)
        return f"tightened {key} to {value}"

    return act


class _CancelAll:
    """Not an order: cancels everything open (handled by the session loop, which can await)."""

    def __call__(self, e: Engine, bid: int, ask: int) -> str:
        return f"cancelled {len(e.ledger.open_orders())} open order(s)"


_cancel_all = _CancelAll()


T = INSTRUMENT.tick
SCRIPT: list[tuple[float, str, str, Action]] = [
    (
        2,
        "operator",
        "buy 0.050 limit at the best bid (joins the queue)",
        _limit("buy", "0.050", lambda b, a: b, "operator"),
    ),
    (5, "strategy:demo", "buy 0.020 at market", _market("buy", "0.020", "strategy:demo")),
    (8, "agent", "buy 0.100 limit at the best ask", _limit("buy", "0.100", lambda b, a: a, "agent")),
    (
        10,
        "operator",
        "buy 0.010 limit 10% above the market",
        _limit("buy", "0.010", lambda b, a: a * 11 // 10 // T * T, "operator"),
    ),
    (
        12,
        "operator",
        "buy 0.010 post-only at the best ask",
        _limit("buy", "0.010", lambda b, a: a, "operator", tif=TimeInForce.POST_ONLY),
    ),
    (15, "operator", "sell 0.010 limit at the best ask", _limit("sell", "0.010", lambda b, a: a, "operator")),
    (
        18,
        "operator",
        "buy 5.000 fill-or-kill at the best ask",
        _limit("buy", "5.000", lambda b, a: a, "operator", tif=TimeInForce.FOK),
    ),
    (22, "agent", "tighten the per-order limit to 2000 USD", _tighten("global.max_order_notional", "2000", "agent")),
    (24, "operator", "buy 0.050 limit at the best bid (3,000 USD)", _limit("buy", "0.050", lambda b, a: b, "operator")),
    (
        27,
        "strategy:demo",
        "reduce-only sell 1.000 (more than the position)",
        _market("sell", "1.000", "strategy:demo", reduce_only=True),
    ),
    (
        30,
        "operator",
        "sell 0.010 immediate-or-cancel at the best bid",
        _limit("sell", "0.010", lambda b, a: b, "operator", tif=TimeInForce.IOC),
    ),
    (45, "operator", "cancel every open order", _cancel_all),
]


# The demo's market: one paper venue, 2 ms from the engine, maker 2 bps and taker 5 bps.
CONFIG = SessionConfig(
    session=SessionSection(timer_ms=1000, cash=str(START_CASH)),
    venue=[
        VenueSection(
            name=INSTRUMENT.venue,
            symbol=INSTRUMENT.symbol,
            tick_size="0.10",
            lot_size="0.001",
            latency_ms=2.0,
            maker_bps=2,
            taker_bps=5,
        )
    ],
)


async def run_paper_session(
    capture: Any, limits: Path, journal_path: Path, on_progress: Callable[[int, int], None] | None = None
) -> SessionReport:
    """Replay ``capture`` (a file, or a MarketSource: a catalog dataset) and play the SCRIPT at its
    moments of market time (checked on each one-second timer tick); each order's final outcome
    once the market has had its say."""
    from alephtx.core.engine import bootstrap
    from alephtx.core.risk import load_limits

    report = SessionReport(journal=str(journal_path))
    steps = list(SCRIPT)

    async def play(h: SessionHandles, at: float) -> None:
        engine = h.engine
        book = h.venues[INSTRUMENT.key].books[INSTRUMENT.key]
        if not book.mid_x2():
            return
        while steps and at >= steps[0][0]:
            _, who, what, act = steps.pop(0)
            result = act(engine, book.best_bid_price(), book.best_ask_price())
            if isinstance(act, _CancelAll):
                await engine.cancel_all()
            if isinstance(result, str):
                report.steps.append(StepResult(at, who, what, result, True))
                continue
            res = await engine.submit(result)
            if not res.verdict.ok:
                report.steps.append(StepResult(at, who, what, res.verdict.text, False, "", res.verdict.reason.name))
            elif res.error:
                report.steps.append(StepResult(at, who, what, f"venue refused: {res.error}", False))
            else:
                report.steps.append(StepResult(at, who, what, "", True, res.client_id))
        report.equity_curve.append((at, engine.equity()))

    result = await bootstrap.replay(
        CONFIG, load_limits(limits), journal_path, capture=capture, on_progress=on_progress, on_timer=play, ids="demo"
    )
    engine = result.engine
    await engine.mark()
    report.equity_curve.append((result.market_seconds, engine.equity()))
    led = engine.ledger
    for step in report.steps:  # each order's final outcome, once the market has had its say
        if step.client_id:
            o = led.orders[step.client_id]
            why = led.reasons.get(step.client_id, "")
            step.outcome = f"{o.status.value}, filled {INSTRUMENT.format_size(o.filled)}" + (f": {why}" if why else "")
            step.ok = o.status.value != "rejected"
            if not step.ok:
                step.reason = why.split(":")[0]
    report.fills = sorted(led.fills.values(), key=lambda f: f.ts_ns)
    p = led.positions.get(INSTRUMENT.key)
    report.position = INSTRUMENT.format_size(p.quantity if p else 0)
    report.fees = led.fees_cash()
    report.realised = led.cash() - led.initial_cash + report.fees
    report.unrealised = led.unrealised_cash(engine.mids_x2)
    report.equity = engine.equity()
    return report


def _usd(cash: int) -> str:
    return f"{float(from_fixed(cash, CASH_PRECISION)):,.4f}"


@app.command()
def paper(
    capture: Annotated[Path | None, typer.Argument(help="Capture to replay (default: the bundled sample).")] = None,
    limits: Annotated[
        Path | None, typer.Option(help="Risk limits file (default: risk.toml in the config folder, else packaged).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Folder for the journal and the equity picture (default: <data folder>/demo).")
    ] = None,
    data: Annotated[
        str | None,
        typer.Option(
            help="A catalog dataset to replay instead of a capture (venue/market/symbol at tick 0.10, lot 0.001)."
        ),
    ] = None,
    catalog: DatasetCatalogOpt = None,
    start: FromOpt = "",
    end: ToOpt = "",
) -> None:
    """Trade a scripted session on the paper venue over recorded data, through risk, and report it."""
    from alephtx.core.config.resources import config_file, sample_capture
    from alephtx.core.errors import FieldError

    path = capture or sample_capture()
    limits = limits or config_file("risk.toml")
    out = out or data_dir() / "demo"
    source: Any = path
    if data:
        if capture:
            raise fail("paper: a capture and --data both name the market; keep one")
        source = market_source(data, catalog, start, end, "paper")
        try:
            source.check(INSTRUMENT)
        except FieldError as exc:
            raise fail(f"paper: {exc}") from None
    elif catalog or start or end:
        raise fail("paper: --catalog, --from and --to read a dataset; name it with --data")
    elif not path.exists():
        raise fail(f"paper: file {path} does not exist")
    if not limits.exists():
        raise fail(f"paper: risk limits file {limits} does not exist")
    out.mkdir(parents=True, exist_ok=True)
    with Progress(
        TextColumn("[bold]paper session[/bold]"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("session", total=1)
        report = asyncio.run(
            run_paper_session(source, limits, out / "journal.db", lambda i, n: bar.update(task, completed=i, total=n))
        )
    steps = Table(title="Orders and actions (market time from the first book)")
    for col in ("t (s)", "who", "what", "outcome"):
        steps.add_column(col)
    for s in report.steps:
        steps.add_row(f"{s.at_s:.1f}", s.who, s.what, s.outcome if s.ok else f"[red]{s.outcome}[/red]")
    console.print(steps)
    fills = Table(title="Fills")
    for col in ("order", "side", "price", "size", "liquidity", "fee (USDT)"):
        fills.add_column(col)
    d = INSTRUMENT.price_precision + INSTRUMENT.size_precision
    for f in report.fills:
        fills.add_row(
            f.client_id,
            f.side.value,
            INSTRUMENT.format_price(f.price),
            INSTRUMENT.format_size(f.quantity),
            f.liquidity,
            from_fixed(f.fee, d),
        )
    console.print(fills)
    pnl = Table(title="PnL (USDT)", show_header=False)
    pnl.add_row("position", f"{report.position} BTC")
    pnl.add_row("realised", _usd(report.realised))
    pnl.add_row("unrealised (at the mid)", _usd(report.unrealised))
    pnl.add_row("fees", _usd(report.fees))
    pnl.add_row("equity", _usd(report.equity))
    console.print(pnl)
    refused = Counter(s.reason for s in report.steps if not s.ok)
    if refused:
        console.print("Refused, by reason: " + ", ".join(f"{k} x{v}" for k, v in sorted(refused.items())))
    picture = out / "equity.png"
    _equity_picture(report.equity_curve, picture)
    console.print(f"journal: {report.journal}; equity curve: {picture}")


def _equity_picture(curve: list[tuple[float, int]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.2), dpi=100)
    xs = [t for t, _ in curve]
    ys = [float(from_fixed(e, CASH_PRECISION)) for _, e in curve]
    ax.plot(xs, ys, color="#1f6feb")
    ax.set_xlabel("market time (s)")
    ax.set_ylabel("equity (USDT)")
    ax.set_title("Paper session equity, marked to the mid each second")
    ax.ticklabel_format(useOffset=False, axis="y")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


@app.command("paper-venue")
def paper_venue(
    port: Annotated[int, typer.Option(help="Port to listen on (127.0.0.1).")] = 8300,
    capture: Annotated[Path | None, typer.Option(help="Capture to replay (default: the bundled sample).")] = None,
    speed: Annotated[float, typer.Option(help="Replay speed; 1.0 is real time.")] = 1.0,
) -> None:
    """Serve the paper venue over HTTP on loopback, replaying a capture as its market."""
    from alephtx.emulators.paper import main as serve

    args = ["--port", str(port), "--speed", str(speed)]
    if capture:
        args += ["--capture", str(capture)]
    serve(args)
