"""The engine API's frozen results to protobuf messages and back, by field name.

A result dataclass and its message share field names, so one pair of functions carries them
all and a field added on one side and not the other fails the round-trip test
(``tests/unit/test_grpc_codec.py``) instead of silently vanishing. The conventions:

- ``str | None``, ``Decimal | None`` and ``Reason | None`` are ``optional`` fields (absent: None);
- a ``Mapping`` of free-form values travels as JSON in ``<name>_json``; ``Mapping[str, str]`` as a map;
- a tuple of dataclasses is a repeated message; a tuple of str a repeated string;
- fields only the message has (``ts_ns`` of a ticker) are the caller's to set.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import types
import typing
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar, Union

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass

from alephtx.core.risk.codes import Reason

T = TypeVar("T")
M = TypeVar("M", bound=Message)


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _plain(hint: Any) -> tuple[Any, bool]:
    """The type inside ``X | None`` and whether None was allowed."""
    if typing.get_origin(hint) in (Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return (args[0] if len(args) == 1 else hint), True
    return hint, False


def _is_map(fd: FieldDescriptor) -> bool:
    return fd.message_type is not None and fd.message_type.GetOptions().map_entry


def to_pb(obj: Any, cls: type[M]) -> M:
    """The message ``cls`` holding the dataclass ``obj``'s fields."""
    msg = cls()
    by_name = cls.DESCRIPTOR.fields_by_name
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        fd = by_name.get(f.name)
        if fd is None:
            if f"{f.name}_json" not in by_name:
                raise TypeError(f"{cls.__name__} has no field {f.name} (nor {f.name}_json)")
            setattr(msg, f"{f.name}_json", json.dumps(dict(value), default=str, sort_keys=True))
            continue
        if value is None:
            continue
        if _is_map(fd):
            getattr(msg, f.name).update({str(k): str(v) for k, v in value.items()})
        elif fd.is_repeated:
            target = getattr(msg, f.name)
            if fd.message_type is not None:
                inner = GetMessageClass(fd.message_type)
                target.extend(to_pb(item, inner) for item in value)
            else:
                target.extend(value)
        elif fd.message_type is not None:
            getattr(msg, f.name).CopyFrom(to_pb(value, GetMessageClass(fd.message_type)))
        elif isinstance(value, Reason):
            setattr(msg, f.name, value.name)
        elif isinstance(value, enum.Enum):
            setattr(msg, f.name, value.value)
        elif isinstance(value, Decimal):
            setattr(msg, f.name, str(value))
        else:
            setattr(msg, f.name, value)
    return msg


def from_pb(msg: Message, cls: type[T]) -> T:
    """The dataclass ``cls`` from a message that ``to_pb`` made (or a peer that speaks the proto)."""
    hints = _hints(cls)  # type: ignore[arg-type]
    by_name = msg.DESCRIPTOR.fields_by_name
    kw: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        hint, optional = _plain(hints[f.name])
        fd = by_name.get(f.name)
        if fd is None:
            kw[f.name] = json.loads(getattr(msg, f"{f.name}_json") or "{}")
            continue
        value = getattr(msg, f.name)
        if _is_map(fd):
            kw[f.name] = dict(value)
        elif fd.is_repeated:
            (inner, *_) = typing.get_args(hint) or (str,)
            is_dc = dataclasses.is_dataclass(inner)
            kw[f.name] = tuple(from_pb(x, inner) if is_dc else x for x in value)
        elif optional and fd.has_presence and not msg.HasField(f.name):
            kw[f.name] = None
        elif dataclasses.is_dataclass(hint):
            kw[f.name] = from_pb(value, hint)  # type: ignore[arg-type]
        elif hint is Reason:
            kw[f.name] = Reason[value] if value else None
        elif hint is Decimal:
            kw[f.name] = Decimal(value)
        else:
            kw[f.name] = value
    return cls(**kw)
