"""The Cython depth parser against its pure-Python twin, on real lines and random messages."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alephtx.core.venues.binance.parsing import DepthParser, ParseError, parse_depth_py, parse_fixed


def fast(msg: bytes, pp: int = 2, sp: int = 3) -> tuple:
    p = DepthParser(pp, sp, capacity=16)
    p.parse(msg)
    n = p.count
    return (
        p.is_snapshot,
        p.first_id,
        p.final_id,
        p.prev_final_id,
        p.event_ms,
        p.transact_ms,
        list(p.sides[:n]),
        list(p.prices[:n]),
        list(p.qtys[:n]),
    )


def slow(msg: bytes, pp: int = 2, sp: int = 3) -> tuple:
    d = parse_depth_py(msg, pp, sp)
    return (
        d.is_snapshot,
        d.first_id,
        d.final_id,
        d.prev_final_id,
        d.event_ms,
        d.transact_ms,
        d.sides,
        d.prices,
        d.qtys,
    )


def depth_lines(path: Path) -> list[bytes]:
    with gzip.open(path, "rb") as f:
        return [ln.split(b" ", 1)[1] for ln in f if b"@depth" in ln[:80] or b'{"lastUpdateId"' in ln[:60]]


def test_real_capture_lines_parse_identically(sample_path: Path) -> None:
    lines = depth_lines(sample_path)
    assert len(lines) > 1000
    snapshots = 0
    for raw in lines:
        a = fast(raw)
        assert a == slow(raw)
        snapshots += a[0]
    assert snapshots == 1


def test_known_message_values() -> None:
    msg = (
        b'{"stream":"btcusdt@depth@0ms","data":{"e":"depthUpdate","E":1723161256299,"T":1723161256298,'
        b'"s":"BTCUSDT","U":5123107832006,"u":5123107837557,"pu":5123107831937,'
        b'"b":[["58710.20","0.014"],["61510.90","0.000"]],"a":[["61800.30","3.330"]]}}'
    )
    p = DepthParser(2, 3)
    assert p.parse(msg) == 3 and p.bid_count == 2
    assert (p.first_id, p.final_id, p.prev_final_id, p.event_ms) == (
        5123107832006,
        5123107837557,
        5123107831937,
        1723161256299,
    )
    assert list(p.prices[:3]) == [5871020, 6151090, 6180030]
    assert list(p.qtys[:3]) == [14, 0, 3330]
    assert list(p.sides[:3]) == [1, 1, 0]
    recv = p.parse_line(b"1723161255030314667 " + msg)
    assert recv == 1723161255030314667


price_text = st.builds(
    lambda whole, frac: f"{whole}.{frac}" if frac is not None else str(whole),
    st.integers(0, 10**9),
    st.one_of(st.none(), st.from_regex(r"[0-9]{0,4}", fullmatch=True)),
)
weird_text = st.one_of(price_text, st.sampled_from(["", "-1", "1e5", "NaN", " 1", "1.2.3", "+3", ".5", "5.", "0x1"]))
level = st.lists(st.one_of(price_text, weird_text), min_size=2, max_size=2)


@settings(max_examples=400, deadline=None)
@given(
    bids=st.lists(level, max_size=12),
    asks=st.lists(level, max_size=12),
    ids=st.tuples(st.integers(0, 10**15), st.integers(0, 10**15), st.integers(0, 10**15)),
    wrap=st.booleans(),
    snapshot=st.booleans(),
    pp=st.integers(0, 4),
    sp=st.integers(0, 4),
)
def test_random_messages_parse_identically_or_fail_alike(bids, asks, ids, wrap, snapshot, pp, sp) -> None:  # type: ignore[no-untyped-def]
    if snapshot:
        body: dict = {"lastUpdateId": ids[0], "E": 1, "T": 2, "bids": bids, "asks": asks}
    else:
        body = {
            "e": "depthUpdate",
            "E": 3,
            "T": 4,
            "s": "X",
            "U": ids[0],
            "u": ids[1],
            "pu": ids[2],
            "b": bids,
            "a": asks,
        }
    obj = {"stream": "x@depth", "data": body} if wrap and not snapshot else body
    msg = json.dumps(obj, separators=(",", ":")).encode()
    try:
        expected = slow(msg, pp, sp)
    except ParseError:
        with pytest.raises(ParseError):
            fast(msg, pp, sp)
        return
    assert fast(msg, pp, sp) == expected


@pytest.mark.parametrize(
    ("msg", "field"),
    [
        (b'{"U":1,"u":2,"b":[],"a":[]}', "pu"),
        (b'{"U":1,"u":2,"pu":0,"b":[["1.00","x"]],"a":[]}', "b[0].size"),
        (b'{"U":1,"u":2,"pu":0,"b":[],"a":[["1.001","1"]]}', "a[0].price"),
        (b'{"U":1,"u":2,"pu":0,"b":[],"a":[["0","1"]]}', "a[0].price"),
        (b'{"U":1,"u":2,"pu":0,"b":[]}', "b/a"),
        (b'{"U":-1,"u":2,"pu":0,"b":[],"a":[]}', "U"),
        (b'{"U":1,"u":2,"pu":0,"b":[["1.00","1"]', "b"),
        (b"[1,2]", "message"),
        (b'{"lastUpdateId":5,"bids":[]}', "bids/asks"),
    ],
)
def test_malformed_messages_name_the_field(msg: bytes, field: str) -> None:
    with pytest.raises(ParseError) as err:
        DepthParser(2, 3).parse(msg)
    assert f"depth message: {field}:" in str(err.value)


def test_parser_keeps_working_after_an_error() -> None:
    p = DepthParser(2, 3)
    with pytest.raises(ParseError):
        p.parse(b'{"U":1}')
    assert p.parse(b'{"U":1,"u":2,"pu":0,"b":[["1.00","1"]],"a":[]}') == 1


def test_parse_fixed() -> None:
    assert parse_fixed("61659.70", 2) == 6165970
    assert parse_fixed("0.000", 3) == 0
    assert parse_fixed("1.50000", 2) == 150
    for bad in ["1.005", "-1", "", "abc", "1e3", "9" * 20]:
        with pytest.raises(ValueError):
            parse_fixed(bad, 2)


def test_spot_diffs_have_no_pu() -> None:
    msg = b'{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":157,"u":160,"b":[["0.0024","10"]],"a":[["0.0026","100"]]}'
    p = DepthParser(4, 0)
    assert p.parse_spot(msg) == 2 and (p.first_id, p.final_id, p.prev_final_id) == (157, 160, 156)
    d = parse_depth_py(msg, 4, 0, spot=True)
    assert (d.first_id, d.final_id, d.prev_final_id) == (157, 160, 156)
    with pytest.raises(ParseError, match="pu"):
        p.parse(msg)  # a USD-M diff must have pu
