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
``$comment``); each property may have a single ``type`` (one of
``blueprint.json_types.JSON_TYPES``: string, integer, number, boolean, array,
object), a string ``enum``, and annotations. Integers are Python ints (not
bools), numbers ints or floats (not bools).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from neurocore_dagster.blueprint.json_types import JSON_TYPES, is_json_type

_ANNOTATIONS = frozenset({"description", "default", "title", "examples", "$comment"})
_OBJECT_KEYWORDS = _ANNOTATIONS | {"type", "properties", "required", "additionalProperties"}
_PROPERTY_KEYWORDS = _ANNOTATIONS | {"type", "enum"}


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
        kind = prop["type"]
        if not isinstance(kind, str) or kind not in JSON_TYPES or not is_json_type(kind, value):
            return False
    if "enum" in prop:
        choices = prop["enum"]
        if not isinstance(choices, list) or not all(type(c) is str for c in choices):
            return False
        return type(value) is str and value in choices
    return True
