"""Hot swap: load from a file, start, stop (cancels orders), reload edited code, survive a crash."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from alephtx.core.engine import Engine
from alephtx.core.journal import SqliteJournal
from alephtx.core.model import Instrument, Side
from alephtx.core.risk import RiskEngine, RiskLimits
from alephtx.core.strategies import StrategyError, StrategyHost
from alephtx.core.venues.paper import PaperVenue

INST = Instrument.from_strings("paper", "BTCUSDT", "perp", "0.10", "0.001", "5")

CODE = """
from alephtx.core.strategies import Params, Strategy

class P(Params):
    instrument: str
    offset_ticks: int = 100

class Quoter(Strategy):
    params_model = P
    VERSION = {version}

    def __init__(self, params):
        super().__init__(params)
        self.instruments = (params.instrument,)

    async def on_book(self, ctx, key, book):
        if self.VERSION == 3:
            raise RuntimeError("boom")
        if not ctx.open_orders(key):
            inst = ctx.instrument(key)
            await ctx.buy(key, inst.lot * self.VERSION, book.best_bid_price() - self.params.offset_ticks * inst.tick)
"""


async def test_load_start_stop_reload_and_crash(tmp_path: Path) -> None:
    venue = PaperVenue([INST])
    book = venue.books[INST.key]
    book.apply_snapshot([6000000], [1000], [6000100], [1000], 1)
    engine = Engine(
        [INST],
        {"paper": venue},
        RiskEngine(RiskLimits.model_validate({"instrument": {INST.key: {"max_position": "1"}}})),
        SqliteJournal(tmp_path / "j.db"),
        100_000 * 10**12,
    )
    await engine.start()
    engine.on_mid(INST.key, book.mid_x2())
    host = StrategyHost(engine, venue.books)
    f = tmp_path / "quoter.py"
    f.write_text(textwrap.dedent(CODE.format(version=1)))
    host.load("q", f"{f}:Quoter", {"instrument": INST.key})
    await host.start("q")
    await host.on_book(INST.key, book)
    (o,) = engine.ledger.open_orders()
    assert o.request.origin == "strategy:q" and o.request.quantity == 1
    # Stop cancels its orders.
    await host.stop("q")
    assert not engine.ledger.open_orders() and host.status()[0]["running"] is False
    # Edit the file and reload: the new code takes effect.
    f.write_text(textwrap.dedent(CODE.format(version=2)))
    await host.start("q")
    await host.reload("q")
    await host.on_book(INST.key, book)
    assert [o.request.quantity for o in engine.ledger.open_orders()] == [2]
    # A strategy that raises is stopped and reported; the engine goes on.
    f.write_text(textwrap.dedent(CODE.format(version=3)))
    await host.reload("q")
    await host.on_book(INST.key, book)
    st = host.status()[0]
    assert st["running"] is False and "boom" in st["error"] and not engine.ledger.open_orders()
    r = await engine.submit(
        __import__("alephtx.core.model", fromlist=["OrderRequest"]).OrderRequest.parse(INST, "buy", "market", "0.001")
    )
    assert r.ok
    await host.unload("q")
    assert host.status() == []
    with pytest.raises(StrategyError, match="no strategy of that name"):
        await host.start("q")
    with pytest.raises(StrategyError, match="does not exist"):
        host.load("x", f"{tmp_path}/missing.py:X", {})
    with pytest.raises(StrategyError, match="not a Strategy"):
        host.load("x", "alephtx.core.model:Instrument", {})


async def test_market_callbacks_reach_only_running_strategies_that_take_them(tmp_path: Path) -> None:
    from alephtx.core.strategies import Params, Strategy
    from alephtx.core.venues.stream import TradeTick

    class P(Params):
        instrument: str

    calls: list[str] = []

    class BookOnly(Strategy):
        params_model = P

        def __init__(self, params: P) -> None:
            super().__init__(params)
            self.instruments = (params.instrument,)

        async def on_book(self, ctx: object, key: str, book: object) -> None:
            calls.append("book-only:book")

    class Both(BookOnly):
        async def on_book(self, ctx: object, key: str, book: object) -> None:
            calls.append("both:book")

        async def on_trade(self, ctx: object, tick: object) -> None:
            calls.append("both:trade")

    venue = PaperVenue([INST])
    engine = Engine([INST], {"paper": venue}, RiskEngine(RiskLimits()), SqliteJournal(tmp_path / "j.db"), 10**12)
    await engine.start()
    host = StrategyHost(engine, venue.books)
    host.load("a", BookOnly, {"instrument": INST.key})
    host.load("b", Both, {"instrument": INST.key})
    tick = TradeTick(INST.key, "1", 6_000_000, 1, Side.BUY, 1)
    assert not host.wants_trades(INST.key)  # loaded, not started
    await host.start("a")
    assert not host.wants_trades(INST.key)  # "a" does not take trades
    await host.start("b")
    assert host.wants_trades(INST.key)
    await host.on_book(INST.key, venue.books[INST.key])
    await host.on_trade(tick)
    assert calls == ["book-only:book", "both:book", "both:trade"]
    await host.stop("b")
    calls.clear()
    await host.on_book(INST.key, venue.books[INST.key])
    await host.on_trade(tick)
    assert calls == ["book-only:book"] and not host.wants_trades(INST.key)
    # The base class's no-op callbacks are not called at all: only the overrides count.
    assert [s["callbacks"] for s in host.status()] == [3, 3]  # on_start + two books; on_start + book + trade
