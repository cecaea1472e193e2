"""An in-memory EVM (revm through pyrevm) with ABI helpers: deploy, call, transact, roll back.

Fork mode reads the state of a live node by RPC URL at a block (``Chain(fork_url=...,
fork_block=...)``); state it touches is fetched lazily and kept in memory, nothing is written to
the node.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address
from pyrevm import EVM, BlockEnv, Env

from alephtx.core.errors import FieldError

__all__ = ["CallResult", "Chain", "revert_reason"]

_ERROR_STRING = keccak(text="Error(string)")[:4]
_PANIC = keccak(text="Panic(uint256)")[:4]
_OUTPUT = re.compile(r"output: (0x[0-9a-fA-F]*)")


def revert_reason(output: bytes) -> str:
    """A readable reason from revert data: Error(string), Panic(code), or the raw bytes."""
    if output[:4] == _ERROR_STRING:
        with contextlib.suppress(Exception):  # malformed revert data from a contract: shown raw below
            return str(abi_decode(["string"], output[4:])[0])
    if output[:4] == _PANIC and len(output) >= 36:
        return f"Panic(0x{int.from_bytes(output[4:36], 'big'):02x})"
    return "0x" + output.hex() if output else "reverted without a reason"


def _selector_and_types(signature: str) -> tuple[bytes, list[str]]:
    name, _, rest = signature.partition("(")
    if not name or not rest.endswith(")"):
        raise FieldError("signature", signature, "must look like 'transfer(address,uint256)'")
    inner = rest[:-1]
    types: list[str] = []
    depth, start = 0, 0
    for i, ch in enumerate(inner):  # split on top-level commas only: tuples nest
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            types.append(inner[start:i])
            start = i + 1
    if inner:
        types.append(inner[start:])
    return keccak(text=signature)[:4], types


def calldata(signature: str, args: Sequence[Any] = ()) -> bytes:
    """ABI-encoded call: ``calldata("transfer(address,uint256)", [to, amount])``."""
    sel, types = _selector_and_types(signature)
    if len(types) != len(args):
        raise FieldError("args", list(args), f"{signature} takes {len(types)} arguments")
    return sel + abi_encode(types, list(args))


@dataclass(frozen=True, slots=True)
class CallResult:
    success: bool
    output: bytes
    gas_used: int
    reason: str = ""  # the revert reason when not successful
    logs: tuple[Any, ...] = field(default=())

    def decode(self, types: Sequence[str]) -> tuple[Any, ...]:
        if not self.success:
            raise FieldError("call", self.reason, "reverted; nothing to decode")
        return tuple(abi_decode(list(types), self.output))


class Chain:
    """One EVM's state. Calls commit into the journal; ``snapshot``/``revert`` roll it back."""

    def __init__(
        self,
        *,
        fork_url: str | None = None,
        fork_block: int | str | None = None,
        timestamp: int = 1_700_000_000,
        block_number: int = 1,
    ) -> None:
        env = Env(block=BlockEnv(number=block_number, timestamp=timestamp))
        block = hex(fork_block) if isinstance(fork_block, int) else fork_block
        self.evm = EVM(env=env, fork_url=fork_url, fork_block=block) if fork_url else EVM(env=env)
        self.fork_url = fork_url

    # --- accounts -----------------------------------------------------------------------------------

    def set_balance(self, address: str, wei: int) -> None:
        self.evm.set_balance(address, wei)

    def balance(self, address: str) -> int:
        return int(self.evm.get_balance(address))

    # --- code -----------------------------------------------------------------------------------------

    def deploy(
        self, deployer: str, bytecode: bytes, ctor_types: Sequence[str] = (), ctor_args: Sequence[Any] = ()
    ) -> str:
        code = bytecode + (abi_encode(list(ctor_types), list(ctor_args)) if ctor_types else b"")
        try:
            return to_checksum_address(self.evm.deploy(deployer, code, gas=30_000_000))
        except RuntimeError as exc:
            raise FieldError(
                "bytecode", f"{len(bytecode)} bytes", f"deployment reverted: {self._reason(exc)}"
            ) from None

    # --- calls ----------------------------------------------------------------------------------------

    def transact(
        self,
        sender: str,
        to: str,
        data: bytes,
        *,
        value: int = 0,
        gas: int = 10_000_000,
        gas_price: int = 0,
    ) -> CallResult:
        """Run a call and keep its effects (until a ``revert`` to an earlier snapshot)."""
        try:
            out = self.evm.message_call(sender, to, data, value=value, gas=gas, gas_price=gas_price)
        except RuntimeError as exc:
            result = self.evm.result
            return CallResult(False, self._output(exc), result.gas_used if result else 0, self._reason(exc))
        result = self.evm.result
        logs = tuple(result.logs) if result is not None else ()
        return CallResult(True, bytes(out), result.gas_used if result else 0, "", logs)

    def call(self, sender: str, to: str, signature: str, args: Sequence[Any] = (), **kw: Any) -> CallResult:
        return self.transact(sender, to, calldata(signature, args), **kw)

    def view(self, to: str, signature: str, args: Sequence[Any], returns: Sequence[str]) -> tuple[Any, ...]:
        """A read: runs inside a snapshot that is rolled back, so nothing changes."""
        cp = self.evm.snapshot()
        try:
            return self.call("0x" + "00" * 19 + "01", to, signature, args).decode(returns)
        finally:
            self.evm.revert(cp)

    def token_balance(self, token: str, owner: str) -> int:
        return int(self.view(token, "balanceOf(address)", [owner], ["uint256"])[0])

    def snapshot(self) -> Any:
        return self.evm.snapshot()

    def revert(self, checkpoint: Any) -> None:
        self.evm.revert(checkpoint)

    @staticmethod
    def _output(exc: RuntimeError) -> bytes:
        m = _OUTPUT.search(str(exc))
        return bytes.fromhex(m.group(1)[2:]) if m else b""

    @classmethod
    def _reason(cls, exc: RuntimeError) -> str:
        out = cls._output(exc)
        if out:
            return revert_reason(out)
        text = str(exc)
        return text.split(" {", 1)[0] if text else "reverted"
