"""Config values that plainly satisfy a simple schema, recognised without jsonschema.

Most skills' ``config_schema`` is a flat object of typed scalars, and most
config values written for them are right. Running jsonschema on each of the
thousands of components of a large project costs more than the rest of their
config checks together, so :func:`plainly_valid` answers the common case first.
It answers True only when jsonschema (Draft 2020-12, the default) would report
no problem other than a missing required key; for anything it does not fully
understand it answers False, which means "ask jsonschema", never "invalid".

Understood: ``type: object`` with ``properties``, ``required`` (ignored: a missing
key is left to run config), ``additionalProperties`` true or false, and
annotations (``description``, ``default``, ``title``, ``examples``,
``$comment``); each property may have a single ``type`` of string, integer,
number or boolean, a string ``enum``, and annotations. Integers are Python
ints (not bools), numbers ints or floats (not bools).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

_ANNOTATIONS = frozenset({"description", "default", "title", "examples", "$comment"})
_OBJECT_KEYWORDS = _ANNOTATIONS | {"type", "properties", "required", "additionalProperties"}
_PROPERTY_KEYWORDS = _ANNOTATIONS | {"type", "enum"}
_TYPES: Mapping[str, Callable[[Any], bool]] = {
    "string": lambda value: type(value) is str,
    "integer": lambda value: type(value) is int,
    "number": lambda value: type(value) in (int, float),
    "boolean": lambda value: type(value) is bool,
}


def plainly_valid(values: Mapping[str, Any], schema: Mapping[str, Any]) -> bool:
    """True when ``values`` certainly pass ``schema``; False when jsonschema must decide."""
    if schema.get("type") != "object" or not _OBJECT_KEYWORDS.issuperset(schema):
        return False
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    if not isinstance(properties, dict) or type(extra) is not bool:
        return False
    for key, value in values.items():
        prop = properties.get(key)
        if prop is None:
            if extra is not True:
                return False
        elif not _property_holds(prop, value):
            return False
    return True


def _property_holds(prop: Any, value: Any) -> bool:
    if not isinstance(prop, dict) or not _PROPERTY_KEYWORDS.issuperset(prop):
        return False
    if "type" in prop:
        check = _TYPES.get(prop["type"]) if isinstance(prop["type"], str) else None
        if check is None or not check(value):
            return False
    if "enum" in prop:
        choices = prop["enum"]
        if not isinstance(choices, list) or not all(type(c) is str for c in choices):
            return False
        return type(value) is str and value in choices
    return True
