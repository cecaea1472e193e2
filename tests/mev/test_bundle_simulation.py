"""Bundles run atomically on a snapshot of the in-memory EVM: results, balance changes, rollback."""

from __future__ import annotations

import pytest

from alephtx.core.errors import FieldError
from alephtx.core.mev import sandwich, univ2
from alephtx.core.mev.bundle_sim import Call, decode_raw_transaction, simulate_bundle
from alephtx.core.mev.evm import calldata
from alephtx.core.signers.evm import EvmSigner
from tests.mev.conftest import LP, SEARCHER, TRADER, Market

SWAP = "swapExactTokensForTokens(uint256,uint256,address[],address,uint256)"
KEY = "0x" + "4c" * 32  # a throwaway test key: it signs loopback transactions only


def _swap(sender: str, market: Market, amount: int, path: list[str], min_out: int = 0, label: str = "") -> Call:
    data = calldata(SWAP, [amount, min_out, path, sender, 2**40])
    return Call(sender, market.uni.router, data, gas=300_000, gas_price=30 * 10**9, label=label)


def test_a_sandwich_bundle_reports_each_step_and_leaves_no_trace(market: Market) -> None:
    rx, ry = 1_000 * 10**18, 2_000_000 * 10**18
    market.uni.add_liquidity(LP, market.x, market.y, rx, ry)
    for who in (TRADER, SEARCHER):
        market.uni.approve(who, market.x)
        market.uni.approve(who, market.y)
    victim_in = 10 * 10**18
    victim_min = univ2.get_amount_out(victim_in, rx, ry) * 99 // 100
    plan = sandwich.optimal_frontrun_v2(rx, ry, victim_in, victim_min)
    bundle = [
        _swap(SEARCHER, market, plan["frontrun_in"], [market.x, market.y], label="frontrun"),
        _swap(TRADER, market, victim_in, [market.x, market.y], victim_min, label="victim"),
        _swap(SEARCHER, market, plan["frontrun_out"], [market.y, market.x], label="backrun"),
    ]
    report = simulate_bundle(
        market.chain, bundle, tokens={"X": market.x, "Y": market.y}, accounts=[TRADER],
        profit_account=SEARCHER, value_tokens=["X"],
    )  # fmt: skip
    assert report["valid"]
    assert [t["label"] for t in report["transactions"]] == ["frontrun", "victim", "backrun"]
    assert all(50_000 < t["gas_used"] < 200_000 for t in report["transactions"])
    assert report["balance_changes"][TRADER] == {"X": -victim_in, "Y": plan["victim_out"]}
    assert report["balance_changes"][SEARCHER] == {"X": plan["profit"]}
    gas = sum(t["gas_used"] for t in report["transactions"] if t["sender"] == SEARCHER) * 30 * 10**9
    assert report["gas_cost_wei"] == gas
    assert report["net_profit_wei"] == plan["profit"] - gas
    # Rolled back: the pool and the balances are as before.
    assert market.uni.reserves(market.x, market.y) == (rx, ry)
    assert market.chain.token_balance(market.x, SEARCHER) == 10**27


def test_a_reverting_transaction_makes_the_bundle_invalid_with_its_reason(market: Market) -> None:
    market.uni.add_liquidity(LP, market.x, market.y, 10**21, 10**21)
    market.uni.approve(TRADER, market.x)
    too_greedy = univ2.get_amount_out(10**18, 10**21, 10**21) + 1
    report = simulate_bundle(market.chain, [_swap(TRADER, market, 10**18, [market.x, market.y], too_greedy)])
    assert not report["valid"]
    assert report["transactions"][0]["revert_reason"] == "UniswapV2Router: INSUFFICIENT_OUTPUT_AMOUNT"


def test_signed_transactions_run_as_their_recovered_sender(market: Market) -> None:
    signer = EvmSigner(KEY)
    market.chain.set_balance(signer.address, 10**20)
    market.uni.add_liquidity(LP, market.x, market.y, 10**21, 10**21)
    market.uni.transfer(LP, market.x, signer.address, 10**19)
    approve = signer.sign_transaction(
        {"nonce": 0, "gasPrice": 10**9, "gas": 100_000, "to": market.x, "value": 0, "chainId": 1,
         "data": calldata("approve(address,uint256)", [market.uni.router, 2**256 - 1])}
    )  # fmt: skip
    swap = signer.sign_transaction(
        {"nonce": 1, "maxFeePerGas": 2 * 10**9, "maxPriorityFeePerGas": 10**9, "gas": 300_000, "to": market.uni.router,
         "value": 0, "chainId": 1, "data": calldata(SWAP, [10**18, 0, [market.x, market.y], signer.address, 2**40])}
    )  # fmt: skip
    call = decode_raw_transaction(swap)
    assert call.sender == signer.address and call.to == market.uni.router and call.gas_price == 2 * 10**9
    report = simulate_bundle(
        market.chain, [approve, swap], tokens={"Y": market.y}, profit_account=signer.address
    )  # fmt: skip
    assert report["valid"], report
    assert report["balance_changes"][signer.address]["Y"] == univ2.get_amount_out(10**18, 10**21, 10**21)
    gas_cost = report["transactions"][0]["gas_used"] * 10**9 + report["transactions"][1]["gas_used"] * 2 * 10**9
    assert report["gas_cost_wei"] == gas_cost and report["net_profit_wei"] == -gas_cost


def test_bad_bundles_are_refused_with_the_field() -> None:
    from alephtx.core.mev.evm import Chain

    with pytest.raises(FieldError, match="txs"):
        simulate_bundle(Chain(), [])
    with pytest.raises(FieldError, match="raw_transaction"):
        decode_raw_transaction("0xdeadbeef")
    with pytest.raises(FieldError, match="value_tokens"):
        simulate_bundle(Chain(), [Call(LP, TRADER)], value_tokens=["WETH"])
