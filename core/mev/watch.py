"""From the mempool to the analyses: each pending one-hop V2 swap gets its sandwich exposure,
priced on the pair's reserves read from the node (``eth_call`` getPair and getReserves)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from web3 import AsyncWeb3
from web3.providers import AsyncHTTPProvider

from alephtx.core.mev import sandwich
from alephtx.core.mev.evm import calldata
from alephtx.core.mev.mempool import MempoolListener, PendingSwap

__all__ = ["NodeReserves", "analyse", "watch"]

ReservesLookup = Callable[[str, str], Awaitable[tuple[int, int] | None]]


class NodeReserves:
    """Reserves of a V2 factory's pairs, read from the node over HTTP JSON-RPC."""

    def __init__(self, http_url: str, factory: str) -> None:
        self.w3 = AsyncWeb3(AsyncHTTPProvider(http_url))
        self.factory = AsyncWeb3.to_checksum_address(factory)

    async def __call__(self, token_in: str, token_out: str) -> tuple[int, int] | None:
        call = self.w3.eth.call
        raw = await call({"to": self.factory, "data": calldata("getPair(address,address)", [token_in, token_out])})
        pair = AsyncWeb3.to_checksum_address(raw[-20:])
        if int(pair, 16) == 0:
            return None
        r = await call({"to": pair, "data": calldata("getReserves()")})
        t0 = await call({"to": pair, "data": calldata("token0()")})
        r0, r1 = int.from_bytes(r[:32], "big"), int.from_bytes(r[32:64], "big")
        return (
            (r0, r1) if AsyncWeb3.to_checksum_address(t0[-20:]) == AsyncWeb3.to_checksum_address(token_in) else (r1, r0)
        )


async def analyse(pending: PendingSwap, reserves: ReservesLookup, gas_cost: int = 0) -> dict[str, Any]:
    """The exposure of one pending swap; ``skipped`` says why when it cannot be priced."""
    s = pending.swap
    out: dict[str, Any] = {"tx": pending.tx_hash, "function": s.function, "path": list(s.path)}
    if s.protocol != "v2" or len(s.path) != 2 or not s.exact_in or s.amount_in is None:
        return {**out, "skipped": "only one-hop exact-input V2 swaps are priced"}
    found = await reserves(s.path[0], s.path[1])
    if found is None:
        return {**out, "skipped": "no pair for this path on the configured factory"}
    r_in, r_out = found
    exposure = sandwich.exposure_v2(r_in, r_out, s.amount_in, s.amount_out_min or 0, gas_cost=gas_cost)
    return {**out, "amount_in": s.amount_in, "min_out": s.amount_out_min, "reserves": [r_in, r_out], **exposure}


async def watch(
    listener: MempoolListener,
    reserves: ReservesLookup,
    on_result: Callable[[dict[str, Any]], None],
    *,
    gas_cost: int = 0,
    seconds: float = 0.0,
) -> None:
    """Run the listener and analyse what it queues until cancelled (or for ``seconds``)."""
    listen = asyncio.create_task(listener.run())

    async def consume() -> None:
        while True:
            pending = await listener.queue.get()
            on_result(await analyse(pending, reserves, gas_cost))

    consumer = asyncio.create_task(consume())
    try:
        if seconds > 0:
            done, _ = await asyncio.wait({listen, consumer}, timeout=seconds, return_when=asyncio.FIRST_EXCEPTION)
        else:
            done, _ = await asyncio.wait({listen, consumer}, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            task.result()  # a failed listener (node gone) surfaces here
    finally:
        for task in (listen, consumer):
            task.cancel()
        await asyncio.gather(listen, consumer, return_exceptions=True)
