"""The `aleph` command. Each command here works; nothing is listed before it does."""

from __future__ import annotations

import datetime
import json
import os
import platform
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from alephtx.core.config import ConfigError, load_config, redacted_view
from alephtx.core.errors import FieldError
from alephtx.core.logs import setup_logging
from alephtx.core.model import Instrument
from alephtx.core.redact import redact
from alephtx.core.version import __version__

app = typer.Typer(
    name="aleph",
    help="AlephTX: a self-hosted trading platform that a local LLM agent runs through MCP tools.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # a traceback's locals would show tokens and keys
)
console = Console()
errors = Console(stderr=True, soft_wrap=True)


def fail(message: str) -> typer.Exit:
    """Print an error people can act on (to stderr, unwrapped) and give the exit to raise."""
    errors.print(f"[red]{redact(message)}[/red]", highlight=False)
    return typer.Exit(2)


def stdout_for_json_only() -> Callable[[str], None]:
    """Keep this process's stdout for the one JSON document a ``--json`` command prints: from now
    on whatever else writes to file descriptor 1 (a library's C++ core: Ray's driver announces a
    lost raylet there) goes to stderr; the returned function writes to the real stdout."""
    sys.stdout.flush()
    real = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)

    def write(text: str) -> None:
        real.write(text + "\n")
        real.flush()

    return write


ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="Config file (default: $ALEPH_CONFIG, else aleph.toml in the config folder, else the packaged one).",
    ),
]


def _config(path: Path | None):  # type: ignore[no-untyped-def]
    try:
        cfg = load_config(path)
    except ConfigError as exc:
        raise fail(str(exc)) from None
    if path is not None:  # the root callback read the default file; this command names its own
        setup_logging(cfg.log.level)
    return cfg


def data_dir() -> Path:
    """The data folder (``--data-dir``, ALEPH_DATA_DIR, the config's data_dir, else the per-user
    default): where commands write unless told otherwise."""
    return Path(_config(None).data_dir)


@app.callback()
def _root(
    data: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            help="Folder for everything aleph writes (journals, reports, agent state); "
            "default: ALEPH_DATA_DIR, the config's data_dir, else ~/.local/share/alephtx.",
        ),
    ] = None,
) -> None:
    if data is not None:
        # Through the environment, so every config read, and any aleph this one starts, sees it.
        os.environ["ALEPH_DATA_DIR"] = str(data.expanduser().absolute())
    # Every command logs to stderr at log.level (config file and ALEPH_* environment), secrets
    # masked (core/logs.py). A broken config is left to the command that reads it to report.
    try:
        level = load_config().log.level
    except ConfigError:
        level = "INFO"
    setup_logging(level)


@app.command()
def version() -> None:
    """Print the AlephTX version and the compiled engine modules in use."""
    from alephtx.core.book import L2Book
    from alephtx.core.venues.binance.parsing import DepthParser

    console.print(f"alephtx {__version__} (Python {platform.python_version()}, {sys.platform})")
    for cls in (L2Book, DepthParser):
        console.print(
            f"  {cls.__module__}.{cls.__name__}: compiled ({Path(sys.modules[cls.__module__].__file__ or '').name})"
        )


@app.command()
def config(path: ConfigOpt = None) -> None:
    """Show the effective configuration (file plus ALEPH_* overrides); secrets and URL passwords are masked."""
    cfg = _config(path)
    console.print_json(json.dumps(redacted_view(cfg)))


def capture_instrument(
    cfg: Any, path: Path, symbol: str | None, tick_size: str | None, lot_size: str | None, command: str
) -> tuple[Instrument, str]:
    """The instrument a capture is read at, and the symbol its streams name: a recording's from
    its header; else its own symbol (not read from a pipe, which reads once) unless ``--symbol``
    says, tick and lot from the flags or the ``[replay]`` configuration, which knows only its own
    symbol's: a capture of another symbol needs them given."""
    from alephtx.core.model.instrument import VenueRules
    from alephtx.core.replay.captures import capture_symbol, recording_header

    header = recording_header(path)  # a recording states its instrument: the flags only override
    if header.get("tick_size") and header.get("lot_size"):
        try:
            inst = Instrument.from_strings(
                header.get("venue", cfg.venue),
                symbol or header.get("symbol", cfg.symbol),
                "perp",
                tick_size or header["tick_size"],
                lot_size or header["lot_size"],
                rules=VenueRules(contract_size=header.get("contract_size", "")),
            )
        except FieldError as exc:
            raise fail(f"{command}: {exc}") from None
        return inst, header.get("symbol", "")
    found = capture_symbol(path)
    if found and found != cfg.symbol and not (symbol or tick_size or lot_size):
        return _instrument_of(path, found, command)
    try:
        chosen = symbol or found or cfg.symbol
        inst = Instrument.from_strings(cfg.venue, chosen, "perp", tick_size or cfg.tick_size, lot_size or cfg.lot_size)
    except FieldError as exc:
        raise fail(f"{command}: {exc}") from None
    return inst, found


# The options of every command that reads a catalog dataset (replay, up, paper, backtest, sweep).
DatasetCatalogOpt = Annotated[
    str | None, typer.Option("--catalog", help="A dataset's catalog (default: catalog/ in the data folder).")
]
FromOpt = Annotated[str, typer.Option("--from", help="A dataset from this time (ISO 8601, UTC).")]
ToOpt = Annotated[str, typer.Option("--to", help="A dataset up to this time (excluded).")]
DATASET_NAME = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


def market_source(data: str, catalog: str | None, start: str, end: str, command: str) -> Any:
    """A catalog dataset (``venue/market/symbol``) over [start, end) as a MarketSource; every
    problem is one line naming what is wrong (exit 2)."""
    from alephtx.core.data.catalog import Catalog, CatalogError
    from alephtx.core.data.source import MarketSource

    try:
        return MarketSource.of_dataset(Catalog(catalog or (data_dir() / "catalog")), data, start, end)
    except (CatalogError, FieldError) as exc:
        raise fail(f"{command}: {exc}") from None


def is_dataset_name(text: str) -> bool:
    """``venue/market/symbol`` that is not a file here: a dataset of the catalog."""
    return bool(DATASET_NAME.match(text)) and not Path(text).exists()


def _instrument_of(path: Path, symbol: str, command: str) -> tuple[Instrument, str]:
    """A capture of another symbol than the configured one: its venue's instrument table, cached
    by an earlier run; else the decimal places its book's prices and sizes are written with (a
    venue writes them at its precision: exact for storing and rebuilding the book; a paper venue's
    tick for orders comes from its own config). Said on stderr either way."""
    from alephtx.core.replay.captures import capture_venue, data_places
    from alephtx.core.venues.instruments import cached_instrument

    venue = capture_venue(path) or "binance-usdm"
    listed = cached_instrument(venue, symbol)
    if listed is not None:
        inst, fetched = listed
        when = datetime.datetime.fromtimestamp(fetched / 1e9, tz=datetime.UTC).strftime("%Y-%m-%d")
        errors.print(
            f"{command}: {symbol}'s tick {inst.tick_size} and lot {inst.lot_size} "
            f"from {venue}'s instrument table (cached {when})"
        )
        return inst, symbol
    places = data_places(path)
    if places is None:
        raise fail(
            f"{command}: {path.name} holds {symbol}, whose tick and lot are in no cached instrument table and not "
            "in its first lines; pass --tick-size and --lot-size (the venue's instrument listing states them)"
        )
    tick, lot = (("1" if n == 0 else "0." + "0" * (n - 1) + "1") for n in places)
    errors.print(
        f"{command}: {symbol}'s precision read from the data (prices to {tick}, sizes to {lot}); "
        "--tick-size and --lot-size override"
    )
    try:
        return Instrument.from_strings(venue, symbol, "perp", tick, lot), symbol
    except FieldError as exc:
        raise fail(f"{command}: {exc}") from None


def file_progress(verb: str, path: Path, transient: bool) -> Progress:
    """A progress bar over a file's bytes, on stderr (stdout stays the command's output)."""
    return Progress(
        TextColumn(f"[bold]{verb}[/bold] " + path.name),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=transient,
    )


@app.command()
def replay(
    file: Annotated[
        str | None,
        typer.Argument(
            help="A Binance or Hyperliquid capture (.gz or text; a pipe too), or a catalog dataset "
            "(venue/market/symbol, see `aleph data ls`); default: the sample.",
            show_default=False,
        ),
    ] = None,
    symbol: Annotated[str | None, typer.Option(help="Instrument symbol (default: the capture's own).")] = None,
    tick_size: Annotated[str | None, typer.Option(help="Price tick, e.g. 0.10 (default from config).")] = None,
    lot_size: Annotated[str | None, typer.Option(help="Size step, e.g. 0.001 (default from config).")] = None,
    catalog: DatasetCatalogOpt = None,
    start: FromOpt = "",
    end: ToOpt = "",
    json_out: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    config_path: ConfigOpt = None,
) -> None:
    """Replay a recorded capture, or a dataset of the catalog, through the order book and
    summarise what it saw.

    Exits 1 (after the summary) when no book could be built, when the book is stale at the end
    (a gap with no snapshot after it) or when the file could not be read to its end."""
    from alephtx.core.config.resources import sample_capture
    from alephtx.core.replay.binance_capture import CaptureError
    from alephtx.core.replay.book_replay import replay_book

    cfg = _config(config_path).replay
    if file is not None and is_dataset_name(file):
        if symbol or tick_size or lot_size:
            raise fail("replay: a dataset states its instrument; --symbol, --tick-size and --lot-size are for captures")
        return _replay_dataset(market_source(file, catalog, start, end, "replay"), json_out)
    if catalog or start or end:
        raise fail("replay: --catalog, --from and --to read a dataset (venue/market/symbol); a capture is read whole")
    path = Path(file) if file else (Path(cfg.path) if cfg.path else sample_capture())
    if not path.exists():
        raise fail(f"replay: file {path} does not exist")
    if path.is_dir():
        raise fail(f"replay: {path} is a folder, not a capture file")
    regular = path.is_file()
    inst, found = capture_instrument(cfg, path, symbol, tick_size, lot_size, "replay")
    with file_progress("replay", path, transient=json_out) as bar:
        task = bar.add_task("replay", total=path.stat().st_size if regular else None)
        try:
            s = replay_book(
                path, inst, on_progress=lambda done, total: bar.update(task, completed=done, total=total or None)
            )
        except CaptureError as exc:
            raise fail(f"replay: {exc}") from None
    _replay_report(str(path), path.name, f"{s.venue or cfg.venue}:{inst.symbol}", inst, s, found, json_out)


def _replay_dataset(source: Any, json_out: bool) -> None:
    from alephtx.core.data.book_check import replay_dataset

    ds = source.info()
    inst = Instrument.from_strings(ds.venue, ds.symbol, "perp", ds.tick_size, ds.lot_size)
    with Progress(
        TextColumn("[bold]replay[/bold] " + source.name),
        BarColumn(),
        TextColumn("{task.completed:,} events"),
        console=Console(stderr=True),
        transient=json_out,
    ) as bar:
        task = bar.add_task("replay", total=source.events_hint() or None)
        s = replay_dataset(source, inst, lambda done, total: bar.update(task, completed=done, total=total))
    _replay_report(source.name, source.name, f"{ds.venue}:{ds.symbol}", inst, s, ds.symbol, json_out)


def _replay_report(where: str, title: str, key: str, inst: Instrument, s: Any, found: str, json_out: bool) -> None:
    fp, fs = inst.format_price, inst.format_size
    top = {
        "best_bid": [fp(s.best_bid[0]), fs(s.best_bid[1])] if s.best_bid else None,
        "best_ask": [fp(s.best_ask[0]), fs(s.best_ask[1])] if s.best_ask else None,
    }
    covered = round((s.last_recv_ns - s.first_recv_ns) / 1e9, 3) if s.first_recv_ns else None
    summary = {
        "file": where,
        "instrument": key,
        "market": s.market or None,
        "capture_symbol": found or None,
        "lines": s.lines,
        "messages": dict(s.messages),
        "level_updates": s.level_updates,
        "diffs_skipped_before_snapshot": s.skipped_old,
        "gaps": s.gaps,
        "crossed": s.crossed,
        "diffs_waiting_for_snapshot": s.waiting,
        "bad_lines": len(s.bad_lines),
        "bad_lines_by_reason": [{"reason": r, "count": n, "first_line": first} for r, n, first in s.bad_reasons()],
        **top,
        "stale": s.stale,
        "matches_last_book_ticker": s.matches_ticker if s.book_built else None,
        "capture_seconds": covered,
        "seconds": round(s.seconds, 3),
        "problems": s.problems,
    }
    if json_out:
        print(json.dumps(summary))
    else:
        _replay_table(title, key, s, top, covered, dataset=where == title)
    if s.problems:
        raise typer.Exit(1)


def _replay_table(title: str, key: str, s: Any, top: dict[str, Any], covered: float | None, dataset: bool) -> None:
    table = Table(title=f"Replay of {title} ({key}, {s.market or 'no depth read'})", show_header=False)
    table.add_row("lines read" if not dataset else "events read", f"{s.lines:,}")
    for kind, n in sorted(s.messages.items()):
        table.add_row(f"{kind} messages", f"{n:,}")
    table.add_row("level updates applied", f"{s.level_updates:,}")
    table.add_row("diffs older than the snapshot (dropped)", f"{s.skipped_old:,}")
    table.add_row("diffs waiting for a snapshot that never came", f"{s.waiting:,}")
    table.add_row("sequence gaps", f"{s.gaps:,}")
    table.add_row("crossed books", f"{s.crossed:,}")
    table.add_row("bad lines", f"{len(s.bad_lines):,}")
    if s.book_built:
        stale = " [red](STALE: a gap with no snapshot after it)[/red]" if s.stale else ""
        bid, ask = top["best_bid"], top["best_ask"]
        table.add_row("final best bid", (f"{bid[0]} ({bid[1]})" if bid else "none") + stale)
        table.add_row("final best ask", (f"{ask[0]} ({ask[1]})" if ask else "none") + stale)
        table.add_row(
            "equals the last bookTicker", {True: "yes", False: "[red]NO[/red]", None: "no ticker"}[s.matches_ticker]
        )
    else:
        table.add_row("final top of book", "[red]none: no book could be built[/red]")
    table.add_row("market time covered", f"{covered:,.1f} s" if covered is not None else "none (no message read)")
    rate = (sum(s.messages.values()) / s.seconds) if s.seconds else 0.0
    table.add_row("time taken", f"{s.seconds:.3f} s ({rate:,.0f} messages/s)")
    console.print(table)
    for reason, n, first in s.bad_reasons()[:8]:
        console.print(f"[yellow]{n:,} bad line(s), first at line {first}: {reason}[/yellow]")
    for problem in s.problems:
        console.print(f"[red]replay: {problem}[/red]")


# Commands that live in their own modules register themselves on `app` when imported.
from alephtx.cli import agent as _agent  # noqa: E402, F401
from alephtx.cli import backtest as _backtest  # noqa: E402, F401
from alephtx.cli import data as _data  # noqa: E402, F401
from alephtx.cli import emulator as _emulator  # noqa: E402, F401
from alephtx.cli import init as _init  # noqa: E402, F401
from alephtx.cli import mev as _mev  # noqa: E402, F401
from alephtx.cli import node as _node  # noqa: E402, F401
from alephtx.cli import operator as _operator  # noqa: E402, F401
from alephtx.cli import paper as _paper  # noqa: E402, F401
from alephtx.cli import risk as _risk  # noqa: E402, F401
from alephtx.cli import strategy as _strategy  # noqa: E402, F401
from alephtx.cli import up as _up  # noqa: E402, F401
from alephtx.cli import venues as _venues  # noqa: E402, F401


def main() -> None:
    """The `aleph` script. A journal that another engine holds, or that is damaged, a capture
    that cannot be read to its end and a damaged catalog are a message and exit 2 from every
    command, never a traceback."""
    from alephtx.core.data.catalog import CatalogError
    from alephtx.core.journal import JournalError
    from alephtx.core.replay.binance_capture import CaptureError

    try:
        app(prog_name="aleph")  # the same name in help and errors for `python -m alephtx.cli`
    except (JournalError, CaptureError, CatalogError) as exc:
        raise SystemExit(fail(str(exc)).exit_code) from None
