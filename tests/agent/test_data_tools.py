"""The research tools over the catalog, through the real MCP client and `aleph mcp` over stdio:
the catalog `aleph data import` filled (the same data folder), bars checked against the capture
read in plain Python, bad arguments named."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alephtx.core.config.resources import sample_capture
from alephtx.core.replay.binance_capture import BinanceCapture, DepthEvent
from tests.agent.test_mcp_server import _data, _env, stdio_session
from tests.integration.test_data_catalog import INST, plain_counts


def book_churn(path: Path) -> dict[int, tuple[int, int]]:
    """Level updates and removals of the depth diffs by minute, read without polars."""
    out: dict[int, tuple[int, int]] = {}
    for ev in BinanceCapture(path, INST, tickers=False):
        if isinstance(ev, DepthEvent) and not ev.is_snapshot:
            p = ev.parser
            m = ev.exch_ns // 60_000_000_000 * 60
            n, gone = out.get(m, (0, 0))
            out[m] = (n + p.count, gone + sum(1 for i in range(p.count) if p.qtys[i] == 0))
    return out


async def test_list_datasets_and_query_history_over_mcp(tmp_path: Path) -> None:
    imported = subprocess.run(
        [sys.executable, "-m", "alephtx.cli", "data", "import", str(sample_capture())],
        capture_output=True, text=True, timeout=300, env=_env(tmp_path), cwd=tmp_path,
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    rows, minutes = plain_counts(sample_capture())
    async with stdio_session(tmp_path) as s:
        tools = {t.name: t for t in (await s.list_tools()).tools}
        assert tools["query_history"].annotations.readOnlyHint is True
        (ds,) = _data(await s.call_tool("list_datasets", {}))
        assert ds["dataset"] == "binance-usdm/futures/BTCUSDT" and ds["rows"] == rows, ds
        got = _data(await s.call_tool("query_history", {"dataset": ds["dataset"], "interval": "1m"}))
        scale = 10**INST.price_precision
        assert [(b["high"], b["low"], b["trades"]) for b in got["bars"]] == [
            (h / scale, lo / scale, n) for _, (h, lo, n) in sorted(minutes.items())
        ], got
        assert all(b["low"] <= b["vwap"] <= b["high"] and b["spread_max"] >= b["spread_mean"] > 0 for b in got["bars"])
        assert all(b["best_bid_size_mean"] > 0 and b["best_ask_size_mean"] > 0 for b in got["bars"])
        churn = book_churn(sample_capture())
        assert [(b["level_updates"], b["level_removals"]) for b in got["bars"]] == [
            churn.get(m, (0, 0)) for m in sorted(minutes)
        ]
        one = _data(await s.call_tool("query_history", {"dataset": ds["dataset"], "interval": "1s", "limit": 5}))
        assert len(one["bars"]) == 5  # the latest five seconds
        window = {"dataset": ds["dataset"], "start": "2024-08-08T23:55:00", "end": "2024-08-08T23:56:00"}
        (only,) = _data(await s.call_tool("query_history", window))["bars"]
        assert only["time_utc"] == "2024-08-08T23:55:00+00:00", only
        for bad, field in (
            ({"interval": "2m"}, "interval"),
            ({"limit": 0}, "limit"),
            ({"start": "yesterday"}, "start"),
            ({"start": "2024-08-09", "end": "2024-08-08"}, "end"),
            ({"dataset": "kraken/spot/BTCUSD"}, "dataset"),
        ):
            result = await s.call_tool("query_history", {"dataset": ds["dataset"], **bad})
            text = "".join(getattr(c, "text", "") for c in result.content)
            assert result.isError and text.startswith(field), (bad, text)
