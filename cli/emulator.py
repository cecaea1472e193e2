"""`aleph emulator VENUE`: a venue's REST and WebSocket APIs on 127.0.0.1, replaying a capture."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path
from typing import Annotated

import typer

from alephtx.cli.main import app, fail


def say(line: str = "") -> None:
    print(line, flush=True)  # plain lines: scripts read the URLs from them


@app.command()
def emulator(
    venue: Annotated[str, typer.Argument(help="binance, binance-usdm, okx, okx-spot, bybit or hyperliquid.")],
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0: any free port).")] = 0,
    capture: Annotated[
        Path | None,
        typer.Option(help="Capture to replay (a Binance USD-M BTCUSDT capture; default: the bundled sample)."),
    ] = None,
    speed: Annotated[float, typer.Option(help="Seconds of market time per second.")] = 1.0,
) -> None:
    """Serve a venue's REST and WebSocket APIs on 127.0.0.1, replaying a capture, until Ctrl-C.

    Point a venue config (or `aleph book --rest-url --ws-url`, `aleph up --live-rest --live-ws`)
    at the printed URLs. Orders fill against the replayed book with the paper venue's matching."""
    from alephtx.emulators.registry import EMULATORS, account_for

    info = EMULATORS.get(venue)
    if info is None:
        raise fail(f"emulator: venue={venue!r}: must be one of {list(EMULATORS)}")
    if not 0 <= port <= 65535:
        raise fail(f"emulator: port={port}: must be 0 to 65535")
    if not speed > 0:
        raise fail(f"emulator: speed={speed}: must be greater than 0")
    if capture is not None and not capture.is_file():
        raise fail(f"emulator: capture={str(capture)!r}: no such file")
    who = account_for(venue)

    async def run() -> int:
        emu = info.cls(instrument=info.instrument, account=who.account, capture=capture, speed=speed)
        try:
            await emu.start(port)
        except OSError as exc:
            raise fail(f"emulator: port={port}: cannot listen on 127.0.0.1 ({exc.strerror or exc})") from None
        try:  # the URLs are printed once the venue has a book
            await asyncio.wait_for(emu.synced.wait(), 30)
        except TimeoutError:
            await emu.stop()
            failed = emu.market.exception() if emu.market and emu.market.done() else None
            raise fail(
                f"emulator: capture={str(emu.capture)!r}: no book after 30 s ({failed or 'no snapshot'})"
            ) from None
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        sym = info.instrument.symbol
        say(f"aleph emulator: {venue} on 127.0.0.1, replaying {emu.capture.name} at {speed:g}x")
        say(f"  rest_url = {emu.url}")
        say(f"  ws_url   = {emu.ws_url}")
        say(f"  symbol   = {sym} (venue kind {info.kind})")
        if who.from_env:
            say(f"keys: the emulator accepts those of ALEPH_{info.kind.upper().replace('-', '_')}_* (as set here)")
        else:
            say("keys: demo keys (they open this emulator only); set them where the venue config runs:")
            for k, v in who.exports.items():
                say(f"  export {k}={v}")
        say(f"try:  aleph book {info.kind} {sym} --rest-url {emu.url} --ws-url {emu.ws_url}")
        say("Ctrl-C stops it.")
        waiter = asyncio.create_task(stop.wait())
        market = emu.market
        assert market is not None
        done, _ = await asyncio.wait({waiter, market}, return_when=asyncio.FIRST_COMPLETED)
        code = 0
        if market in done and not stop.is_set():
            error = market.exception()
            if error is not None:
                say(f"the replay failed: {type(error).__name__}: {error}")
                code = 1
            else:
                say("the capture has been replayed: the book stands still (orders still match against it)")
                await stop.wait()
        waiter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await waiter
        await emu.stop()
        say("stopped")
        return code

    code = asyncio.run(run())
    if code:
        raise typer.Exit(code)
