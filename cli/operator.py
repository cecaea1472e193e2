"""The operator's commands on a running node: `aleph status`, `positions`, `orders`, `fills`,
`tickets`, `approve`. Each asks the node given by ``--node HOST:PORT`` (else ``ALEPH_NODE``,
else 127.0.0.1:50051) over gRPC and prints a table, or JSON with ``--json``."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict, is_dataclass
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from alephtx.cli.main import app, console, fail
from alephtx.core.errors import AlephError, FieldError

T = TypeVar("T")
# Client ids, instruments and reasons are long: tables at least 160 columns wide, also in a pipe.
WIDE = Console(width=max(console.width, 160))

NodeOpt = Annotated[
    str | None,
    typer.Option("--node", help="The node, HOST:PORT (default: ALEPH_NODE, else 127.0.0.1:50051)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def ask(node: str | None, call: Callable[[Any], Awaitable[T]]) -> T:
    """Run ``call(remote engine)`` against the node; its refusals become this command's error."""
    from alephtx.core.server.client import RemoteEngine

    async def main() -> T:
        remote = RemoteEngine(node)
        try:
            return await call(remote)
        finally:
            await remote.close()

    try:
        return asyncio.run(main())
    except FieldError as exc:
        raise fail(f"{exc.field}: {exc.rule}") from None
    except (AlephError, PermissionError) as exc:
        raise fail(str(exc)) from None


def plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def show_rows(title: str, rows: list[Any], columns: tuple[str, ...], json_out: bool) -> None:
    if json_out:
        print(json.dumps(plain(rows), default=str))
        return
    table = Table(title=title)
    for c in columns:
        table.add_column(c, overflow="fold")
    for r in rows:
        table.add_row(*("" if getattr(r, c) is None else str(getattr(r, c)) for c in columns))
    WIDE.print(table)
    if not rows:
        console.print("(none)")


@app.command()
def status(node: NodeOpt = None, json_out: JsonOpt = False) -> None:
    """The node: venues and their state, trading state (and why it is halted), strategies, PnL."""
    st = ask(node, lambda r: r.status())
    if json_out:
        print(json.dumps(plain(st), default=str))
        return
    a = st.account
    state = st.trading_state + (f" ({st.halt_reason})" if st.halt_reason else "")
    console.print(f"[bold]{st.node}[/bold]: {state}; up {st.uptime_s:.0f} s")
    console.print(f"equity {a.equity_usd} USD (start {a.start_usd}, PnL {a.pnl_usd})")
    console.print(f"{a.fills} fills, {a.open_orders} open orders")
    show_rows("venues", list(st.venues), ("name", "kind", "connected", "market", "halted", "reconciliation"), False)
    show_rows("strategies", list(st.strategies), ("name", "state", "orders_sent", "error"), False)


@app.command()
def positions(node: NodeOpt = None, json_out: JsonOpt = False) -> None:
    """Positions by instrument, with realised PnL and fees."""
    rows = ask(node, lambda r: r.positions())
    show_rows("positions", rows, ("instrument", "quantity", "realised_pnl", "fees"), json_out)


@app.command()
def orders(
    node: NodeOpt = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only the orders still working.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """The node's orders (every one, or with --open those still working) and who sent them."""
    rows = ask(node, lambda r: r.orders(open_only))
    cols = ("client_id", "instrument", "side", "type", "quantity", "price", "filled", "status", "origin")
    show_rows("open orders" if open_only else "orders", rows, cols, json_out)


@app.command()
def fills(
    node: NodeOpt = None,
    limit: Annotated[int, typer.Option(help="The latest this many (1 to 10000).", min=1, max=10_000)] = 100,
    json_out: JsonOpt = False,
) -> None:
    """The node's latest fills."""
    rows = ask(node, lambda r: r.fills(limit))
    cols = ("client_id", "instrument", "side", "price", "quantity", "fee", "liquidity", "origin")
    show_rows("fills", rows, cols, json_out)


@app.command()
def tickets(node: NodeOpt = None, json_out: JsonOpt = False) -> None:
    """Order tickets waiting for a person's approval (from the agent or MCP clients)."""
    rows = ask(node, lambda r: r.waiting_tickets())
    cols = ("ticket_id", "instrument", "side", "type", "quantity", "price", "notional_usd", "origin", "expires_in_s")
    show_rows("tickets waiting for approval", rows, cols, json_out)


@app.command()
def approve(
    ticket_id: Annotated[str, typer.Argument(help="The ticket to approve (see `aleph tickets`).")],
    node: NodeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Approve a ticket as the operator (needs ALEPH_OPERATOR_TOKEN, the node's). Its proposer
    confirms it afterwards."""
    view = ask(node, lambda r: r.approve(ticket_id, "operator"))
    if json_out:
        print(json.dumps(plain(view), default=str))
    else:
        console.print(f"ticket {view.ticket_id} approved: {view.side} {view.quantity} {view.instrument}")
