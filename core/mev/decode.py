"""Decode Uniswap V2 and V3 router swaps from a transaction's calldata (selector and arguments).

Unknown selectors decode to None (most pending transactions are not swaps); a known selector
with malformed arguments raises FieldError naming the function, so the listener can count it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi.exceptions import DecodingError
from eth_utils import keccak, to_checksum_address

from alephtx.core.errors import FieldError

__all__ = ["SWAP_SIGNATURES", "DecodedSwap", "decode_swap", "selector"]


def selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


_V3_SINGLE = "(address,address,uint24,address,uint256,uint256,uint256,uint160)"
_V3_SINGLE_02 = "(address,address,uint24,address,uint256,uint256,uint160)"
_V3_PATH = "(bytes,address,uint256,uint256,uint256)"
_V3_PATH_02 = "(bytes,address,uint256,uint256)"

# name -> (signature, protocol, exact_in, argument names)
SWAP_SIGNATURES: dict[str, tuple[str, str, bool, tuple[str, ...]]] = {
    "swapExactTokensForTokens": (
        "swapExactTokensForTokens(uint256,uint256,address[],address,uint256)", "v2", True,
        ("amount_in", "amount_out_min", "path", "recipient", "deadline"),
    ),
    "swapTokensForExactTokens": (
        "swapTokensForExactTokens(uint256,uint256,address[],address,uint256)", "v2", False,
        ("amount_out", "amount_in_max", "path", "recipient", "deadline"),
    ),
    "swapExactETHForTokens": (
        "swapExactETHForTokens(uint256,address[],address,uint256)", "v2", True,
        ("amount_out_min", "path", "recipient", "deadline"),
    ),
    "swapTokensForExactETH": (
        "swapTokensForExactETH(uint256,uint256,address[],address,uint256)", "v2", False,
        ("amount_out", "amount_in_max", "path", "recipient", "deadline"),
    ),
    "swapExactTokensForETH": (
        "swapExactTokensForETH(uint256,uint256,address[],address,uint256)", "v2", True,
        ("amount_in", "amount_out_min", "path", "recipient", "deadline"),
    ),
    "swapETHForExactTokens": (
        "swapETHForExactTokens(uint256,address[],address,uint256)", "v2", False,
        ("amount_out", "path", "recipient", "deadline"),
    ),
    "swapExactTokensForTokensSupportingFeeOnTransferTokens": (
        "swapExactTokensForTokensSupportingFeeOnTransferTokens(uint256,uint256,address[],address,uint256)",
        "v2", True, ("amount_in", "amount_out_min", "path", "recipient", "deadline"),
    ),
    "exactInputSingle": (f"exactInputSingle({_V3_SINGLE})", "v3", True, ()),
    "exactOutputSingle": (f"exactOutputSingle({_V3_SINGLE})", "v3", False, ()),
    "exactInputSingle02": (f"exactInputSingle({_V3_SINGLE_02})", "v3", True, ()),
    "exactOutputSingle02": (f"exactOutputSingle({_V3_SINGLE_02})", "v3", False, ()),
    "exactInput": (f"exactInput({_V3_PATH})", "v3", True, ()),
    "exactOutput": (f"exactOutput({_V3_PATH})", "v3", False, ()),
    "exactInput02": (f"exactInput({_V3_PATH_02})", "v3", True, ()),
    "exactOutput02": (f"exactOutput({_V3_PATH_02})", "v3", False, ()),
}  # fmt: skip

_BY_SELECTOR = {
    selector(sig): (name, sig, proto, exact_in, names)
    for name, (sig, proto, exact_in, names) in SWAP_SIGNATURES.items()
}


@dataclass(frozen=True, slots=True)
class DecodedSwap:
    """A router swap: the token path (V3: with each hop's fee), amounts and bounds."""

    function: str
    protocol: str  # "v2" or "v3"
    exact_in: bool
    path: tuple[str, ...]
    fees: tuple[int, ...]  # V3 fee of each hop in pips; empty for V2
    amount_in: int | None  # exact input, or the native value sent (ETH-in V2 swaps)
    amount_out: int | None  # exact output
    amount_out_min: int | None
    amount_in_max: int | None
    recipient: str
    deadline: int | None

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


def _v3_path(raw: bytes, function: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
    # token (20) | fee (3) | token (20) | ...; exactOutput paths are encoded output-first.
    if len(raw) < 43 or (len(raw) - 20) % 23:
        raise FieldError(f"{function}.path", "0x" + raw.hex()[:40], "not a V3 path (token, fee, token, ...)")
    tokens = [to_checksum_address(raw[i : i + 20]) for i in range(0, len(raw), 23)]
    fees = [int.from_bytes(raw[i + 20 : i + 23], "big") for i in range(0, len(raw) - 20, 23)]
    return tuple(tokens), tuple(fees)


def decode_swap(data: bytes | str, value: int = 0) -> DecodedSwap | None:
    """The swap in this calldata, or None when the selector is not a known router swap."""
    if isinstance(data, str):
        try:
            data = bytes.fromhex(data[2:] if data.startswith("0x") else data)
        except ValueError:
            raise FieldError("input", data[:20], "calldata is not hex") from None
    entry = _BY_SELECTOR.get(bytes(data[:4]))
    if entry is None:
        return None
    name, sig, proto, exact_in, names = entry
    function = sig.split("(", 1)[0]
    types = sig[len(function) + 1 : -1]
    try:
        args = abi_decode([types] if proto == "v3" else types.split(","), bytes(data[4:]))
    except (DecodingError, ValueError, OverflowError) as exc:
        raise FieldError(function, "0x" + bytes(data[:36]).hex(), f"arguments do not decode: {exc}") from None
    if proto == "v2":
        a = dict(zip(names, args, strict=True))
        return DecodedSwap(
            function, "v2", exact_in, tuple(to_checksum_address(t) for t in a["path"]), (),
            a.get("amount_in", value if exact_in else None), a.get("amount_out"), a.get("amount_out_min"),
            a.get("amount_in_max", value if not exact_in and value else None),
            to_checksum_address(a["recipient"]), a["deadline"],
        )  # fmt: skip
    p = args[0]
    if name.startswith("exact") and "Single" in name:
        token_in, token_out, fee, recipient = p[0], p[1], p[2], p[3]
        rest = p[4:]
        deadline = rest[0] if len(rest) == 4 else None
        amount, bound = (rest[1], rest[2]) if len(rest) == 4 else (rest[0], rest[1])
        path: tuple[str, ...] = (to_checksum_address(token_in), to_checksum_address(token_out))
        fees: tuple[int, ...] = (fee,)
    else:
        path, fees = _v3_path(p[0], function)
        recipient = p[1]
        deadline = p[2] if len(p) == 5 else None
        amount, bound = p[-2], p[-1]
        if not exact_in:  # exactOutput's path runs from the output token back to the input
            path, fees = path[::-1], fees[::-1]
    return DecodedSwap(
        function, "v3", exact_in, path, fees,
        amount if exact_in else None, None if exact_in else amount,
        bound if exact_in else None, None if exact_in else bound,
        to_checksum_address(recipient), deadline,
    )  # fmt: skip
