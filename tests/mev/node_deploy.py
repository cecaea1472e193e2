"""Deploy the npm Uniswap V2 artifacts on a real local node (ganache) through its JSON-RPC."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_abi import encode as abi_encode
from web3 import Web3

from alephtx.core.mev.evm import calldata
from alephtx.core.mev.uniswap_v2_evm import artifact_bytecode


@dataclass
class NodeUniswap:
    w3: Web3
    owner: str
    router: str
    factory: str
    x: str
    y: str

    def send(self, to: str, data: bytes, sender: str | None = None, gas: int = 500_000) -> str:
        tx: dict[str, Any] = {"from": sender or self.owner, "to": to, "data": data, "gas": gas}
        return self.w3.eth.send_transaction(tx).hex()  # type: ignore[arg-type]

    def pair(self) -> str:
        out = self.w3.eth.call({"to": self.factory, "data": calldata("getPair(address,address)", [self.x, self.y])})  # type: ignore[typeddict-item]
        return Web3.to_checksum_address(out[-20:])

    def reserves_xy(self) -> tuple[int, int]:
        pair = self.pair()
        raw = self.w3.eth.call({"to": pair, "data": calldata("getReserves()")})  # type: ignore[typeddict-item]
        r0, r1 = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:64], "big")
        token0 = self.w3.eth.call({"to": pair, "data": calldata("token0()")})  # type: ignore[typeddict-item]
        return (r0, r1) if Web3.to_checksum_address(token0[-20:]) == self.x else (r1, r0)


def _deploy(w3: Web3, owner: str, code: bytes, types: list[str] | None = None, args: list[Any] | None = None) -> str:
    data = code + (abi_encode(types, args) if types else b"")
    tx_hash = w3.eth.send_transaction({"from": owner, "data": data, "gas": 6_000_000})  # type: ignore[typeddict-item]
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)
    assert receipt["status"] == 1, receipt
    return str(receipt["contractAddress"])


def deploy_uniswap(url: str, reserve_x: int, reserve_y: int) -> NodeUniswap:
    w3 = Web3(Web3.HTTPProvider(url))
    owner = w3.eth.accounts[0]
    weth = _deploy(w3, owner, artifact_bytecode("v2-periphery", "WETH9"))
    factory = _deploy(w3, owner, artifact_bytecode("v2-core", "UniswapV2Factory"), ["address"], [owner])
    router = _deploy(
        w3, owner, artifact_bytecode("v2-periphery", "UniswapV2Router02"), ["address", "address"], [factory, weth]
    )
    x = _deploy(w3, owner, artifact_bytecode("v2-core", "ERC20"), ["uint256"], [10**30])
    y = _deploy(w3, owner, artifact_bytecode("v2-core", "ERC20"), ["uint256"], [10**30])
    uni = NodeUniswap(w3, owner, router, factory, x, y)
    for token in (x, y):
        w3.eth.wait_for_transaction_receipt(uni.send(token, calldata("approve(address,uint256)", [router, 2**256 - 1])))
    add = calldata(
        "addLiquidity(address,address,uint256,uint256,uint256,uint256,address,uint256)",
        [x, y, reserve_x, reserve_y, 0, 0, owner, 2**40],
    )
    receipt = w3.eth.wait_for_transaction_receipt(uni.send(router, add, gas=5_000_000))
    assert receipt["status"] == 1
    return uni
