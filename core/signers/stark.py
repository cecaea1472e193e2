"""Stark-curve keys and signatures (StarkEx-style venues: EdgeX, dYdX v3-style orders), on
starknet-py's crypto (the StarkWare C++ implementation underneath).

Signatures are deterministic (RFC 6979) with no extra seed, so the same key and hash always give
the same (r, s), as StarkWare's reference vectors expect.
"""

from __future__ import annotations

from starknet_py.hash.utils import message_signature, private_to_stark_key, verify_message_signature
from starknet_py.hash.utils import pedersen_hash as _pedersen

EC_ORDER = 0x800000000000010FFFFFFFFFFFFFFFFB781126DCAE7B2321E66A241ADC64D2F
FIELD_PRIME = 2**251 + 17 * 2**192 + 1


def pedersen_hash(a: int, b: int) -> int:
    if not (0 <= a < FIELD_PRIME and 0 <= b < FIELD_PRIME):
        raise ValueError("pedersen_hash: inputs must be field elements (0 <= x < P)")
    return int(_pedersen(a, b))


class StarkSigner:
    __slots__ = ("_key", "public_key")

    def __init__(self, private_key: int) -> None:
        if not 0 < private_key < EC_ORDER:
            raise ValueError("private_key: must be an integer in [1, EC_ORDER)")
        self._key = private_key
        self.public_key: int = int(private_to_stark_key(private_key))

    def sign(self, msg_hash: int) -> tuple[int, int]:
        if not 0 <= msg_hash < 2**251:
            raise ValueError("msg_hash: must be below 2**251")
        r, s = message_signature(msg_hash, self._key, seed=None)
        return int(r), int(s)

    def __repr__(self) -> str:
        return f"StarkSigner(public_key={hex(self.public_key)}, key=<hidden>)"


def verify(msg_hash: int, signature: tuple[int, int], public_key: int) -> bool:
    return bool(verify_message_signature(msg_hash, list(signature), public_key))
