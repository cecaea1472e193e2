"""Request and transaction signers: HMAC (Binance, OKX, Bybit), EVM secp256k1, Hyperliquid,
and the Stark curve (StarkEx-style venues). Keys never appear in a repr, a log or an error."""

from alephtx.core.signers import hyperliquid, stark
from alephtx.core.signers.evm import EvmSigner
from alephtx.core.signers.hmac_signer import HmacSigner
from alephtx.core.signers.stark import StarkSigner

__all__ = ["EvmSigner", "HmacSigner", "StarkSigner", "hyperliquid", "stark"]
