"""The emulators by venue name, and the account each one accepts.

An emulator checks signatures as its venue does, so it needs an account: the keys a venue config
would use (``ALEPH_<VENUE>_API_KEY``, ``_API_SECRET``, ``_PASSPHRASE``, and for Hyperliquid the
wallet of ``ALEPH_HYPERLIQUID_PRIVATE_KEY``) when they are set, else demo keys that are printed,
since they open nothing but the emulator.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from alephtx.core.model import Instrument
from alephtx.core.signers import EvmSigner
from alephtx.core.venues.credentials import from_env
from alephtx.emulators.base import Account, Emulator
from alephtx.emulators.binance import BTCUSDT, BinanceEmulator
from alephtx.emulators.binance_spot import BTCUSDT_SPOT, BinanceSpotEmulator
from alephtx.emulators.bybit import BTCUSDT_LINEAR, BybitEmulator
from alephtx.emulators.hyperliquid import BTC_PERP, HyperliquidEmulator
from alephtx.emulators.okx import BTC_SWAP, BTC_USDT_SPOT, OkxEmulator


@dataclass(frozen=True)
class EmulatorInfo:
    cls: type[Emulator]
    instrument: Instrument
    kind: str  # the venue kind a config names (core/venues/registry.py)


EMULATORS: dict[str, EmulatorInfo] = {
    "binance": EmulatorInfo(BinanceSpotEmulator, BTCUSDT_SPOT, "binance"),
    "binance-usdm": EmulatorInfo(BinanceEmulator, BTCUSDT, "binance-usdm"),
    "okx": EmulatorInfo(OkxEmulator, BTC_SWAP, "okx"),
    "okx-spot": EmulatorInfo(OkxEmulator, BTC_USDT_SPOT, "okx"),
    "bybit": EmulatorInfo(BybitEmulator, BTCUSDT_LINEAR, "bybit"),
    "hyperliquid": EmulatorInfo(HyperliquidEmulator, BTC_PERP, "hyperliquid"),
}

# Demo keys: they open nothing but a loopback emulator.
DEMO_KEY, DEMO_SECRET, DEMO_PASSPHRASE = "aleph-demo-key", "aleph-demo-secret", "aleph-demo-pass"
DEMO_WALLET_KEY = "0x" + "a1" * 32


@dataclass(frozen=True)
class EmulatorAccount:
    account: Account
    from_env: bool  # the keys came from the environment (and are never printed)
    exports: dict[str, str]  # demo keys: the variables a venue config reads, with their values


def account_for(name: str, env: Mapping[str, str] | None = None) -> EmulatorAccount:
    """The account the emulator of venue ``name`` accepts (see the module's docstring)."""
    env = os.environ if env is None else env
    kind = EMULATORS[name].kind
    creds = from_env(kind, env)
    prefix = "ALEPH_" + kind.upper().replace("-", "_") + "_"
    if kind == "hyperliquid":
        if creds.private_key or creds.api_key:
            address = creds.api_key or EvmSigner(creds.private_key).address
            return EmulatorAccount(Account(address, ""), True, {})
        wallet = EvmSigner(DEMO_WALLET_KEY)
        return EmulatorAccount(Account(wallet.address, ""), False, {prefix + "PRIVATE_KEY": DEMO_WALLET_KEY})
    if creds.api_key and creds.secret:
        return EmulatorAccount(Account(creds.api_key, creds.secret, creds.passphrase), True, {})
    exports = {prefix + "API_KEY": DEMO_KEY, prefix + "API_SECRET": DEMO_SECRET}
    if kind == "okx":
        exports[prefix + "PASSPHRASE"] = DEMO_PASSPHRASE
    return EmulatorAccount(Account(DEMO_KEY, DEMO_SECRET, DEMO_PASSPHRASE if kind == "okx" else ""), False, exports)
