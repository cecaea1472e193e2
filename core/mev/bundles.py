"""Flashbots-style bundles: ``eth_sendBundle`` with the ``X-Flashbots-Signature`` header.

The header is ``<searcher address>:<signature>``, the signature being an EIP-191 personal-message
signature of the text ``0x`` + keccak256(request body) by the searcher key. The searcher key
identifies the operator to the relay only; it holds no funds. It comes from the environment
(``ALEPH_MEV_SEARCHER_KEY``) and never reaches a log or an error text.

Only the operator's own transactions go into a bundle (its own swaps routed privately, its own
backruns); see docs/mev.md.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils import keccak

from alephtx.core.errors import AlephError, FieldError
from alephtx.core.signers.evm import EvmSigner

__all__ = ["BundleRelay", "RelayError", "flashbots_signature", "send_bundle_body", "verify_flashbots_signature"]

SEARCHER_KEY_ENV = "ALEPH_MEV_SEARCHER_KEY"


class RelayError(AlephError):
    """The relay refused the bundle or could not be reached; the text carries no secret."""


def _hex_tx(tx: str | bytes, index: int) -> str:
    if isinstance(tx, bytes):
        return "0x" + tx.hex()
    if not isinstance(tx, str) or not tx.startswith("0x") or len(tx) < 4:
        raise FieldError(f"txs[{index}]", tx, "must be a signed raw transaction as 0x-hex or bytes")
    try:
        bytes.fromhex(tx[2:])
    except ValueError:
        raise FieldError(f"txs[{index}]", tx[:18] + "...", "is not hex") from None
    return tx.lower()


def send_bundle_body(
    txs: Sequence[str | bytes],
    block_number: int,
    *,
    min_timestamp: int | None = None,
    max_timestamp: int | None = None,
    reverting_tx_hashes: Sequence[str] = (),
    request_id: int = 1,
) -> bytes:
    """The JSON-RPC body of ``eth_sendBundle`` for these signed transactions, in bytes as sent
    (the signature covers these exact bytes)."""
    if not txs:
        raise FieldError("txs", [], "a bundle needs at least one signed transaction")
    if isinstance(block_number, bool) or not isinstance(block_number, int) or block_number <= 0:
        raise FieldError("block_number", block_number, "must be a positive block number")
    params: dict[str, Any] = {"txs": [_hex_tx(t, i) for i, t in enumerate(txs)], "blockNumber": hex(block_number)}
    if min_timestamp is not None:
        params["minTimestamp"] = min_timestamp
    if max_timestamp is not None:
        params["maxTimestamp"] = max_timestamp
    if reverting_tx_hashes:
        params["revertingTxHashes"] = list(reverting_tx_hashes)
    body = {"jsonrpc": "2.0", "id": request_id, "method": "eth_sendBundle", "params": [params]}
    return json.dumps(body, separators=(",", ":")).encode()


def flashbots_signature(body: bytes, signer: EvmSigner) -> str:
    """The ``X-Flashbots-Signature`` header value for ``body``."""
    text = "0x" + keccak(body).hex()
    sig = signer.sign_message(text.encode())
    raw = sig["r"].to_bytes(32, "big") + sig["s"].to_bytes(32, "big") + bytes([sig["v"]])
    return f"{signer.address}:0x{raw.hex()}"


def verify_flashbots_signature(body: bytes, header: str) -> str:
    """The searcher address when ``header`` is a valid signature of ``body``; raises otherwise.

    What a relay checks; the loopback relay of the tests uses it."""
    address, sep, signature = header.partition(":")
    if not sep or not address.startswith("0x") or not signature.startswith("0x"):
        raise FieldError("X-Flashbots-Signature", header[:60], "must be '<address>:<0x signature>'")
    text = "0x" + keccak(body).hex()
    try:
        recovered = Account.recover_message(encode_defunct(text=text), signature=signature)
    except Exception as exc:  # eth-account raises several types for a malformed signature
        raise FieldError("X-Flashbots-Signature", signature[:20] + "...", f"not a signature: {exc}") from None
    if recovered.lower() != address.lower():
        raise FieldError("X-Flashbots-Signature", address, "signature is not by this address")
    return recovered


@dataclass
class BundleRelay:
    """A relay's URL and the searcher key that signs for the operator."""

    url: str
    signer: EvmSigner
    timeout_s: float = 5.0

    @classmethod
    def from_env(cls, url: str, env: Mapping[str, str] | None = None) -> BundleRelay:
        key = (os.environ if env is None else env).get(SEARCHER_KEY_ENV)
        if not key:
            raise FieldError(SEARCHER_KEY_ENV, "<unset>", "set the searcher key in the environment")
        return cls(url, EvmSigner(key))

    async def send_bundle(self, txs: Sequence[str | bytes], block_number: int, **options: Any) -> dict[str, Any]:
        """POST the bundle; the relay's ``result`` (with its ``bundleHash``) or a RelayError."""
        body = send_bundle_body(txs, block_number, **options)
        headers = {"Content-Type": "application/json", "X-Flashbots-Signature": flashbots_signature(body, self.signer)}
        timeout = aiohttp.ClientTimeout(total=self.timeout_s)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.post(self.url, data=body, headers=headers) as response,
            ):
                text = await response.text()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise RelayError(f"relay {self.url} unreachable: {type(exc).__name__}") from None
        try:
            reply = json.loads(text)
        except json.JSONDecodeError:
            raise RelayError(f"relay {self.url} answered HTTP {response.status} with non-JSON") from None
        if "error" in reply:
            raise RelayError(f"relay {self.url} refused the bundle: {reply['error']}")
        result: dict[str, Any] = reply.get("result") or {}
        return result
