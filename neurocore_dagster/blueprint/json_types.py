"""JSON Schema's scalar and container types, and which Python values are of each.

The one table every check of a declared type reads: input defaults (blueprint
checks), ``--data`` values (CLI), component config values (the plain-schema fast
path). JSON Schema's reading: a bool is not an integer or a number.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

JSON_TYPES: Mapping[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}
"""Type name -> the Python types of its values (as ``json.loads`` produces them)."""


def is_json_type(kind: str, value: Any) -> bool:
    """Whether ``value`` is of JSON type ``kind`` (one of :data:`JSON_TYPES`)."""
    allowed = JSON_TYPES[kind]
    if isinstance(value, bool):
        return bool in allowed
    return isinstance(value, allowed)
