"""EVM secp256k1 signing: EIP-191 messages, EIP-712 typed data, legacy EIP-155 and EIP-1559
transactions. eth-account builds the encodings; coincurve (libsecp256k1) signs the digests,
which is where the time goes."""

from __future__ import annotations

from typing import Any

import coincurve
from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_defunct, encode_typed_data

Signature = dict[str, int]


class EvmSigner:
    __slots__ = ("_account", "_key", "address")

    def __init__(self, private_key_hex: str) -> None:
        text = private_key_hex[2:] if private_key_hex.startswith(("0x", "0X")) else private_key_hex
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            raise ValueError("private_key: must be 32 bytes of hex") from None
        if len(raw) != 32:
            raise ValueError("private_key: must be 32 bytes of hex")
        try:
            self._key = coincurve.PrivateKey(raw)
        except ValueError:
            raise ValueError("private_key: not a valid secp256k1 key") from None
        self._account = Account.from_key(raw)
        self.address: str = self._account.address

    def sign_digest(self, digest: bytes) -> Signature:
        """Sign a 32-byte digest: {"r", "s", "v"} with v = 27 + recovery id."""
        sig = self._key.sign_recoverable(digest, hasher=None)
        return {"r": int.from_bytes(sig[:32], "big"), "s": int.from_bytes(sig[32:64], "big"), "v": 27 + sig[64]}

    def sign_message(self, message: bytes) -> Signature:
        """EIP-191 personal message ("\\x19Ethereum Signed Message:\\n" + length + message)."""
        return self.sign_digest(_hash_eip191_message(encode_defunct(primitive=message)))

    def sign_typed_data(self, full_typed_data: dict[str, Any]) -> Signature:
        """EIP-712: ``{"types", "primaryType", "domain", "message"}``."""
        return self.sign_digest(_hash_eip191_message(encode_typed_data(full_message=full_typed_data)))

    def sign_transaction(self, tx: dict[str, Any]) -> str:
        """A legacy (EIP-155, with ``gasPrice`` and ``chainId``) or EIP-1559 (``maxFeePerGas``)
        transaction; returns the raw signed transaction as 0x-hex."""
        signed = self._account.sign_transaction(tx)
        raw = signed.raw_transaction if hasattr(signed, "raw_transaction") else signed.rawTransaction
        return "0x" + bytes(raw).hex()

    def __repr__(self) -> str:
        return f"EvmSigner(address={self.address}, key=<hidden>)"


def recover_typed_data(full_typed_data: dict[str, Any], sig: Signature) -> str:
    """The address that produced ``sig`` over typed data (what a venue checks)."""
    return str(
        Account.recover_message(encode_typed_data(full_message=full_typed_data), vrs=(sig["v"], sig["r"], sig["s"]))
    )


def recover_digest(digest: bytes, sig: Signature) -> str:
    pub = coincurve.PublicKey.from_signature_and_message(
        sig["r"].to_bytes(32, "big") + sig["s"].to_bytes(32, "big") + bytes([sig["v"] - 27]), digest, hasher=None
    )
    from eth_utils import keccak, to_checksum_address

    return str(to_checksum_address(keccak(pub.format(compressed=False)[1:])[-20:]))
