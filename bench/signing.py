"""Signing benchmark: HMAC request signing and a Hyperliquid order signature, per call.

Baselines in the same run: stdlib hmac and ccxt's hmac helper; ccxt's Hyperliquid signer; the
official hyperliquid-python-sdk when a venv with it exists at /tmp/hl (it is not a project
dependency: python3 -m venv /tmp/hl && /tmp/hl/bin/pip install hyperliquid-python-sdk coincurve).
The SDK's signature must equal ours, bit for bit.

    python -m bench.signing
"""

from __future__ import annotations

import hashlib
import hmac
import json
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import ccxt

from alephtx.core.signers import EvmSigner, HmacSigner, hyperliquid
from bench.common import console, save, show

KEY = "0x0123456789012345678901234567890123456789012345678901234567890123"
QUERY = (
    "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.010&price=61659.70"
    "&recvWindow=5000&timestamp=1700000000000"
)
SDK_PY = Path("/tmp/hl/bin/python")


def p50_us(fn: Callable[[], object], n: int) -> float:
    samples = []
    clock = time.perf_counter_ns
    for _ in range(n):
        t0 = clock()
        fn()
        samples.append(clock() - t0)
    return statistics.median(samples) / 1000


def main() -> None:
    secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
    ours = HmacSigner(secret)
    key = secret.encode()
    ex = ccxt.binance()
    rows: list[list[str]] = []
    result: dict[str, float] = {}
    h_ours = p50_us(lambda: ours.sign(QUERY), 50_000)
    h_std = p50_us(lambda: hmac.new(key, QUERY.encode(), hashlib.sha256).hexdigest(), 50_000)
    h_ccxt = p50_us(lambda: ex.hmac(ex.encode(QUERY), ex.encode(secret), hashlib.sha256), 50_000)
    rows += [
        ["HMAC-SHA256 hex: HmacSigner", f"{h_ours:.2f}", "1.0x"],
        ["HMAC-SHA256 hex: stdlib hmac (floor)", f"{h_std:.2f}", f"{h_std / h_ours:.2f}x"],
        ["HMAC-SHA256 hex: ccxt Exchange.hmac", f"{h_ccxt:.2f}", f"{h_ccxt / h_ours:.2f}x"],
    ]
    result |= {"hmac_ours_us": h_ours, "hmac_stdlib_us": h_std, "hmac_ccxt_us": h_ccxt}

    signer = EvmSigner(KEY)
    action = hyperliquid.order_action([hyperliquid.order_wire(0, True, "61659", "0.01", False)])
    nonce = [1700000000000]

    def sign_ours() -> object:
        nonce[0] += 1
        return hyperliquid.sign_l1_action(signer, action, None, nonce[0], True)

    hl_ours = p50_us(sign_ours, 5_000)
    hx = ccxt.hyperliquid({"privateKey": KEY, "walletAddress": signer.address})
    hl_ccxt = p50_us(lambda: hx.sign_l1_action(action, 1700000000000), 300)
    rows += [
        ["Hyperliquid order: sign_l1_action (ours)", f"{hl_ours:.1f}", "1.0x"],
        ["Hyperliquid order: ccxt.hyperliquid", f"{hl_ccxt:.1f}", f"{hl_ccxt / hl_ours:.1f}x"],
    ]
    result |= {"hl_ours_us": hl_ours, "hl_ccxt_us": hl_ccxt}
    mine = hyperliquid.sign_l1_action(signer, action, None, 1700000000000, True)
    theirs = hx.sign_l1_action(action, 1700000000000)
    assert int(theirs["r"], 16) == mine["r"] and int(theirs["s"], 16) == mine["s"], "ccxt disagrees"
    if SDK_PY.exists():
        out = subprocess.run(
            [str(SDK_PY), str(Path(__file__).with_name("hl_sdk_sign.py"))], capture_output=True, text=True, timeout=600
        )
        sdk = json.loads(out.stdout.strip().splitlines()[-1])
        assert (int(sdk["r"], 16), int(sdk["s"], 16), sdk["v"]) == (mine["r"], mine["s"], mine["v"]), "SDK disagrees"
        rows.append(["Hyperliquid order: official SDK 0.24", f"{sdk['p50_us']:.1f}", f"{sdk['p50_us'] / hl_ours:.1f}x"])
        result["hl_sdk_us"] = sdk["p50_us"]
    show("Signing, per call (p50)", ["signer", "µs", "time vs ours"], rows)
    console.print("Signatures equal: ccxt yes" + (", official SDK yes" if "hl_sdk_us" in result else ""))
    save("signing", result)


if __name__ == "__main__":
    main()
