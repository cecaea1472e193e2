"""A scanner over many V2 pools: for each pending swap, its sandwich exposure and the backruns it
leaves between pools of the same pair.

Backruns are the operator's to take (they trade after the swap and do not touch it); sandwich
exposure is reported so that the operator sees what others could take from that swap, and from
its own swaps before it sends them. The scanner never proposes front-running anyone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from alephtx.core.errors import FieldError
from alephtx.core.mev import backrun, sandwich

__all__ = ["Pool", "PoolIndex", "Swap", "scan"]


@dataclass(frozen=True, slots=True)
class Pool:
    address: str
    token0: str
    token1: str
    reserve0: int
    reserve1: int
    fee_bps: int = 30

    def reserves(self, token_in: str) -> tuple[int, int]:
        if token_in == self.token0:
            return self.reserve0, self.reserve1
        if token_in == self.token1:
            return self.reserve1, self.reserve0
        raise FieldError("token_in", token_in, f"not a token of pool {self.address}")


@dataclass(frozen=True, slots=True)
class Swap:
    """A pending exact-input swap on one pool (what ``decode_swap`` gives for a one-hop V2 path)."""

    tx_hash: str
    pool: str
    token_in: str
    amount_in: int
    min_out: int


class PoolIndex:
    def __init__(self, pools: Iterable[Pool] = ()) -> None:
        self.by_address: dict[str, Pool] = {}
        self.by_pair: dict[frozenset[str], list[Pool]] = defaultdict(list)
        for p in pools:
            self.add(p)

    def add(self, pool: Pool) -> None:
        self.by_address[pool.address] = pool
        self.by_pair[frozenset((pool.token0, pool.token1))].append(pool)

    def __len__(self) -> int:
        return len(self.by_address)


def scan(
    index: PoolIndex,
    swaps: Iterable[Swap],
    *,
    gas_cost: int = 0,
    sandwich_search: Callable[..., dict[str, Any]] = sandwich.optimal_frontrun_v2,
) -> list[dict[str, Any]]:
    """Every exposure and profitable backrun the pending ``swaps`` create, best first.

    ``gas_cost`` is in the input token's units (what a sandwich or a backrun would burn);
    ``sandwich_search`` is replaceable so that the benchmark can run a plain search beside it."""
    found: list[dict[str, Any]] = []
    for s in swaps:
        pool = index.by_address.get(s.pool)
        if pool is None:
            continue
        r_in, r_out = pool.reserves(s.token_in)
        attack = sandwich_search(r_in, r_out, s.amount_in, s.min_out, pool.fee_bps)
        if attack["frontrun_in"] and attack["profit"] > gas_cost:
            found.append(
                {"kind": "sandwich_exposure", "tx": s.tx_hash, "pool": pool.address,
                 "extractable": attack["profit"] - gas_cost, "frontrun_in": attack["frontrun_in"]}
            )  # fmt: skip
        here = backrun.PoolV2(r_in, r_out, pool.fee_bps, pool.address)
        for other in index.by_pair[frozenset((pool.token0, pool.token1))]:
            if other is pool:
                continue
            o_in, o_out = other.reserves(s.token_in)
            plan = backrun.find_backrun(
                here, backrun.PoolV2(o_in, o_out, other.fee_bps, other.address), s.amount_in, True, gas_cost
            )
            if plan["profitable"]:
                found.append(
                    {"kind": "backrun", "tx": s.tx_hash, "buy_on": plan["buy_on"], "sell_on": plan["sell_on"],
                     "amount_in": plan["amount_in"], "profit": plan["net_profit"]}
                )  # fmt: skip
    found.sort(key=lambda o: o.get("profit", o.get("extractable", 0)), reverse=True)
    return found
