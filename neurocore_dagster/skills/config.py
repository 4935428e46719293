"""A component's configuration: layers merged key by key, checked against the skill.

Precedence (later wins): ``neurocore.yaml`` ``skills.<skill>``, then the
blueprint component's ``config``. Run config is merged on top by Dagster at
launch. A value written in a file that the skill's ``config_schema`` refuses is a
located :class:`BlueprintError` when the job is built; a required key no file
sets is left to run config (Dagster refuses the launch if it is still missing).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jsonschema
from jsonschema.validators import validator_for

from neurocore_dagster.blueprint.source import SourceMap
from neurocore_dagster.errors import BlueprintIssue, Loc, issue


@dataclass(frozen=True)
class ConfigLayer:
    """Config values written in one place (a file and the key path inside it)."""

    values: dict[str, Any]
    source: SourceMap
    loc: Loc


@dataclass(frozen=True)
class MergedConfig:
    values: dict[str, Any]
    origin: dict[str, ConfigLayer]


def merge_layers(layers: list[ConfigLayer]) -> MergedConfig:
    values: dict[str, Any] = {}
    origin: dict[str, ConfigLayer] = {}
    for layer in layers:
        for key, value in layer.values.items():
            values[key] = value
            origin[key] = layer
    return MergedConfig(values, origin)


def schema_issues(merged: MergedConfig, schema: dict[str, Any], skill: str) -> list[BlueprintIssue]:
    """Problems with the written values; missing required keys are not problems here."""
    if not schema:
        return []
    cls = validator_for(schema, default=jsonschema.Draft202012Validator)
    try:
        cls.check_schema(schema)
    except jsonschema.SchemaError as exc:
        return [
            issue(
                "skill.bad_config_schema",
                f"skill {skill!r} has an invalid config_schema: {exc.message}",
            )
        ]
    found = []
    for error in cls(schema).iter_errors(merged.values):
        if error.validator == "required":
            continue
        key = _offending_key(error, merged.values)
        layer = merged.origin.get(key) if key is not None else None
        loc = (*layer.loc, *error.absolute_path) if layer else ()
        if error.validator == "additionalProperties" and key is not None and layer:
            loc = (*layer.loc, key)
        where = layer.source if layer else SourceMap()
        known = ", ".join(sorted(schema.get("properties", {}))) or "(none)"
        expected = (
            f"a key of skill {skill!r}: {known}"
            if error.validator == "additionalProperties"
            else _describe(error.schema)
        )
        found.append(
            where.locate(
                issue(
                    f"config.{error.validator}",
                    f"config of skill {skill!r}: {error.message}",
                    loc,
                    input=error.instance,
                    expected=expected,
                )
            )
        )
    return found


def _offending_key(error: jsonschema.ValidationError, values: dict[str, Any]) -> str | None:
    if error.absolute_path:
        first = error.absolute_path[0]
        return first if isinstance(first, str) else None
    if error.validator == "additionalProperties":
        allowed = set(error.schema.get("properties", {}))
        extra = [k for k in values if k not in allowed]
        return extra[0] if extra else None
    return None


def _describe(schema: Any) -> str | None:
    if not isinstance(schema, dict):
        return None
    if "enum" in schema:
        return "one of " + ", ".join(repr(v) for v in schema["enum"])
    if "type" in schema:
        return f"type {schema['type']}"
    return None
