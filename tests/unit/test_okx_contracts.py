"""OKX swaps are sized in contracts of ``ctVal`` base units: the listing, the conversion both ways
and the books channel (its checksum is over OKX's own strings, which our formatting of the same
numbers need not reproduce)."""

from __future__ import annotations

import json

import pytest

from alephtx.core.book import APPLIED
from alephtx.core.errors import FieldError
from alephtx.core.venues.okx.data import OkxBookStream, okx_checksum
from alephtx.core.venues.okx.parsing import parse_instruments
from alephtx.core.venues.okx.units import base_size, venue_size

LISTING = {
    "code": "0",
    "data": [
        {
            "instType": "SWAP", "instId": "ETH-USDT-SWAP", "ctType": "linear", "state": "live",
            "uly": "ETH-USDT", "tickSz": "0.01", "lotSz": "0.01", "ctVal": "0.1",
        }
    ],
}  # fmt: skip
(ETH,) = parse_instruments(LISTING, "okx")


def test_a_swap_is_listed_in_base_units_with_its_contract_value() -> None:
    assert ETH.lot_size == "0.001" and ETH.rules.contract_size == "0.1"
    bad = {"code": "0", "data": [LISTING["data"][0] | {"ctVal": "0"}]}
    assert parse_instruments(bad, "okx") == []  # a row that cannot be sized is not listed


@pytest.mark.parametrize("contracts", ["0.01", "1", "2.5", "8", "1234.56"])
def test_contracts_and_base_units_convert_both_ways(contracts: str) -> None:
    qty = base_size(ETH, contracts)
    assert qty == round(float(contracts) * 0.1 * 10**ETH.size_precision)
    assert venue_size(ETH, qty) == contracts


@pytest.mark.parametrize("text", ["abc", "", "0.001"])  # not a number; finer than the lot
def test_a_size_the_venue_could_not_have_sent_names_its_field(text: str) -> None:
    with pytest.raises(FieldError, match="fillSz"):
        base_size(ETH, text, "fillSz")


def test_the_books_checksum_is_over_okx_strings_and_sizes_land_in_base_units() -> None:
    # OKX writes "8" and "0.5", not "8.00": a checksum over our own formatting would fail.
    bids, asks = [["2000.5", "8", "0", "1"]], [["2000.6", "0.5", "0", "1"]]
    crc = okx_checksum([(b[0], b[1]) for b in bids], [(a[0], a[1]) for a in asks])
    msg = {
        "arg": {"channel": "books", "instId": "ETH-USDT-SWAP"}, "action": "snapshot",
        "data": [{"bids": bids, "asks": asks, "ts": "1", "checksum": crc, "prevSeqId": -1, "seqId": 10}],
    }  # fmt: skip
    stream = OkxBookStream(ETH)
    assert stream.apply(json.dumps(msg)) == APPLIED and stream.checksum_failures == 0
    (bid,), (ask,) = stream.book.depth(1)
    assert bid[1] == base_size(ETH, "8") == 800 and ask[1] == 50  # 0.8 ETH and 0.05 ETH
    update = {
        "arg": msg["arg"], "action": "update",
        "data": [{"bids": [["2000.5", "0", "0", "0"]], "asks": [], "ts": "2",
                  "checksum": okx_checksum([], [("2000.6", "0.5")]), "prevSeqId": 10, "seqId": 11}],
    }  # fmt: skip
    assert stream.apply(json.dumps(update)) == APPLIED and stream.checksum_failures == 0
