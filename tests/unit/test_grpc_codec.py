"""The engine API's results survive the wire: every result dataclass, filled with drawn values,
comes back equal from its protobuf message (a field added on one side only fails here)."""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

from google.protobuf.descriptor import FieldDescriptor
from hypothesis import given, settings
from hypothesis import strategies as st

from alephtx.core.engine import api
from alephtx.core.engine.service import FillView, NodeStatus, TradeView, VenueStatus
from alephtx.core.engine.tickets import TicketResult, TicketView
from alephtx.core.risk.codes import Reason
from alephtx.core.server.codec import _plain, from_pb, to_pb
from alephtx.proto import aleph_pb2 as pb

PAIRS: list[tuple[type, type]] = [
    (api.Level, pb.Level),
    (api.Halt, pb.HaltInfo),
    (api.InstrumentInfo, pb.InstrumentInfo),
    (api.Ticker, pb.Ticker),
    (api.OrderBook, pb.BookSnapshot),
    (api.PositionView, pb.Position),
    (api.BalanceView, pb.Balance),
    (api.OpenOrder, pb.OrderInfo),
    (api.Account, pb.AccountInfo),
    (api.RiskStatus, pb.RiskStatus),
    (api.StrategyView, pb.StrategyInfo),
    (api.CancelResult, pb.CancelOrderOutcome),
    (TradeView, pb.TradeInfo),
    (FillView, pb.FillInfo),
    (VenueStatus, pb.VenueStatus),
    (NodeStatus, pb.NodeStatus),
    (TicketView, pb.TicketInfo),
    (TicketResult, pb.TicketOutcome),
]
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
JSONABLE = st.dictionaries(
    st.text(max_size=5), st.one_of(st.integers(-(2**53), 2**53), TEXT, st.booleans()), max_size=3
)


def values(hint: Any, fd: FieldDescriptor | None) -> st.SearchStrategy[Any]:
    """Values of a dataclass field's type that its message field can hold."""
    inner, optional = _plain(hint)
    base: st.SearchStrategy[Any]
    if dataclasses.is_dataclass(inner):
        base = instances(inner)  # type: ignore[arg-type]
    elif typing.get_origin(inner) is tuple:
        (item, *_) = typing.get_args(inner)
        base = st.lists(instances(item) if dataclasses.is_dataclass(item) else TEXT, max_size=3).map(tuple)
    elif fd is None:  # a Mapping of anything: travels as JSON
        base = JSONABLE
    elif fd.message_type is not None:  # Mapping[str, str]: a map field
        base = st.dictionaries(TEXT, TEXT, max_size=3)
    elif inner is bool:
        base = st.booleans()
    elif inner is int:
        bits = 63 if fd.type == FieldDescriptor.TYPE_INT64 else 31
        base = st.integers(-(2**bits), 2**bits - 1)
    elif inner is float:
        base = st.floats(allow_nan=False, allow_infinity=False)
    elif inner is Reason:
        base = st.sampled_from(list(Reason))
    else:
        base = TEXT
    return st.one_of(st.none(), base) if optional else base


def instances(cls: type) -> st.SearchStrategy[Any]:
    msg = dict(PAIRS)[cls]
    hints = typing.get_type_hints(cls)
    fields = msg.DESCRIPTOR.fields_by_name
    return st.builds(cls, **{f.name: values(hints[f.name], fields.get(f.name)) for f in dataclasses.fields(cls)})


def test_every_result_field_has_a_place_in_its_message() -> None:
    for cls, msg in PAIRS:
        names = set(msg.DESCRIPTOR.fields_by_name)
        for f in dataclasses.fields(cls):
            assert f.name in names or f"{f.name}_json" in names, (cls.__name__, f.name)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_results_round_trip(data: st.DataObject) -> None:
    for cls, msg in PAIRS:
        value = data.draw(instances(cls), label=cls.__name__)
        wire = to_pb(value, msg).SerializeToString()
        assert from_pb(msg.FromString(wire), cls) == value
