"""A strategy in another process, trading through the engine over a real nats-server."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from pathlib import Path

from alephtx.core.bus.nats import NatsBus
from alephtx.core.engine import Engine
from alephtx.core.journal import SqliteJournal
from alephtx.core.model import Instrument, Side
from alephtx.core.risk import RiskEngine, RiskLimits
from alephtx.core.strategies.remote import StrategyBridge
from alephtx.core.venues.paper import PaperVenue
from tests.conftest import ROOT

INST = Instrument.from_strings("paper", "BTCUSDT", "perp", "0.10", "0.001", "5")


async def wait_for(cond, timeout: float = 15.0) -> bool:  # type: ignore[no-untyped-def]
    for _ in range(int(timeout / 0.05)):
        if cond():
            return True
        await asyncio.sleep(0.05)
    return False


async def test_a_grid_in_another_process_trades_through_risk(nats_url: str, tmp_path: Path) -> None:
    ns = f"t{uuid.uuid4().hex[:10]}"
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
    bus = await NatsBus.connect(nats_url, namespace=ns)
    bridge = StrategyBridge(engine, bus, venue.books)
    await bridge.start()
    params = {"instrument": INST.key, "levels": 2, "spacing_ticks": 10, "size": "0.001"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "alephtx.cli",
            "strategy",
            "run",
            "g1",
            "--kind",
            "grid",
            "--params",
            json.dumps(params),
            "--nats",
            nats_url,
            "--namespace",
            ns,
            "--seconds",
            "8",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        mine = lambda: [o for o in engine.ledger.orders.values() if o.request.origin == "strategy:g1"]  # noqa: E731
        for _ in range(100):  # books keep coming until the remote grid has armed
            await bridge.publish_book(INST.key)
            if len(mine()) >= 4:
                break
            await asyncio.sleep(0.1)
        assert len(mine()) == 4, proc.stderr.read() if proc.poll() is not None else "no orders"
        assert sorted(o.request.side for o in mine()) == [Side.BUY, Side.BUY, Side.SELL, Side.SELL]
        # The market trades through the first buy level: a fill, sent back to the remote grid,
        # which re-arms a sell one spacing above.
        venue.on_trade(INST.key, 10, 5999000, 5000, Side.SELL)
        await venue.flush()
        assert await wait_for(lambda: len(mine()) >= 5)
        # The grid centre was 60000.50; its first buy (60000.50 - 1.00) re-arms as a sell at 60000.50.
        assert any(o.request.side is Side.SELL and o.request.price == 6000050 for o in mine())
        # Wait without blocking the loop: the bridge must answer the strategy's last cancels.
        assert await wait_for(lambda: proc.poll() is not None, 30)
        out, err = proc.communicate()
        assert proc.returncode == 0, err
        assert "orders sent" in out
        # Stopping cancelled what it left open.
        await asyncio.sleep(0.2)
        assert not [o for o in engine.ledger.open_orders() if o.request.origin == "strategy:g1"]
        assert bridge.requests >= 5
    finally:
        if proc.poll() is None:
            proc.kill()
        await bus.delete_stream()
        await bus.close()
