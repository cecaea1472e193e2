"""`aleph data`: recorded market data in a catalog (Parquet with polars; docs/data.md)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from alephtx.cli.main import _config, app, capture_instrument, console, data_dir, fail, file_progress

data_app = typer.Typer(
    help="Recorded market data: import captures into a catalog, list, show, verify.", no_args_is_help=True
)
app.add_typer(data_app, name="data", help="Recorded market data in a Parquet catalog (import, ls, show, verify).")

CatalogOpt = Annotated[
    str | None,
    typer.Option("--catalog", help="The catalog folder (default: catalog/ in the data folder)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _catalog(where: str | None) -> Any:
    from alephtx.core.data.catalog import Catalog, CatalogError

    try:
        return Catalog(where or (data_dir() / "catalog"))
    except CatalogError as exc:
        raise fail(f"data: {exc}") from None


def _day(ns: int) -> str:
    return dt.datetime.fromtimestamp(ns / 1e9, tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S") if ns else "-"


@data_app.command("import")
def import_(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Captures (Binance USD-M, COIN-M or spot; Hyperliquid; .gz or text) or public-history CSV files "
            "(Binance's trades, aggTrades, bookTicker, klines; Tardis's incremental_book_L2, trades, "
            "book_snapshot_25, book_ticker; .csv, .gz or .zip), told apart by content."
        ),
    ],
    catalog: CatalogOpt = None,
    symbol: Annotated[str | None, typer.Option(help="Instrument symbol (default: the file's own).")] = None,
    tick_size: Annotated[
        str | None,
        typer.Option(help="Price tick (default: a capture's from config; a CSV's from its dataset, else its data)."),
    ] = None,
    lot_size: Annotated[str | None, typer.Option(help="Size step (default: as --tick-size).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Import captures into the catalog: one dataset per venue, market and symbol, one Parquet
    file per kind and day; integrity measured and stored. Importing a file again replaces it."""
    from alephtx.core.data.catalog import CatalogError
    from alephtx.core.data.csv_formats import looks_like_csv
    from alephtx.core.data.csv_import import import_csv
    from alephtx.core.replay.binance_capture import CaptureError

    cat = _catalog(catalog)
    cfg = _config(None).replay
    results: list[dict[str, Any]] = []
    for path in files:
        if not path.is_file():
            raise fail(f"data import: {path} is not a file")
        if looks_like_csv(path):
            with file_progress("import", path, transient=True) as bar:
                bar.add_task("import", total=None)  # polars reads it whole: no steps to show
                try:
                    ds, imp = import_csv(cat, path, symbol, tick_size, lot_size)
                except CatalogError as exc:
                    raise fail(f"data import: {exc}") from None
            results.append(
                {"file": str(path), "dataset": ds.name, "days": imp.days, "rows": imp.rows, "problems": imp.problems}
            )
            continue
        inst, _ = capture_instrument(cfg, path, symbol, tick_size, lot_size, "data import")
        with file_progress("import", path, transient=True) as bar:
            task = bar.add_task("import", total=path.stat().st_size)
            try:
                ds, imp = cat.import_capture(
                    path, inst, on_progress=lambda d, t, task=task: bar.update(task, completed=d, total=t)
                )
            except (CatalogError, CaptureError) as exc:
                raise fail(f"data import: {exc}") from None
        results.append(
            {"file": str(path), "dataset": ds.name, "days": imp.days, "rows": imp.rows, "problems": imp.problems}
        )
    if json_out:
        print(json.dumps(results))
        return
    t = Table(title=f"Imported into {cat.root}")
    for col in ("file", "dataset", "days", "book rows", "trades", "top", "bars", "problems"):
        t.add_column(col, overflow="fold")
    for r in results:
        rows = r["rows"]
        t.add_row(
            Path(r["file"]).name, r["dataset"], ", ".join(r["days"]), f"{rows['book']:,}", f"{rows['trades']:,}",
            f"{rows['top']:,}", f"{rows.get('bars', 0):,}", "; ".join(r["problems"]) or "none",
        )  # fmt: skip
    console.print(t)


@data_app.command("ls")
def ls(catalog: CatalogOpt = None, json_out: JsonOpt = False) -> None:
    """The catalog's datasets: days, rows by kind, coverage, integrity."""
    from alephtx.core.data.catalog import CatalogError

    cat = _catalog(catalog)
    try:
        found = cat.datasets()
    except CatalogError as exc:
        raise fail(f"data: {exc}") from None
    rows = [
        {
            "dataset": name,
            "days": ds.days,
            "rows": {k: ds.rows(k) for k in ("book", "trades", "top", "bars")},
            "from": _day(ds.coverage_ns[0]),
            "to": _day(ds.coverage_ns[1]),
            "gaps": sum(i.gaps for i in ds.imports),
            "files": len(ds.imports),
        }
        for name, ds in found.items()
    ]
    if json_out:
        print(json.dumps(rows))
        return
    if not rows:
        console.print(f"no dataset in {cat.root} (aleph data import FILE)")
        return
    t = Table(title=f"Catalog {cat.root}")
    for col in ("dataset", "days", "book rows", "trades", "top", "bars", "from (UTC)", "to (UTC)", "gaps", "files"):
        t.add_column(col, overflow="fold")
    for r in rows:
        t.add_row(
            r["dataset"], str(len(r["days"])), f"{r['rows']['book']:,}", f"{r['rows']['trades']:,}",
            f"{r['rows']['top']:,}", f"{r['rows']['bars']:,}", r["from"], r["to"], str(r["gaps"]), str(r["files"]),
        )  # fmt: skip
    console.print(t)


@data_app.command("show")
def show(
    dataset: Annotated[str, typer.Argument(help="venue/market/symbol, as `aleph data ls` names it.")],
    catalog: CatalogOpt = None,
    png: Annotated[Path | None, typer.Option(help="Also draw the trades' price by minute into this PNG.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """One dataset: its coverage, integrity per imported file, and its trades by minute (polars)."""
    import polars as pl

    from alephtx.core.data.catalog import CatalogError

    cat = _catalog(catalog)
    try:
        ds = cat.dataset(dataset)
        bars = (
            cat.scan(dataset, "trades")
            .with_columns((pl.col("exch_ns") // 60_000_000_000 * 60).alias("minute"))
            .group_by("minute")
            .agg(
                pl.col("price").first().alias("open"),
                pl.col("price").max().alias("high"),
                pl.col("price").min().alias("low"),
                pl.col("price").last().alias("close"),
                pl.col("size").sum().alias("volume"),
                pl.len().alias("trades"),
            )
            .sort("minute")
            .collect()
        )
    except CatalogError as exc:
        raise fail(f"data show: {exc}") from None
    scale = 10**ds.price_precision
    out = {
        "dataset": ds.name,
        "tick_size": ds.tick_size,
        "lot_size": ds.lot_size,
        "from": _day(ds.coverage_ns[0]),
        "to": _day(ds.coverage_ns[1]),
        "imports": [
            {"source": i.source, "gaps": i.gaps, "crossed": i.crossed, "stale": i.stale, "out_of_order": i.out_of_order,
             "duplicate_trades": i.duplicate_trades, "bad_lines": i.bad_lines, "problems": i.problems}
            for i in ds.imports
        ],
        "minutes": [
            {"minute": _day(m * 10**9), "open": o / scale, "high": h / scale, "low": lo / scale, "close": c / scale,
             "trades": n}
            for m, o, h, lo, c, _, n in bars.iter_rows()
        ],
    }  # fmt: skip
    if png is not None:
        _plot(png, out["minutes"], ds.name)
    if json_out:
        print(json.dumps(out))
        return
    t = Table(title=f"{ds.name}: {out['from']} to {out['to']} UTC (tick {ds.tick_size}, lot {ds.lot_size})")
    for col in ("minute (UTC)", "open", "high", "low", "close", "trades"):
        t.add_column(col)
    for m in out["minutes"][-30:]:
        t.add_row(m["minute"], f"{m['open']:g}", f"{m['high']:g}", f"{m['low']:g}", f"{m['close']:g}", str(m["trades"]))
    console.print(t)
    if out["minutes"]:
        closes = [m["close"] for m in out["minutes"]]
        console.print(f"close by minute, {min(closes):g} to {max(closes):g}: {sparkline(closes)}")
    for i in out["imports"]:
        console.print(
            f"{i['source']}: {i['gaps']} gaps, {i['crossed']} crossed, {i['out_of_order']} out of order, "
            f"{i['duplicate_trades']} duplicate trades{', STALE at the end' if i['stale'] else ''}"
            + (f"; {'; '.join(i['problems'])}" if i["problems"] else "")
        )
    if png is not None:
        console.print(f"plot: {png}")


def sparkline(values: list[float], width: int = 60) -> str:
    """A small price plot in the terminal: one block character per value (the last ``width``)."""
    blocks = "▁▂▃▄▅▆▇█"
    vals = values[-width:]
    lo, hi = min(vals), max(vals)
    if hi == lo:
        return blocks[3] * len(vals)
    return "".join(blocks[round((v - lo) / (hi - lo) * (len(blocks) - 1))] for v in vals)


def _plot(png: Path, minutes: list[dict[str, Any]], title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 3.5))
    import matplotlib.dates as mdates

    xs = mdates.date2num([dt.datetime.strptime(m["minute"], "%Y-%m-%d %H:%M:%S") for m in minutes])
    ax.plot(xs, [m["close"] for m in minutes], lw=1.2)
    ax.fill_between(xs, [m["low"] for m in minutes], [m["high"] for m in minutes], alpha=0.25)
    ax.xaxis_date()
    ax.set_title(f"{title}: trades by minute (close, high-low band), UTC")
    fig.autofmt_xdate()
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=110)
    plt.close(fig)


@data_app.command("verify")
def verify(catalog: CatalogOpt = None, json_out: JsonOpt = False) -> None:
    """Read every dataset's files back and compare them with the manifest; exit 1 on a problem."""
    from alephtx.core.data.catalog import CatalogError

    cat = _catalog(catalog)
    try:
        problems = cat.verify()
        n = len(cat.datasets())
    except CatalogError as exc:
        raise fail(f"data verify: {exc}") from None
    if json_out:
        print(json.dumps({"datasets": n, "problems": problems}))
    else:
        for p in problems:
            console.print(f"[red]{p}[/red]")
        console.print(f"{n} dataset(s) checked: {'ok' if not problems else f'{len(problems)} problem(s)'}")
    if problems:
        raise typer.Exit(1)


@data_app.command("record")
def record(
    venue: Annotated[str, typer.Argument(help="A venue kind with public streams (see `aleph venues`).")],
    symbols: Annotated[list[str], typer.Argument(help="The venue's symbols, e.g. BTCUSDT (OKX: BTC-USDT-SWAP).")],
    hours: Annotated[
        float | None, typer.Option(help="Stop after this long (default: until Ctrl-C).", min=0.0001)
    ] = None,
    rotate_minutes: Annotated[float, typer.Option(help="Close a file and import it this often.", min=0.01)] = 60.0,
    folder: Annotated[
        Path | None, typer.Option(help="Where the captures go (default: recordings/ in the data folder).")
    ] = None,
    catalog: CatalogOpt = None,
    no_import: Annotated[bool, typer.Option("--no-import", help="Keep the captures; import nothing.")] = False,
    rest_url: Annotated[str, typer.Option(help="Override the venue's REST URL (an emulator).")] = "",
    ws_url: Annotated[str, typer.Option(help="Override the venue's WebSocket URL.")] = "",
    json_out: JsonOpt = False,
) -> None:
    """Record a venue's public book and trades: captures rotated every --rotate-minutes and at
    UTC midnight, each imported into the catalog as it closes (docs/data.md)."""
    import asyncio
    import signal

    from rich.live import Live

    from alephtx.core.data.catalog import CatalogError
    from alephtx.core.data.recorder import Recorder
    from alephtx.core.errors import FieldError
    from alephtx.core.venues.base import VenueUnavailable
    from alephtx.core.venues.registry import STREAMING

    if venue not in STREAMING:
        raise fail(f"data record: venue={venue!r}: one of {', '.join(STREAMING)} (the venues with public streams)")
    cat = None if no_import else _catalog(catalog)
    where = folder or data_dir() / "recordings"
    notes: list[str] = []
    rec = Recorder(venue, symbols, where, cat, rotate_minutes * 60, rest_url, ws_url, notes.append)

    def view() -> Table:
        t = Table(title=f"aleph data record {venue} -> {where}" + (f" (catalog {cat.root})" if cat else ""))
        for col in ("symbol", "messages", "in this file", "files", "gaps", "last import"):
            t.add_column(col)
        for sym, r in rec.recordings.items():
            t.add_row(
                sym,
                f"{r.total:,}",
                f"{r.messages:,}",
                str(len(r.files)),
                str(r.gaps),
                r.imported[-1] if r.imported else "",
            )
        return t

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        task = asyncio.create_task(rec.run(stop, hours * 3600 if hours else None))
        with Live(view(), console=console, refresh_per_second=2, transient=json_out) as live:
            while not task.done():
                await asyncio.wait([task], timeout=0.5)
                live.update(view())
        task.result()

    try:
        asyncio.run(main())
    except (CatalogError, FieldError, VenueUnavailable) as exc:
        raise fail(f"data record: {exc}") from None
    summary = [
        {"symbol": s, "messages": r.total, "gaps": r.gaps, "files": [str(f) for f in r.files], "imported": r.imported}
        for s, r in rec.recordings.items()
    ]
    if json_out:
        print(json.dumps(summary))
    else:
        for line in notes:
            console.print(f"imported {line}")
