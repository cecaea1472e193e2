"""Which reader a capture needs, chosen by its content, not by flags; and the symbol it names.

Binance captures name their streams (``"stream":"btcusdt@depth@0ms"``); Hyperliquid's their
channels (``"channel":"l2Book"``, ``"coin":"BTC"``). The first lines decide. A pipe reads once,
so it is not sniffed: it is read as Binance's.
"""

from __future__ import annotations

import re
import zlib
from pathlib import Path

from alephtx.core.model import Instrument
from alephtx.core.replay.binance_capture import BinanceCapture, CaptureError, CaptureReader, open_lines
from alephtx.core.replay.hyperliquid_capture import HyperliquidCapture

_STREAM = re.compile(rb'"stream"\s*:\s*"([a-z0-9_]+)@')
_COIN = re.compile(rb'"channel"\s*:\s*"(?:l2Book|trades)".*?"coin"\s*:\s*"([A-Za-z0-9_/:-]+)"')


def _sniff(path: str | Path, lines: int = 200) -> tuple[str, str]:
    """(format, symbol) from a capture's first lines: ("binance" | "hyperliquid" | "", symbol or "")."""
    if not Path(path).is_file():
        return "", ""
    kind = ""
    try:
        handle, it, _, _ = open_lines(path)
        with handle:
            for _, line in zip(range(lines), it, strict=False):
                head = line[:400]
                m = _STREAM.search(head)
                if m:
                    return "binance", m.group(1).decode().upper()
                body = head[head.find(b" ") + 1 :].lstrip()
                if not body.startswith(b'{"channel"'):  # Hyperliquid's envelope (OKX nests its own)
                    continue
                m = _COIN.search(body)
                if m:
                    return "hyperliquid", m.group(1).decode()
                kind = "hyperliquid"  # a subscription answer: the coin comes in a later line
    except (CaptureError, EOFError, OSError, zlib.error):
        return "", ""
    return kind, ""


def capture_symbol(path: str | Path) -> str:
    """The symbol a capture's messages name (``btcusdt@depth@0ms`` -> BTCUSDT, ``"coin":"BTC"``
    -> BTC), read from its first lines; "" when none names one (or the file is a pipe)."""
    return _sniff(path)[1]


def reader_for(path: str | Path, instrument: Instrument, tickers: bool = True) -> CaptureReader:
    """The reader ``path`` needs (see the module's docstring)."""
    if _sniff(path)[0] == "hyperliquid":
        return HyperliquidCapture(path, instrument, tickers)
    return BinanceCapture(path, instrument, tickers)
