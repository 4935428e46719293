"""How stored contexts are encoded: JSON when the value allows it, pickle otherwise.

Reading JSON runs no code, so a delta whose values are JSON data (strings,
numbers, booleans, None, lists, tuples, dicts with string keys) is stored as
JSON, with tuples, dicts and the package's own delta records tagged so that
they load back exactly as they were (a tuple stays a tuple). Values JSON cannot
hold exactly (datetimes, sets, bytes, custom objects, non-finite floats) make
the whole file pickle, which loads only what this package wrote: a stored
context folder must not be writable by anyone you would not let run code.
"""

from __future__ import annotations

import dataclasses
import json
import math
import pickle
from typing import Any

from neurocore_dagster.runtime import delta as delta_module

JSON_MAGIC = b"neurocore-json-1\n"
"""First bytes of a JSON-encoded file; a pickle starts with its protocol byte."""
_TUPLE, _DICT, _RECORD = "t", "d", "r"


class NotJSON(Exception):
    """The value holds something JSON cannot store exactly."""


def encode(value: Any) -> bytes:
    """``value`` as JSON when it can be stored exactly, else as a pickle."""
    try:
        return JSON_MAGIC + json.dumps(_to_json(value), separators=(",", ":")).encode()
    except NotJSON:
        return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def storable(value: Any) -> bool:
    """Whether :func:`encode` can store ``value``."""
    try:
        encode(value)
    except Exception:  # pickle refuses with several exception types
        return False
    return True


def decode(data: bytes) -> Any:
    """What :func:`encode` wrote; raises ``ValueError`` for anything else."""
    if data.startswith(JSON_MAGIC):
        return _from_json(json.loads(data[len(JSON_MAGIC) :]))
    if data[:1] == b"\x80":
        return pickle.loads(data)
    raise ValueError("neither a JSON nor a pickle context file")


def _to_json(value: Any) -> Any:
    if value is None or type(value) in (bool, int, str):
        return value
    if type(value) is float:
        if not math.isfinite(value):
            raise NotJSON(value)
        return value
    if type(value) is list:
        return [_to_json(v) for v in value]
    if type(value) is tuple:
        return {_TUPLE: [_to_json(v) for v in value]}
    if type(value) is dict:
        if not all(type(k) is str for k in value):
            raise NotJSON(value)
        return {_DICT: {k: _to_json(v) for k, v in value.items()}}
    if dataclasses.is_dataclass(value) and _record_class(type(value).__name__) is type(value):
        fields = {f.name: _to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {_RECORD: [type(value).__name__, fields]}
    raise NotJSON(value)


def _from_json(value: Any) -> Any:
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    if not isinstance(value, dict):
        return value
    [(tag, inner)] = value.items()
    if tag == _TUPLE:
        return tuple(_from_json(v) for v in inner)
    if tag == _DICT:
        return {k: _from_json(v) for k, v in inner.items()}
    if tag == _RECORD:
        name, fields = inner
        cls = _record_class(name)
        if cls is None:
            raise ValueError(f"unknown record type {name!r}")
        return cls(**{k: _from_json(v) for k, v in fields.items()})
    raise ValueError(f"unknown tag {tag!r}")


def _record_class(name: str) -> type | None:
    """A dataclass of the delta module (the only records stored), by name."""
    cls = getattr(delta_module, name, None)
    is_record = isinstance(cls, type) and dataclasses.is_dataclass(cls)
    return cls if is_record and cls.__module__ == delta_module.__name__ else None
