"""`aleph venues` (what each venue supports) and `aleph book` (a live book in the terminal)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Annotated

import typer
from rich.live import Live
from rich.table import Table

from alephtx.cli.main import app, console, fail


@app.command()
def venues() -> None:
    """List the venues with their capabilities, limits and how orders and books travel."""
    from alephtx.core.venues.registry import VENUES

    rows = []
    for v in VENUES.values():
        c = v.capabilities
        rows.append(
            {
                "venue": v.name,
                "products": v.products,
                "orders via": v.rest,
                "order types": ", ".join(o.value for o in c.order_types),
                "time in force": ", ".join(x.value for x in c.time_in_force),
                "reduce-only": "yes" if c.reduce_only else "no",
                "amend": "yes" if c.amend else "cancel+new",
                "client id": f"≤ {c.client_id_max_len}",
                "notes": "; ".join(c.notes),
            }
        )
    if console.width >= WIDE:
        t = Table(title="Venues")
        for col in rows[0]:
            t.add_column(col, overflow="fold")
        for r in rows:
            t.add_row(*r.values())
        console.print(t)
        return
    # A narrow terminal: one block per venue, a field a line (nine columns at 80 characters
    # folded every word in two).
    for r in rows:
        t = Table(title=r["venue"], show_header=False, title_justify="left", expand=True)
        t.add_column("field", style="bold", no_wrap=True)
        t.add_column("value", ratio=1)
        for k, val in r.items():
            if k != "venue":
                t.add_row(k, val)
        console.print(t)


WIDE = 160  # columns from which the venues fit side by side in one table


def _render(name: str, symbol: str, stream: object, depth: int) -> Table:
    book = stream.book  # type: ignore[attr-defined]
    inst = stream.instrument  # type: ignore[attr-defined]
    bids, asks = book.depth(depth)
    st = stream.stats  # type: ignore[attr-defined]
    caption = f"{st.messages} messages, {st.snapshots} snapshots, {st.gaps} gaps, {st.connects} connects"
    t = Table(title=f"{name} {symbol}" + (" (STALE)" if book.stale else ""), caption=caption, min_width=72)
    for col in ("bid size", "bid", "ask", "ask size"):
        t.add_column(col, justify="right")
    for i in range(depth):
        b = bids[i] if i < len(bids) else None
        a = asks[i] if i < len(asks) else None
        t.add_row(
            inst.format_size(b[1]) if b else "",
            inst.format_price(b[0]) if b else "",
            inst.format_price(a[0]) if a else "",
            inst.format_size(a[1]) if a else "",
        )
    return t


@app.command()
def book(
    venue: Annotated[str, typer.Argument(help="binance, binance-usdm, okx, bybit or hyperliquid.")],
    symbol: Annotated[str, typer.Argument(help="The venue's symbol, e.g. BTCUSDT, BTC-USDT-SWAP, BTC.")],
    emulator: Annotated[
        bool, typer.Option("--emulator/--live", help="Stream from a local emulator replaying recorded data.")
    ] = True,
    rest_url: Annotated[
        str, typer.Option(help="The venue's REST URL (e.g. a running `aleph emulator`); implies --live.")
    ] = "",
    ws_url: Annotated[str, typer.Option(help="The venue's WebSocket URL; implies --live.")] = "",
    seconds: Annotated[float, typer.Option(help="Stop after this many seconds (0: until Ctrl-C).")] = 0.0,
    depth: Annotated[int, typer.Option(help="Levels per side to show.")] = 10,
) -> None:
    """Stream a venue's order book in the terminal (from its loopback emulator unless --live)."""
    from alephtx.core.errors import FieldError
    from alephtx.core.venues.base import VenueError
    from alephtx.core.venues.factory import VenueConfig
    from alephtx.core.venues.registry import STREAMING, build_market
    from alephtx.core.venues.stream import StreamData

    if venue not in STREAMING:
        raise fail(f"book: venue={venue!r}: must be one of {list(STREAMING)}")
    own_emulator = emulator and not (rest_url or ws_url)

    async def run() -> None:
        emu = None
        rest, ws = rest_url, ws_url
        if own_emulator:
            from alephtx.emulators.base import Account
            from alephtx.emulators.registry import EMULATORS

            kinds = [e for e in EMULATORS.values() if e.kind == venue]
            info = next((e for e in kinds if e.instrument.symbol == symbol), kinds[0])
            emu = info.cls(instrument=info.instrument, account=Account("viewer-key", "viewer-secret"), speed=1.0)
            await emu.start()
            rest, ws = emu.url, emu.ws_url
        try:
            if emu is not None:
                await asyncio.wait_for(emu.synced.wait(), 30)  # its replay has reached the first snapshot
            config = VenueConfig(venue, symbols=(symbol,), rest_url=rest, ws_url=ws, cache=not (rest or ws))
            try:
                market = await build_market(config)  # the symbol's instrument, from the venue's listing
            except (FieldError, VenueError) as exc:
                raise fail(f"book: {exc}") from None
            assert isinstance(market.data, StreamData)
            stream = market.data.book_stream(symbol)
            stop = asyncio.Event()
            task = asyncio.create_task(stream.run(lambda b: None, stop))
            t0 = time.monotonic()
            try:
                with Live(_render(venue, symbol, stream, depth), console=console, refresh_per_second=8) as live:
                    while not seconds or time.monotonic() - t0 < seconds:
                        await asyncio.sleep(0.125)
                        live.update(_render(venue, symbol, stream, depth))
            finally:
                stop.set()
                await asyncio.wait_for(task, 15)
        finally:
            if emu is not None:
                await emu.stop()

    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how a person stops watching
        asyncio.run(run())
