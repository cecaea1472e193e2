"""Run with a Python that has the official hyperliquid-python-sdk (not a project dependency):
times its sign_l1_action on the same order action as bench/signing.py and prints JSON."""

import json
import statistics
import time

import eth_account
from hyperliquid.utils.signing import (
    OrderRequest,
    order_request_to_order_wire,
    order_wires_to_order_action,
    sign_l1_action,
)

wallet = eth_account.Account.from_key("0x0123456789012345678901234567890123456789012345678901234567890123")
req: OrderRequest = {
    "coin": "BTC",
    "is_buy": True,
    "sz": 0.01,
    "limit_px": 61659.0,
    "reduce_only": False,
    "order_type": {"limit": {"tif": "Gtc"}},
    "cloid": None,
}
action = order_wires_to_order_action([order_request_to_order_wire(req, 0)])
samples = []
for i in range(2000):
    t0 = time.perf_counter_ns()
    sig = sign_l1_action(wallet, action, None, 1700000000000 + i, None, True)
    samples.append(time.perf_counter_ns() - t0)
ref = sign_l1_action(wallet, action, None, 1700000000000, None, True)
print(json.dumps({"p50_us": statistics.median(samples) / 1000, "r": ref["r"], "s": ref["s"], "v": ref["v"]}))
