"""The paper venue's HTTP service, started for real on loopback, checks orders as a venue does.

It once filled a sell limit at price -100 and took 2^70 as a quantity. Every bad field is now a
400 with a code, the parameter and a message naming it; a malformed body is a 400, never a 500;
a valid order still fills, from the engine's own client as from a person's decimal strings.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from alephtx.core.model import OrderRequest, OrderType, Side, TimeInForce, from_fixed
from alephtx.core.venues.base import VenueRejected
from alephtx.core.venues.paper.client import PaperHttpVenue
from alephtx.emulators.paper import BTCUSDT as INST
from tests.support.servers import paper_venue_server


def call(url: str, method: str = "GET", body: bytes | None = None) -> tuple[int, Any]:
    req = urllib.request.Request(url, method=method, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture(scope="module")
def venue() -> Iterator[str]:
    with paper_venue_server("--max-quantity", "100", keep_stderr=True) as (url, proc):
        call(url + "/v1/market/pause", "POST", b"")  # a still market: the prices read stay the prices
        yield url
        assert proc.poll() is None, "the paper venue died"
    assert proc.stderr is not None
    err = proc.stderr.read()
    assert b"Traceback" not in err, err.decode(errors="replace")[-2000:]


def order(**change: Any) -> bytes:
    base = {"instrument": INST.key, "side": "buy", "type": "limit", "quantity": "0.001", "price": "1000.00"}
    base["client_id"] = change.pop("client_id", f"t{time.monotonic_ns()}")
    return json.dumps({**base, **change}).encode()


REFUSED = [
    # (change, code, param)
    ({"side": "sell", "price": -100}, "BAD_PARAMETER", "price"),
    ({"side": "sell", "price": "-100.00"}, "BAD_PARAMETER", "price"),
    ({"price": 0}, "BAD_PARAMETER", "price"),
    ({"quantity": 2**70}, "BAD_PARAMETER", "quantity"),
    ({"quantity": str(2**70)}, "BAD_PARAMETER", "quantity"),
    ({"quantity": 2**63 - 1}, "MAX_QUANTITY", "quantity"),
    ({"quantity": "101"}, "MAX_QUANTITY", "quantity"),
    ({"quantity": 0}, "BAD_PARAMETER", "quantity"),
    ({"quantity": -1}, "BAD_PARAMETER", "quantity"),
    ({"quantity": 1.5}, "BAD_PARAMETER", "quantity"),
    ({"quantity": True}, "BAD_PARAMETER", "quantity"),
    ({"quantity": "1e3"}, "BAD_PARAMETER", "quantity"),
    ({"quantity": "１"}, "BAD_PARAMETER", "quantity"),  # a fullwidth digit
    ({"quantity": " 1"}, "BAD_PARAMETER", "quantity"),
    ({"quantity": "NaN"}, "BAD_PARAMETER", "quantity"),
    ({"quantity": "0.0005"}, "BAD_PRECISION", "quantity"),
    ({"price": "1000.05"}, "BAD_PRECISION", "price"),
    ({"price": 100005}, "BAD_PRECISION", "price"),
    ({"price": 2**64}, "BAD_PARAMETER", "price"),
    ({"price": "92233720368547758.00", "quantity": "100"}, "BAD_PARAMETER", "quantity"),  # price × qty
    ({"price": "1.00"}, "MIN_NOTIONAL", "quantity"),
    ({"type": "market", "price": "1000.00"}, "BAD_PARAMETER", "price"),
    ({"type": "market", "tif": "post_only", "price": 0}, "BAD_PARAMETER", "tif"),
    ({"type": "stop_market", "price": 0, "trigger_price": "1000.00"}, "UNSUPPORTED_ORDER_TYPE", "type"),
    ({"trigger_price": "1000.00"}, "BAD_PARAMETER", "trigger_price"),
    ({"side": "BUY"}, "BAD_PARAMETER", "side"),
    ({"side": "hold"}, "BAD_PARAMETER", "side"),
    ({"side": None}, "MISSING_PARAMETER", "side"),
    ({"type": "iceberg"}, "BAD_PARAMETER", "type"),
    ({"tif": "gtd"}, "BAD_PARAMETER", "tif"),
    ({"reduce_only": "yes"}, "BAD_PARAMETER", "reduce_only"),
    ({"client_id": "a b"}, "BAD_CLIENT_ID", "client_id"),
    ({"client_id": "é1"}, "BAD_CLIENT_ID", "client_id"),
    ({"client_id": "x" * 33}, "BAD_CLIENT_ID", "client_id"),
    ({"client_id": 7}, "BAD_PARAMETER", "client_id"),
    ({"origin": "op\nerator"}, "BAD_PARAMETER", "origin"),
    ({"instrument": "paper:ETHUSDT"}, "UNKNOWN_INSTRUMENT", "instrument"),
    ({"instrument": ["paper:BTCUSDT"]}, "BAD_PARAMETER", "instrument"),
]


@pytest.mark.parametrize(("change", "code", "param"), REFUSED, ids=[f"{c[2]}-{i}" for i, c in enumerate(REFUSED)])
def test_a_bad_field_is_refused_naming_it(venue: str, change: dict[str, Any], code: str, param: str) -> None:
    status, body = call(venue + "/v1/orders", "POST", order(**change))
    assert status == 400, body
    assert (body["code"], body["param"]) == (code, param), body
    assert body["message"].startswith(f"{param}: ") and "(got " in body["message"] and len(body["message"]) < 300


@pytest.mark.parametrize(
    "raw",
    [b"", b"{", b"[]", b"null", b"42", b'"order"', b"\xff\xfe", b"[" * 60_000, b'{"quantity": 1' + b"0" * 5000 + b"}"],
    ids=["empty", "truncated", "array", "null", "number", "string", "not-utf8", "deep", "huge-int"],
)
def test_a_malformed_body_is_a_400_never_a_500(venue: str, raw: bytes) -> None:
    status, body = call(venue + "/v1/orders", "POST", raw)
    assert status == 400 and body["code"] in ("BAD_JSON", "MISSING_PARAMETER"), body
    assert body["message"].startswith(("body: ", "instrument: "))


def test_other_requests_answer_json_errors(venue: str) -> None:
    assert call(venue + "/v1/orders", "POST", b"{" + b" " * 100_000 + b"}")[0] == 413
    for path in ("/v1/fills?since_ns=abc", "/v1/fills?since_ns=" + "9" * 5000, "/v1/reports?since=-1"):
        status, body = call(venue + path)
        assert status == 400 and body["code"] == "BAD_PARAMETER", (path, body)
    status, body = call(venue + "/v1/nope")
    assert status == 404 and body["code"] == "NOT_FOUND"
    assert call(venue + "/v1/ticker")[0] == 200


def test_a_valid_order_still_fills(venue: str) -> None:
    _, t = call(venue + "/v1/ticker")
    # A person's decimal strings: a buy at the best ask takes it.
    status, o = call(venue + "/v1/orders", "POST", order(price=from_fixed(t["ask"], 2), quantity="0.001"))
    assert status == 200 and o["status"] == "filled" and o["filled"] == 1, o

    # The engine's client: integers in the smallest unit, as PaperHttpVenue sends them.
    async def engine_side() -> None:
        client = PaperHttpVenue(venue)
        try:
            req = OrderRequest(INST.key, Side.SELL, OrderType.LIMIT, 1, t["bid"], tif=TimeInForce.IOC, client_id="e1")
            done = await client.place_order(req)
            assert done.status.value == "filled" and done.filled == 1
            with pytest.raises(VenueRejected) as err:  # the sell limit at -100 that once filled
                await client.place_order(OrderRequest(INST.key, Side.SELL, OrderType.LIMIT, 1, -100, client_id="e2"))
            assert err.value.code == "BAD_PARAMETER" and err.value.message.startswith("price: ")
            market = await client.place_order(OrderRequest(INST.key, Side.BUY, OrderType.MARKET, 1, client_id="e3"))
            assert market.status.value == "filled"
        finally:
            await client.close()

    asyncio.run(engine_side())
    _, orders = call(venue + "/v1/all_orders")
    assert all(o["price"] >= 0 and 0 < o["quantity"] <= 100_000 for o in orders), orders
