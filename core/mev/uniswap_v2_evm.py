"""The real Uniswap V2 contracts in the in-memory EVM: factory, pair, router, WETH and ERC-20s.

The bytecode comes from the @uniswap/v2-core and @uniswap/v2-periphery packages of the npm
registry (their build/*.json artifacts), installed by ``make node-deps`` into tests/node; it is
never copied into the repository. ``ALEPH_NODE_MODULES`` points elsewhere when needed.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from alephtx.core.errors import FieldError
from alephtx.core.mev.evm import Chain

__all__ = ["UniswapV2", "artifact_bytecode", "node_modules"]

_PROJECT = Path(__file__).resolve().parents[2]
MAX_UINT = 2**256 - 1


def node_modules() -> Path:
    path = Path(os.environ.get("ALEPH_NODE_MODULES") or _PROJECT / "tests" / "node" / "node_modules")
    if not (path / "@uniswap" / "v2-core" / "build").is_dir():
        raise FieldError(
            "ALEPH_NODE_MODULES",
            str(path),
            "no @uniswap/v2-core build there: run `make node-deps` (npm ci in tests/node)",
        )
    return path


def artifact_bytecode(package: str, contract: str) -> bytes:
    """The creation bytecode of ``contract`` in ``@uniswap/<package>/build``."""
    path = node_modules() / "@uniswap" / package / "build" / f"{contract}.json"
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise FieldError("contract", f"{package}/{contract}", f"no artifact at {path}") from None
    code = data.get("bytecode") or data.get("evm", {}).get("bytecode", {}).get("object", "")
    return bytes.fromhex(code.removeprefix("0x"))


@dataclass
class UniswapV2:
    """A deployed Uniswap V2: ``deploy`` it, make tokens, add liquidity, swap through the router."""

    chain: Chain
    deployer: str
    factory: str
    router: str
    weth: str

    @classmethod
    def deploy(cls, chain: Chain, deployer: str) -> UniswapV2:
        weth = chain.deploy(deployer, artifact_bytecode("v2-periphery", "WETH9"))
        factory = chain.deploy(deployer, artifact_bytecode("v2-core", "UniswapV2Factory"), ["address"], [deployer])
        router = chain.deploy(
            deployer, artifact_bytecode("v2-periphery", "UniswapV2Router02"), ["address", "address"], [factory, weth]
        )
        return cls(chain, deployer, factory, router, weth)

    def token(self, supply: int, owner: str | None = None) -> str:
        """A plain ERC-20 (v2-core's test ERC20) with ``supply`` minted to ``owner``."""
        owner = owner or self.deployer
        return self.chain.deploy(owner, artifact_bytecode("v2-core", "ERC20"), ["uint256"], [supply])

    def approve(self, owner: str, token: str, spender: str | None = None) -> None:
        self._ok(
            self.chain.call(owner, token, "approve(address,uint256)", [spender or self.router, MAX_UINT]), "approve"
        )

    def transfer(self, owner: str, token: str, to: str, amount: int) -> None:
        self._ok(self.chain.call(owner, token, "transfer(address,uint256)", [to, amount]), "transfer")

    def add_liquidity(self, owner: str, token_a: str, token_b: str, amount_a: int, amount_b: int) -> str:
        """Seed (or add to) the pair through the router; returns the pair's address."""
        self.approve(owner, token_a)
        self.approve(owner, token_b)
        args = [token_a, token_b, amount_a, amount_b, 0, 0, owner, 2**40]
        self._ok(
            self.chain.call(
                owner, self.router,
                "addLiquidity(address,address,uint256,uint256,uint256,uint256,address,uint256)", args,
            ),
            "addLiquidity",
        )  # fmt: skip
        return self.pair(token_a, token_b)

    def pair(self, token_a: str, token_b: str) -> str:
        return str(self.chain.view(self.factory, "getPair(address,address)", [token_a, token_b], ["address"])[0])

    def reserves(self, token_in: str, token_out: str) -> tuple[int, int]:
        """The pair's reserves ordered as (reserve of token_in, reserve of token_out)."""
        pair = self.pair(token_in, token_out)
        r0, r1, _ = self.chain.view(pair, "getReserves()", [], ["uint112", "uint112", "uint32"])
        token0 = self.chain.view(pair, "token0()", [], ["address"])[0]
        return (int(r0), int(r1)) if str(token0).lower() == token_in.lower() else (int(r1), int(r0))

    def swap_exact_in(self, sender: str, amount_in: int, path: list[str], min_out: int = 0) -> int:
        """swapExactTokensForTokens; returns what the last hop paid (raises on a revert)."""
        self.approve(sender, path[0])
        result = self.chain.call(
            sender, self.router,
            "swapExactTokensForTokens(uint256,uint256,address[],address,uint256)",
            [amount_in, min_out, path, sender, 2**40],
        )  # fmt: skip
        self._ok(result, "swapExactTokensForTokens")
        return int(result.decode(["uint256[]"])[0][-1])

    @staticmethod
    def _ok(result: object, what: str) -> None:
        if not getattr(result, "success", False):
            raise FieldError(what, getattr(result, "reason", ""), "reverted in the EVM")
