"""Against a real local EVM node (ganache from npm): the mempool listener, fork mode, and bundles
sent to a loopback relay that checks the Flashbots signature."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from prometheus_client import generate_latest
from web3 import Web3

from alephtx.core.mev import sandwich, univ2
from alephtx.core.mev.bundles import (
    BundleRelay,
    RelayError,
    flashbots_signature,
    send_bundle_body,
    verify_flashbots_signature,
)
from alephtx.core.mev.evm import Chain, calldata
from alephtx.core.mev.mempool import MempoolListener
from alephtx.core.signers.evm import EvmSigner
from tests.mev.node_deploy import NodeUniswap, deploy_uniswap

SWAP = "swapExactTokensForTokens(uint256,uint256,address[],address,uint256)"
RX, RY = 1_000 * 10**18, 2_000_000 * 10**18


@pytest.fixture(scope="module")
def node_uniswap(evm_node: str) -> NodeUniswap:
    return deploy_uniswap(evm_node, RX, RY)


def _ws(url: str) -> str:
    return url.replace("http://", "ws://")


async def _until(cond: object, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not cond():  # type: ignore[operator]
            await asyncio.sleep(0.02)


@pytest.mark.asyncio
async def test_pending_swaps_are_decoded_and_analysed(evm_node: str, node_uniswap: NodeUniswap) -> None:
    uni = node_uniswap
    w3 = uni.w3
    trader = w3.eth.accounts[1]
    uni.send(uni.x, calldata("transfer(address,uint256)", [trader, 10**22]))
    uni.send(uni.x, calldata("approve(address,uint256)", [uni.router, 2**256 - 1]), sender=trader)
    w3.provider.make_request("miner_stop", [])  # type: ignore[arg-type]
    listener = MempoolListener(_ws(evm_node), queue_size=2)
    task = asyncio.create_task(listener.run())
    try:
        await asyncio.wait_for(listener.ready.wait(), 10)
        expected = univ2.get_amount_out(10 * 10**18, RX, RY)
        min_out = expected * 98 // 100
        sent = uni.send(
            uni.router, calldata(SWAP, [10 * 10**18, min_out, [uni.x, uni.y], trader, 2**40]), sender=trader
        )
        uni.send(trader, b"", gas=21_000)  # a plain transfer: seen, not a swap
        uni.send(uni.router, bytes.fromhex("38ed1739") + b"\x01" * 7)  # a swap selector with broken arguments
        await _until(lambda: listener.stats()["seen"] >= 3 and listener.stats()["malformed"] == 1)
        pending = await asyncio.wait_for(listener.queue.get(), 5)
        assert "0x" + pending.tx_hash.removeprefix("0x") == "0x" + sent.removeprefix("0x")
        assert pending.swap.function == "swapExactTokensForTokens"
        assert pending.swap.path == (uni.x, uni.y)
        assert (pending.swap.amount_in, pending.swap.amount_out_min) == (10 * 10**18, min_out)
        # The analysis on the node's live reserves: a 2% bound leaves a sandwich to take.
        rx, ry = uni.reserves_xy()
        exposure = sandwich.exposure_v2(rx, ry, pending.swap.amount_in or 0, pending.swap.amount_out_min or 0)
        assert exposure["max_extractable"] > 0 and exposure["safe_min_out"] > min_out
        # A full queue drops the newest and counts it.
        for _ in range(3):
            uni.send(uni.router, calldata(SWAP, [10**18, 0, [uni.x, uni.y], trader, 2**40]), sender=trader)
        await _until(lambda: listener.stats()["dropped"] == 1)
        assert listener.stats()["queued"] == 2
        assert "aleph_mempool_dropped_total 1.0" in generate_latest(listener.registry).decode()
    finally:
        task.cancel()
        w3.provider.make_request("miner_start", [])  # type: ignore[arg-type]


def test_fork_mode_reads_the_nodes_state_and_simulates_on_it(node_uniswap: NodeUniswap, evm_node: str) -> None:
    uni = node_uniswap
    rx, ry = uni.reserves_xy()
    chain = Chain(fork_url=evm_node, fork_block=uni.w3.eth.block_number)
    who = uni.w3.eth.accounts[2]
    chain.set_balance(who, 10**20)
    # The fork sees the node's contracts and balances.
    on_node = uni.w3.eth.call({"to": uni.x, "data": calldata("balanceOf(address)", [uni.owner])})  # type: ignore[typeddict-item]
    assert chain.token_balance(uni.x, uni.owner) == int.from_bytes(on_node, "big") > 0
    # Simulate a swap on the forked state: what the exact maths says, and the node is untouched.
    owner = Web3.to_checksum_address(uni.owner)
    result = chain.call(owner, uni.router, SWAP, [5 * 10**18, 0, [uni.x, uni.y], owner, 2**40])
    assert result.success, result.reason
    assert result.decode(["uint256[]"])[0][-1] == univ2.get_amount_out(5 * 10**18, rx, ry)
    assert uni.reserves_xy() == (rx, ry)


@pytest.fixture
async def relay() -> AsyncIterator[tuple[str, list[dict[str, object]]]]:
    """A loopback relay that speaks eth_sendBundle and checks X-Flashbots-Signature like a real one."""
    received: list[dict[str, object]] = []

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        try:
            searcher = verify_flashbots_signature(body, request.headers.get("X-Flashbots-Signature", ""))
        except ValueError as exc:
            return web.json_response({"jsonrpc": "2.0", "id": 1, "error": {"code": -32600, "message": str(exc)}})
        msg = json.loads(body)
        received.append({"searcher": searcher, **msg})
        digest = Web3.keccak(text=json.dumps(msg["params"][0]["txs"])).hex()
        return web.json_response(
            {"jsonrpc": "2.0", "id": msg["id"], "result": {"bundleHash": "0x" + digest.removeprefix("0x")}}
        )

    app = web.Application()
    app.router.add_post("/", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/", received
    finally:
        await runner.cleanup()


@pytest.mark.asyncio
async def test_bundle_goes_to_the_relay_signed_by_the_searcher_key(relay: tuple[str, list[dict[str, object]]]) -> None:
    url, received = relay
    searcher_key = "0x" + "5a" * 32  # a throwaway key: signs for a loopback relay only
    trader = EvmSigner("0x" + "6b" * 32)
    tx = trader.sign_transaction(
        {"nonce": 0, "gasPrice": 10**9, "gas": 21_000, "to": trader.address, "value": 1, "chainId": 1}
    )
    sender = BundleRelay.from_env(url, {"ALEPH_MEV_SEARCHER_KEY": searcher_key})
    result = await sender.send_bundle([tx], 123)
    assert result["bundleHash"].startswith("0x")
    assert received[0]["searcher"] == EvmSigner(searcher_key).address
    assert received[0]["params"] == [{"txs": [tx], "blockNumber": hex(123)}]
    # A header signed by another key over the same body is refused by the relay.
    body = send_bundle_body([tx], 124)
    other_signature = flashbots_signature(body, EvmSigner("0x" + "7c" * 32)).split(":")[1]
    forged_header = f"{EvmSigner(searcher_key).address}:{other_signature}"
    with pytest.raises(ValueError, match="not by this address"):
        verify_flashbots_signature(body, forged_header)
    # The key never shows in what the relay client says, even when the relay is gone.
    with pytest.raises(RelayError) as err:
        await BundleRelay("http://127.0.0.1:9/", EvmSigner(searcher_key), timeout_s=1).send_bundle([tx], 125)
    assert "5a5a5a" not in str(err.value) and "5a5a5a" not in repr(sender.signer)


def test_aleph_mev_watch_prints_the_exposure_of_a_pending_swap(evm_node: str, node_uniswap: NodeUniswap) -> None:
    import subprocess
    import sys
    import time

    uni = node_uniswap
    trader = uni.w3.eth.accounts[3]
    uni.send(uni.x, calldata("transfer(address,uint256)", [trader, 10**22]))
    uni.send(uni.x, calldata("approve(address,uint256)", [uni.router, 2**256 - 1]), sender=trader)
    rx, ry = uni.reserves_xy()
    uni.w3.provider.make_request("miner_stop", [])  # type: ignore[arg-type]
    proc = subprocess.Popen(
        [sys.executable, "-m", "alephtx.cli", "mev", "watch", "--rpc", _ws(evm_node), "--factory", uni.factory,
         "--seconds", "8", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        time.sleep(4)  # the command starts (imports, connects, subscribes)
        min_out = univ2.get_amount_out(5 * 10**18, rx, ry) * 97 // 100
        sent = uni.send(uni.router, calldata(SWAP, [5 * 10**18, min_out, [uni.x, uni.y], trader, 2**40]), sender=trader)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
        uni.w3.provider.make_request("miner_start", [])  # type: ignore[arg-type]
    assert proc.returncode == 0, err
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    swap = next(x for x in lines if x.get("tx", "").removeprefix("0x") == sent.removeprefix("0x"))
    expected = sandwich.exposure_v2(rx, ry, 5 * 10**18, min_out)
    assert swap["max_extractable"] == expected["max_extractable"] > 0
    assert swap["safe_min_out"] == expected["safe_min_out"]
    assert lines[-1]["stats"]["swaps"] >= 1


async def test_simulate_bundle_tool_on_a_fork_of_the_node(
    evm_node: str, node_uniswap: NodeUniswap, tmp_path: Path
) -> None:
    from mcp.shared.memory import create_connected_server_and_client_session

    from alephtx.tools.desk import Desk
    from alephtx.tools.server import build_server

    uni = node_uniswap
    signer = EvmSigner("0x" + "8d" * 32)  # a throwaway key, funded on the local node below
    uni.w3.eth.send_transaction({"from": uni.owner, "to": signer.address, "value": 10**18})  # type: ignore[typeddict-item]
    uni.send(uni.x, calldata("transfer(address,uint256)", [signer.address, 10**20]))
    nonce = uni.w3.eth.get_transaction_count(signer.address)  # type: ignore[arg-type]
    txs = [
        signer.sign_transaction({"nonce": nonce, "gasPrice": 10**9, "gas": 100_000, "to": uni.x, "value": 0, "chainId": 1337,
                                 "data": calldata("approve(address,uint256)", [uni.router, 2**256 - 1])}),
        signer.sign_transaction({"nonce": nonce + 1, "gasPrice": 10**9, "gas": 300_000, "to": uni.router, "value": 0,
                                 "chainId": 1337, "data": calldata(SWAP, [10**18, 0, [uni.x, uni.y], signer.address, 2**40])}),
    ]  # fmt: skip
    rx, ry = uni.reserves_xy()
    desk = await Desk.from_replay(tmp_path / "desk")
    async with create_connected_server_and_client_session(build_server(desk, rpc_urls=[evm_node])) as s:
        r = await s.call_tool(
            "simulate_bundle",
            {"rpc_url": evm_node, "transactions": txs, "tokens": {"Y": uni.y}, "profit_account": signer.address},
        )
    assert not r.isError, r.content
    report = r.structuredContent
    assert report["valid"] and [t["success"] for t in report["transactions"]] == [True, True]
    assert int(report["balance_changes"][signer.address]["Y"]) == univ2.get_amount_out(10**18, rx, ry)
    assert uni.reserves_xy() == (rx, ry)  # the node is untouched
