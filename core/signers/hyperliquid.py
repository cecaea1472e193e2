"""Hyperliquid signing: L1 actions (msgpack action hash, nonce, vault, the phantom agent's
EIP-712 signature) and user-signed actions (usdSend, withdraw).

The L1 path computes the EIP-712 digest directly: the domain and the Agent type are fixed, so
their hashes are computed once, and each signature costs a msgpack, three Keccaks and one
libsecp256k1 signature.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgpack
from eth_hash.auto import keccak

from alephtx.core.signers.evm import EvmSigner, Signature

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
USER_SIGNED_CHAIN_ID = "0x66eee"

USD_SEND_TYPES = [
    {"name": "hyperliquidChain", "type": "string"},
    {"name": "destination", "type": "string"},
    {"name": "amount", "type": "string"},
    {"name": "time", "type": "uint64"},
]
WITHDRAW_TYPES = USD_SEND_TYPES


def _domain_separator(name: str, version: str, chain_id: int, contract: str) -> bytes:
    type_hash = keccak(b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
    return keccak(
        type_hash
        + keccak(name.encode())
        + keccak(version.encode())
        + chain_id.to_bytes(32, "big")
        + bytes(12)
        + bytes.fromhex(contract[2:])
    )


_L1_DOMAIN = _domain_separator("Exchange", "1", 1337, ZERO_ADDRESS)
_AGENT_TYPE = keccak(b"Agent(string source,bytes32 connectionId)")
_SOURCE = {True: keccak(b"a"), False: keccak(b"b")}


def action_hash(
    action: dict[str, Any], vault_address: str | None, nonce: int, expires_after: int | None = None
) -> bytes:
    data = msgpack.packb(action) + nonce.to_bytes(8, "big")
    if vault_address is None:
        data += b"\x00"
    else:
        data += b"\x01" + bytes.fromhex(vault_address[2:] if vault_address.startswith("0x") else vault_address)
    if expires_after is not None:
        data += b"\x00" + expires_after.to_bytes(8, "big")
    return bytes(keccak(data))


def l1_digest(connection_id: bytes, is_mainnet: bool) -> bytes:
    """The EIP-712 digest of the phantom agent {source: "a"|"b", connectionId}."""
    struct = keccak(_AGENT_TYPE + _SOURCE[is_mainnet] + connection_id)
    return bytes(keccak(b"\x19\x01" + _L1_DOMAIN + struct))


def sign_l1_action(
    signer: EvmSigner,
    action: dict[str, Any],
    vault_address: str | None,
    nonce: int,
    is_mainnet: bool,
    expires_after: int | None = None,
) -> Signature:
    return signer.sign_digest(l1_digest(action_hash(action, vault_address, nonce, expires_after), is_mainnet))


def l1_typed_data(connection_id: bytes, is_mainnet: bool) -> dict[str, Any]:
    """The same message as full EIP-712 typed data (what a wallet would be shown)."""
    return {
        "domain": {"chainId": 1337, "name": "Exchange", "verifyingContract": ZERO_ADDRESS, "version": "1"},
        "types": {
            "Agent": [{"name": "source", "type": "string"}, {"name": "connectionId", "type": "bytes32"}],
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
        },
        "primaryType": "Agent",
        "message": {"source": "a" if is_mainnet else "b", "connectionId": connection_id},
    }


def user_signed_typed_data(
    action: dict[str, Any], payload_types: list[dict[str, str]], primary_type: str
) -> dict[str, Any]:
    return {
        "domain": {
            "name": "HyperliquidSignTransaction",
            "version": "1",
            "chainId": int(action["signatureChainId"], 16),
            "verifyingContract": ZERO_ADDRESS,
        },
        "types": {
            primary_type: payload_types,
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
        },
        "primaryType": primary_type,
        "message": action,
    }


def sign_user_signed_action(
    signer: EvmSigner,
    action: dict[str, Any],
    payload_types: list[dict[str, str]],
    primary_type: str,
    is_mainnet: bool,
) -> Signature:
    """Sets ``signatureChainId`` and ``hyperliquidChain`` on ``action`` (they are sent with it)."""
    action["signatureChainId"] = action.get("signatureChainId", USER_SIGNED_CHAIN_ID)
    action["hyperliquidChain"] = "Mainnet" if is_mainnet else "Testnet"
    return signer.sign_typed_data(user_signed_typed_data(action, payload_types, primary_type))


def to_wire(value: Decimal | str | int) -> str:
    """A price or size as Hyperliquid expects on the wire: no exponent, no trailing zeros."""
    d = Decimal(str(value))
    if not d.is_finite():
        raise ValueError(f"value={value!r}: must be finite")
    text = f"{d.normalize():f}"
    return "0" if text in ("-0", "") else text


def order_wire(
    asset: int, is_buy: bool, price: str, size: str, reduce_only: bool, tif: str = "Gtc", cloid: str | None = None
) -> dict[str, Any]:
    """One order in the wire form the L1 action hash covers (key order matters to msgpack)."""
    wire: dict[str, Any] = {
        "a": asset,
        "b": is_buy,
        "p": to_wire(price),
        "s": to_wire(size),
        "r": reduce_only,
        "t": {"limit": {"tif": tif}},
    }
    if cloid is not None:
        wire["c"] = cloid
    return wire


def order_action(orders: list[dict[str, Any]], grouping: str = "na") -> dict[str, Any]:
    return {"type": "order", "orders": orders, "grouping": grouping}
