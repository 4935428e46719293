"""JSON Schema (a skill's ``config_schema``) as Dagster config fields.

Types map as string -> String, integer -> Int, number -> Float, boolean -> Bool,
string enum -> Enum, array -> list of its item type, object with properties ->
nested fields, other objects and untyped values -> Any. A value written in a
file becomes the field's default (so the launchpad shows it and run config can
override it key by key); a key the schema requires and no file sets is required
run config. A schema with ``properties`` refuses other keys unless it says
``additionalProperties``; a schema without properties is free-form. A value
written as ``{env: NAME}`` becomes a default read from the environment when a
run starts (:mod:`env_values`: a missing variable is refused naming the component
and key), so the secret itself is never part of the job, its run config or its
events. Inside objects whose keys the schema does not list (free-form), such a
value is read as a string.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import dagster as dg

from neurocore_dagster.dagster_layer.jobs.env_values import (
    ENV_KINDS,
    FALSE_WORDS,
    TRUE_WORDS,
    EnvBool,
    EnvString,
    EnvValue,
)
from neurocore_dagster.project.component_config import (
    contains_env_ref,
    effective_schema,
    is_env_ref,
)

CONFIG_SCALARS: dict[str, Any] = {
    "string": dg.String,
    "integer": dg.Int,
    "number": dg.Float,
    "boolean": dg.Bool,
}
_NO_DEFAULT = object()


@dataclass(frozen=True)
class _Where:
    """A config field: the Dagster type name it gets (unique per job) and, for errors, the
    component and key path it is, kept as written (never parsed back from the type name:
    a component called ``class`` has the resource key ``class_``, and keys may hold ``__``).
    """

    type_name: str
    component: str
    keys: tuple[str, ...] = ()

    def child(self, key: str) -> _Where:
        return _Where(f"{self.type_name}__{key}", self.component, (*self.keys, key))

    @property
    def place(self) -> str:
        return f"config key {'.'.join(self.keys)!r} of component {self.component!r}"


def config_field(
    schema: Mapping[str, Any], values: Mapping[str, Any], name: str, component: str
) -> dg.Field:
    """The config field of a whole component: its schema's properties with file values.

    ``name`` (the resource key) names the field's Dagster types; ``component`` (the name
    written in the blueprint) is what a refused ``{env: NAME}`` names."""
    config_type = _object_type(effective_schema(dict(schema)), values, _Where(name, component))
    if _any_required(schema, values):
        return dg.Field(config_type, is_required=True, description=schema.get("description"))
    return dg.Field(config_type, description=schema.get("description"))


def _any_required(schema: Mapping[str, Any], values: Mapping[str, Any]) -> bool:
    props = schema.get("properties", {})
    return any(
        key not in values and "default" not in props.get(key, {})
        for key in schema.get("required", [])
    )


def _object_type(schema: Mapping[str, Any], values: Mapping[str, Any], where: _Where) -> Any:
    props: Mapping[str, Any] = schema.get("properties", {}) or {}
    required = set(schema.get("required", []))
    fields: dict[str, dg.Field] = {}
    for key, prop in props.items():
        default = values.get(key, prop.get("default", _NO_DEFAULT))
        fields[key] = _field(prop, default, key in required, where.child(key))
    for key, value in values.items():
        if key not in fields:
            fields[key] = _free_field(value, where.child(key))
    if schema.get("additionalProperties") is False:
        return dg.Shape(fields)
    return dg.Permissive(fields)


def _free_field(value: Any, where: _Where) -> dg.Field:
    """A key no schema types: ``{env: NAME}`` is read as a string, also in nested objects."""
    if is_env_ref(value):
        return dg.Field(
            EnvString(where.type_name, where.place), is_required=False, default_value=value
        )
    if isinstance(value, dict) and contains_env_ref(value):
        inner = {k: _free_field(v, where.child(k)) for k, v in value.items()}
        return dg.Field(dg.Permissive(inner), is_required=False, default_value=value)
    return dg.Field(dg.Any, is_required=False, default_value=value)


def _field(prop: Mapping[str, Any], default: Any, required: bool, where: _Where) -> dg.Field:
    if is_env_ref(default):
        kind = prop.get("type", "string")
        source = EnvValue(kind if kind in ENV_KINDS else "string", where.type_name, where.place)
        return dg.Field(
            source, is_required=False, default_value=default, description=prop.get("description")
        )
    if _is_free_object(prop) and isinstance(default, dict) and contains_env_ref(default):
        field = _free_field(default, where)
        return dg.Field(
            field.config_type,
            is_required=False,
            default_value=default,
            description=prop.get("description"),
        )
    config_type = _type_of(prop, default if isinstance(default, dict) else {}, where)
    description = prop.get("description")
    if default is _NO_DEFAULT:
        return dg.Field(config_type, is_required=required, description=description)
    if default is None:
        return dg.Field(
            dg.Noneable(config_type), is_required=False, default_value=None, description=description
        )
    return dg.Field(config_type, is_required=False, default_value=default, description=description)


def _is_free_object(prop: Mapping[str, Any]) -> bool:
    """An object (or untyped value) whose keys no ``properties`` list."""
    return prop.get("type") in (None, "object") and not prop.get("properties")


def _type_of(prop: Mapping[str, Any], nested: Mapping[str, Any], where: _Where) -> Any:
    kind = prop.get("type")
    if isinstance(kind, list):
        return dg.Any
    if "enum" in prop and all(isinstance(v, str) for v in prop["enum"]):
        return dg.Enum(where.type_name, [dg.EnumValue(v) for v in prop["enum"]])
    if kind in CONFIG_SCALARS:
        return CONFIG_SCALARS[kind]
    if kind == "array":
        items = prop.get("items")
        return [_type_of(items, {}, where.child("item"))] if isinstance(items, dict) else [dg.Any]
    if kind == "object" and prop.get("properties"):
        return _object_type(prop, nested, where)
    return dg.Any


__all__ = ["FALSE_WORDS", "TRUE_WORDS", "EnvBool", "config_field"]
