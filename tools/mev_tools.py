"""The MEV simulation tools: what a swap returns, its sandwich exposure, a backrun's size, a
bundle's effect. All read-only: they simulate, nothing is sent."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from alephtx.core.errors import FieldError
from alephtx.core.mev import backrun, sandwich, univ2, univ3

__all__ = ["register"]


def _int(field: str, text: object) -> int:
    """Token amounts travel as decimal strings (JSON numbers lose precision past 2^53)."""
    if isinstance(text, bool) or not isinstance(text, str | int):
        raise FieldError(field, text, "an integer amount in the token's smallest unit, as a string")
    try:
        return int(text)
    except ValueError:
        raise FieldError(field, text, "an integer amount in the token's smallest unit, as a string") from None


def register(
    tool: Callable[[Any], Callable[[Callable[..., Any]], Any]], read: Any, rpc_urls: Sequence[str] = ()
) -> None:
    """``rpc_urls``: the only chain endpoints ``simulate_bundle`` may reach. A URL chosen by the
    model would be a request from this server to anywhere (SSRF), so it must be one of these."""
    allowed = tuple(rpc_urls)

    @tool(read)
    def simulate_swap(
        reserve_in: str,
        reserve_out: str,
        amount_in: str,
        fee_bps: int = 30,
        protocol: str = "v2",
        sqrt_price_x96: str = "",
        liquidity: str = "",
        fee_pips: int = 3000,
    ) -> dict[str, Any]:
        """What a swap returns, to the wei. v2: from the pool's reserves (fee in bps). v3: within
        the current tick range, from sqrt_price_x96 and liquidity (fee in pips); amounts are
        integer strings in the token's smallest unit."""
        if protocol == "v2":
            out = univ2.get_amount_out(
                _int("amount_in", amount_in), _int("reserve_in", reserve_in), _int("reserve_out", reserve_out), fee_bps
            )
            return {"protocol": "v2", "amount_out": str(out)}
        if protocol == "v3":
            price, liq, amount = (
                _int("sqrt_price_x96", sqrt_price_x96),
                _int("liquidity", liquidity),
                _int("amount_in", amount_in),
            )
            target = univ3.MIN_SQRT_RATIO + 1
            nxt, a_in, a_out, fee = univ3.compute_swap_step(price, target, liq, amount, fee_pips)
            return {
                "protocol": "v3",
                "amount_in": str(a_in),
                "amount_out": str(a_out),
                "fee": str(fee),
                "sqrt_price_x96_after": str(nxt),
                "note": "token0 in, within liquidity that holds to the minimum price",
            }
        raise FieldError("protocol", protocol, "'v2' or 'v3'")

    @tool(read)
    def sandwich_exposure(
        reserve_in: str, reserve_out: str, amount_in: str, min_out: str, fee_bps: int = 30, gas_cost: str = "0"
    ) -> dict[str, Any]:
        """How much a sandwich could take from a V2 swap under its minimum output, the front-run
        that does it, and the minimum (or private routing) that removes the exposure."""
        r = sandwich.exposure_v2(
            _int("reserve_in", reserve_in),
            _int("reserve_out", reserve_out),
            _int("amount_in", amount_in),
            _int("min_out", min_out),
            fee_bps,
            _int("gas_cost", gas_cost),
        )
        return {k: str(v) if isinstance(v, int) and not isinstance(v, bool) else v for k, v in r.items()}

    @tool(read)
    def find_backrun(
        pool_a_reserve_x: str,
        pool_a_reserve_y: str,
        pool_b_reserve_x: str,
        pool_b_reserve_y: str,
        pending_amount_in: str,
        pending_sells_x: bool = True,
        gas_cost: str = "0",
    ) -> dict[str, Any]:
        """The arbitrage a pending swap on pool A leaves against pool B (same pair): best size and
        profit after gas, in X."""
        a = backrun.PoolV2(
            _int("pool_a_reserve_x", pool_a_reserve_x), _int("pool_a_reserve_y", pool_a_reserve_y), name="a"
        )
        b = backrun.PoolV2(
            _int("pool_b_reserve_x", pool_b_reserve_x), _int("pool_b_reserve_y", pool_b_reserve_y), name="b"
        )
        r = backrun.find_backrun(
            a, b, _int("pending_amount_in", pending_amount_in), pending_sells_x, _int("gas_cost", gas_cost)
        )
        return {k: str(v) if isinstance(v, int) and not isinstance(v, bool) else v for k, v in r.items()}

    @tool(read)
    def simulate_bundle(
        rpc_url: str,
        transactions: list[str],
        block: int | None = None,
        accounts: list[str] | None = None,
        tokens: dict[str, str] | None = None,
        profit_account: str | None = None,
        value_tokens: list[str] | None = None,
    ) -> dict[str, Any]:
        """Run signed raw transactions (0x-hex) atomically on a fork of the node at rpc_url (at
        ``block``, default latest) and roll back: each one's success or revert reason and gas,
        balance changes of ``accounts`` in ether and ``tokens`` ({symbol: address}), and the
        net profit of ``profit_account``."""
        from alephtx.core.mev.bundle_sim import simulate_bundle as run
        from alephtx.core.mev.evm import Chain

        if not isinstance(rpc_url, str) or rpc_url not in allowed:
            rule = (
                f"must be one of the configured endpoints {list(allowed)}"
                if allowed
                else "no chain endpoint is configured (agent.rpc_urls)"
            )
            raise FieldError("rpc_url", rpc_url, rule)
        chain = Chain(fork_url=rpc_url, fork_block=block)
        report = run(
            chain,
            transactions,
            tokens=tokens or {},
            accounts=accounts or [],
            profit_account=profit_account,
            value_tokens=value_tokens or [],
        )
        return _stringify(report)


def _stringify(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _stringify(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_stringify(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**53:
        return str(value)
    return value
