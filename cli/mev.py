"""`aleph mev`: what a swap will return and what a sandwich could take; a mempool watcher."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Annotated, Any

import typer
from rich.table import Table

from alephtx.cli.main import app, console, fail
from alephtx.core.errors import FieldError
from alephtx.core.redact import mask_url

mev_app = typer.Typer(help="MEV simulation and analysis (Uniswap V2/V3 maths, pyrevm, mempool).", no_args_is_help=True)
app.add_typer(mev_app, name="mev", help="Simulate swaps and bundles, measure sandwich exposure, watch a mempool.")


def _show(title: str, result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(result))
        return
    table = Table(title=title, show_header=False)
    for k, v in result.items():
        table.add_row(k.replace("_", " "), f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else str(v))
    console.print(table)


@mev_app.command("simulate")
def simulate(
    reserve_in: Annotated[int, typer.Option(help="Pool reserve of the token sold, in its smallest unit.")],
    reserve_out: Annotated[int, typer.Option(help="Pool reserve of the token bought.")],
    amount_in: Annotated[int, typer.Option(help="What the swap sells.")],
    min_out: Annotated[int, typer.Option(help="The swap's minimum output (its slippage bound).")] = 0,
    fee_bps: Annotated[int, typer.Option(help="Pool fee in basis points (Uniswap V2: 30).")] = 30,
    gas_cost: Annotated[int, typer.Option(help="An attacker's gas for two transactions, in the input token.")] = 0,
    evm: Annotated[
        bool, typer.Option("--evm", help="Also run the optimal sandwich in pyrevm on the real bytecode.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """A V2 swap: its output, how much a sandwich could take under its minimum, the safe minimum."""
    from alephtx.core.mev import sandwich

    try:
        exposure = sandwich.exposure_v2(reserve_in, reserve_out, amount_in, min_out, fee_bps, gas_cost)
    except FieldError as exc:
        raise fail(f"mev simulate: {exc}") from None
    if evm:
        exposure["evm_check"] = _evm_check(reserve_in, reserve_out, amount_in, min_out, fee_bps)
    _show("V2 swap and its sandwich exposure", exposure, as_json)


def _evm_check(r_in: int, r_out: int, amount_in: int, min_out: int, fee_bps: int) -> str:
    """Run the exposure's optimal sandwich through the real Uniswap V2 contracts in pyrevm."""
    from alephtx.core.mev import sandwich
    from alephtx.core.mev.evm import Chain
    from alephtx.core.mev.uniswap_v2_evm import UniswapV2

    if fee_bps != 30:
        return "skipped: the Uniswap V2 bytecode charges 30 bps"
    plan = sandwich.optimal_frontrun_v2(r_in, r_out, amount_in, min_out, fee_bps)
    chain, lp, trader, searcher = Chain(), "0x" + "11" * 20, "0x" + "22" * 20, "0x" + "33" * 20
    uni = UniswapV2.deploy(chain, lp)
    x, y = uni.token(2**200), uni.token(2**200)
    for who in (trader, searcher):
        uni.transfer(lp, x, who, 2**190)
    uni.add_liquidity(lp, x, y, r_in, r_out)
    fo = uni.swap_exact_in(searcher, plan["frontrun_in"], [x, y]) if plan["frontrun_in"] else 0
    vo = uni.swap_exact_in(trader, amount_in, [x, y], min_out)
    bo = uni.swap_exact_in(searcher, fo, [y, x]) if fo else 0
    same = (fo, vo, bo) == (plan["frontrun_out"], plan["victim_out"], plan["backrun_out"])
    return f"{'equal' if same else 'DIFFERENT'} to the wei (front {fo}, victim {vo}, back {bo})"


@mev_app.command("backrun")
def backrun_cmd(
    pool_a: Annotated[str, typer.Option(help="Pool A's reserves 'X,Y' (the pending swap trades here).")],
    pool_b: Annotated[str, typer.Option(help="Pool B's reserves 'X,Y' (same pair).")],
    pending_in: Annotated[int, typer.Option(help="What the pending swap sells on pool A.")],
    y_for_x: Annotated[bool, typer.Option("--y-for-x", help="The pending swap sells Y (default: sells X).")] = False,
    gas_cost: Annotated[int, typer.Option(help="The backrun's gas, in X.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The arbitrage a pending swap leaves between two pools: the best size and profit after gas."""
    from alephtx.core.mev import backrun

    try:
        a = backrun.PoolV2(*_pair("pool_a", pool_a), name="a")
        b = backrun.PoolV2(*_pair("pool_b", pool_b), name="b")
        result = backrun.find_backrun(a, b, pending_in, not y_for_x, gas_cost)
    except FieldError as exc:
        raise fail(f"mev backrun: {exc}") from None
    _show("Backrun after the pending swap", result, as_json)


def _pair(field: str, text: str) -> tuple[int, int]:
    try:
        x, y = (int(part) for part in text.split(","))
    except ValueError:
        raise FieldError(field, text, "must be two integers 'X,Y'") from None
    return x, y


@mev_app.command("watch")
def watch_cmd(
    rpc: Annotated[str, typer.Option(help="The node's WebSocket URL (ws://...).")],
    factory: Annotated[str, typer.Option(help="The Uniswap V2 factory whose pairs price the swaps.")],
    http: Annotated[str, typer.Option(help="The node's HTTP URL for eth_call (default: the ws URL as http).")] = "",
    seconds: Annotated[float, typer.Option(help="Stop after this many seconds (0: until Ctrl-C).")] = 0.0,
    queue: Annotated[int, typer.Option(help="Pending swaps held for analysis; more are dropped and counted.")] = 1024,
    gas_cost: Annotated[int, typer.Option(help="An attacker's gas, in the input token.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Watch pending transactions, decode router swaps and print each one's sandwich exposure."""
    from alephtx.core.mev.mempool import MempoolListener
    from alephtx.core.mev.watch import NodeReserves, watch

    try:
        listener = MempoolListener(rpc, queue_size=queue)
    except FieldError as exc:
        raise fail(f"mev watch: {exc}") from None
    http_url = http or rpc.replace("wss://", "https://").replace("ws://", "http://")

    def show(result: dict[str, Any]) -> None:
        if as_json:
            print(json.dumps(result), flush=True)
        elif "skipped" in result:
            console.print(f"{result['tx'][:12]}… {result['function']}: {result['skipped']}")
        else:
            console.print(
                f"{result['tx'][:12]}… {result['function']}: in {result['amount_in']:,} min {result['min_out']:,}"
                f" → extractable {result['max_extractable']:,}, safe min {result['safe_min_out']:,}"
            )

    try:
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C ends the watch; the counts still print
            asyncio.run(watch(listener, NodeReserves(http_url, factory), show, gas_cost=gas_cost, seconds=seconds))
    except (OSError, ConnectionError) as exc:
        raise fail(f"mev watch: {mask_url(rpc)}: {exc}") from None
    stats = listener.stats()
    if as_json:
        print(json.dumps({"stats": stats}), flush=True)
    else:
        console.print(", ".join(f"{k} {v:,}" for k, v in stats.items()))
