"""Compact wire encoding for the bus: MessagePack via msgspec, typed on decode."""

from __future__ import annotations

from typing import Any

import msgspec

_encoder = msgspec.msgpack.Encoder()
_decoders: dict[Any, msgspec.msgpack.Decoder[Any]] = {}

DecodeError = (msgspec.DecodeError, msgspec.ValidationError)


def encode(obj: Any) -> bytes:
    if isinstance(obj, bytes | bytearray | memoryview):
        return bytes(obj)
    return _encoder.encode(obj)


def decode(data: bytes, typ: Any = None) -> Any:
    """Decode to ``typ`` (a msgspec Struct, dataclass, or builtin); raises one of DecodeError."""
    dec = _decoders.get(typ)
    if dec is None:
        dec = _decoders[typ] = msgspec.msgpack.Decoder(typ) if typ is not None else msgspec.msgpack.Decoder()
    return dec.decode(data)


def coerce(obj: Any, typ: Any) -> Any:
    """What an in-process subscriber receives: the object itself when it already has the type."""
    if typ is None:
        return decode(obj) if isinstance(obj, bytes) else obj
    if isinstance(obj, bytes):
        return decode(obj, typ)
    if isinstance(typ, type) and isinstance(obj, typ):
        return obj
    return msgspec.convert(msgspec.to_builtins(obj), typ)
