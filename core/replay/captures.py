"""Which reader a capture needs, chosen by its content, not by flags; and the symbol it names.

Binance captures name their streams (``"stream":"btcusdt@depth@0ms"``); Hyperliquid's their
channels (``"channel":"l2Book"``, ``"coin":"BTC"``); Bybit's their topics
(``"topic":"orderbook.50.BTCUSDT"``); OKX's their argument (``{"arg":{"channel":"books",
"instId":"BTC-USDT-SWAP"}``). A recording made by `aleph data record` starts with a header
(``{"aleph":"recording", "venue", "symbol", "tick_size", "lot_size", "contract_size"}``) that
says all of it, the instrument included. The first lines decide. A pipe reads once, so it is not
sniffed: it is read as Binance's.
"""

from __future__ import annotations

import json
import re
import zlib
from pathlib import Path

from alephtx.core.model import Instrument
from alephtx.core.replay.binance_capture import BinanceCapture, CaptureError, CaptureReader, open_lines
from alephtx.core.replay.hyperliquid_capture import HyperliquidCapture
from alephtx.core.replay.venue_captures import BybitCapture, OkxCapture

_STREAM = re.compile(rb'"stream"\s*:\s*"([a-z0-9_]+)@')
_TOPIC = re.compile(rb'"topic"\s*:\s*"(?:orderbook\.\d+|publicTrade)\.([A-Z0-9_-]+)"')
_OKX = re.compile(rb'^\{"arg"\s*:\s*\{"channel"\s*:\s*"[a-z0-9-]+"\s*,\s*"instId"\s*:\s*"([A-Za-z0-9_-]+)"')
FORMATS = {"binance-usdm": "binance", "binance": "binance", "binance-coinm": "binance", "hyperliquid": "hyperliquid",
           "bybit": "bybit", "okx": "okx"}  # fmt: skip
_COIN = re.compile(rb'"channel"\s*:\s*"(?:l2Book|trades)".*?"coin"\s*:\s*"([A-Za-z0-9_/:-]+)"')


def recording_header(path: str | Path) -> dict[str, str]:
    """The header `aleph data record` writes first (venue, symbol, tick, lot, contract size), or
    {} when the capture has none (or is a pipe, which reads once)."""
    if not Path(path).is_file():
        return {}
    try:
        handle, it, _, _ = open_lines(path)
        with handle:
            first = next(it, b"")
        body = json.loads(first[first.find(b" ") + 1 :])
    except (CaptureError, EOFError, OSError, zlib.error, ValueError):
        return {}
    if not isinstance(body, dict) or body.get("aleph") != "recording":
        return {}
    return {k: str(v) for k, v in body.items()}


def _sniff(path: str | Path, lines: int = 200) -> tuple[str, str]:
    """(format, symbol) from a capture's first lines: ("binance" | "hyperliquid" | "bybit" | "okx"
    | "", symbol or "")."""
    if not Path(path).is_file():
        return "", ""
    header = recording_header(path)
    if header.get("venue") in FORMATS:
        return FORMATS[header["venue"]], header.get("symbol", "")
    kind = ""
    try:
        handle, it, _, _ = open_lines(path)
        with handle:
            for _, line in zip(range(lines), it, strict=False):
                head = line[:400]
                m = _STREAM.search(head)
                if m:
                    return "binance", m.group(1).decode().upper()
                m = _TOPIC.search(head)
                if m:
                    return "bybit", m.group(1).decode()
                body = head[head.find(b" ") + 1 :].lstrip()
                m = _OKX.search(body)
                if m:
                    return "okx", m.group(1).decode()
                if not body.startswith(b'{"channel"'):  # Hyperliquid's envelope (OKX nests its own)
                    continue
                m = _COIN.search(body)
                if m:
                    return "hyperliquid", m.group(1).decode()
                kind = "hyperliquid"  # a subscription answer: the coin comes in a later line
    except (CaptureError, EOFError, OSError, zlib.error):
        return "", ""
    return kind, ""


_PAIR = re.compile(rb'\[\s*"([0-9]+(?:\.[0-9]*)?)"\s*,\s*"([0-9]+(?:\.[0-9]*)?)"')
_HL_LEVEL = re.compile(rb'"px"\s*:\s*"([0-9]+(?:\.[0-9]*)?)"\s*,\s*"sz"\s*:\s*"([0-9]+(?:\.[0-9]*)?)"')


def capture_venue(path: str | Path, lines: int = 200) -> str:
    """Whose capture it is, as a venue kind: ``binance-usdm`` (depth with ``pu``), ``binance``
    (spot: without), ``binance-coinm`` (``_PERP`` symbols), ``hyperliquid``, ``bybit``, ``okx``;
    "" when the first lines do not say."""
    kind, symbol = _sniff(path, lines)
    if kind != "binance":
        return kind
    if symbol.endswith("_PERP"):
        return "binance-coinm"
    try:
        handle, it, _, _ = open_lines(path)
        with handle:
            for _, line in zip(range(lines), it, strict=False):
                if b"@depth" in line[:120]:
                    return "binance-usdm" if b'"pu":' in line else "binance"
    except (CaptureError, EOFError, OSError, zlib.error):
        return ""
    return "binance-usdm"


def data_places(path: str | Path, lines: int = 2000) -> tuple[int, int] | None:
    """The decimal places of the prices and sizes in the first lines' book levels ([price, size]
    pairs, Hyperliquid's px/sz): a venue writes them at its precision. None when none is read."""
    pp = sp = -1
    try:
        handle, it, _, _ = open_lines(path)
        with handle:
            for _, line in zip(range(lines), it, strict=False):
                for m in (*_PAIR.finditer(line), *_HL_LEVEL.finditer(line)):
                    p, q = m.group(1), m.group(2)
                    pp = max(pp, len(p) - p.find(b".") - 1 if b"." in p else 0)
                    sp = max(sp, len(q) - q.find(b".") - 1 if b"." in q else 0)
    except (CaptureError, EOFError, OSError, zlib.error):
        return None
    return (pp, sp) if pp >= 0 else None


def capture_symbol(path: str | Path) -> str:
    """The symbol a capture's messages name (``btcusdt@depth@0ms`` -> BTCUSDT, ``"coin":"BTC"``
    -> BTC), read from its first lines; "" when none names one (or the file is a pipe)."""
    return _sniff(path)[1]


def reader_for(path: str | Path, instrument: Instrument, tickers: bool = True) -> CaptureReader:
    """The reader ``path`` needs (see the module's docstring)."""
    kind = _sniff(path)[0]
    if kind == "hyperliquid":
        return HyperliquidCapture(path, instrument, tickers)
    if kind == "bybit":
        return BybitCapture(path, instrument, tickers)
    if kind == "okx":
        return OkxCapture(path, instrument, tickers)
    return BinanceCapture(path, instrument, tickers)
