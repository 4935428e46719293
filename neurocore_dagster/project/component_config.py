"""A component's configuration: layers merged key by key, checked against the skill.

Precedence (later wins): ``neurocore.yaml`` ``skills.<skill>``, then the
blueprint component's ``config``, then overrides given in code. Run config is
merged on top by Dagster at launch. A value written in a file that the skill's
``config_schema`` refuses is a located :class:`BlueprintError` when the job is
built; a required key no file sets is left to run config (Dagster refuses the
launch if it is still missing).

Two rules beyond plain JSON Schema: a schema that lists ``properties`` and does
not say ``additionalProperties`` refuses other keys (a typo never passes
silently), and a value written as ``{env: NAME}`` is a secret read from the
environment when a run starts; it is never written into run config or logs.
It may stand as the value of any key of an object, at any depth (see
``ENV_PLACES``); a boolean read from the environment accepts only the words of
``config_types.EnvBool``.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema
from jsonschema.validators import validator_for

from neurocore_dagster.blueprint.source import SourceMap
from neurocore_dagster.errors import BlueprintIssue, Loc, issue
from neurocore_dagster.project.plain_schema import plainly_valid


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


ENV_TYPES = ("string", "integer", "boolean")


def is_env_ref(value: Any) -> bool:
    """``{env: NAME}``: a value to read from the environment variable NAME at run time."""
    return isinstance(value, dict) and list(value) == ["env"]


def effective_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema as applied: listed properties close the object unless it says otherwise."""
    if "properties" in schema and "additionalProperties" not in schema:
        return {**schema, "additionalProperties": False}
    return schema


def contains_env_ref(value: Any) -> bool:
    """Whether ``value`` is, or holds at any depth, an ``{env: NAME}`` reference."""
    if is_env_ref(value):
        return True
    if isinstance(value, dict):
        return any(contains_env_ref(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_env_ref(v) for v in value)
    return False


def without_env_refs(value: Any) -> Any:
    """``value`` with every ``{env: NAME}`` left out (they are checked apart)."""
    if isinstance(value, dict):
        return {k: without_env_refs(v) for k, v in value.items() if not is_env_ref(v)}
    if isinstance(value, list):  # a reference in a list is an error of its own
        return [without_env_refs(v) for v in value if not is_env_ref(v)]
    return value


ENV_PLACES = (
    "an {env: NAME} reference may stand as the value of a config key, at any depth of "
    "objects: a key typed string, integer or boolean, or a key of a free-form object "
    "(read as a string); not inside a list"
)


def _env_problems(value: Any, schema: Any, path: Loc, skill: str) -> Iterator[tuple[Loc, str]]:
    """(key path, problem) for each ``{env: NAME}`` that cannot stand where it is."""
    if is_env_ref(value):
        kind = schema.get("type", "string") if isinstance(schema, dict) else "string"
        if not isinstance(value["env"], str) or not value["env"]:
            yield path, "an environment variable name must be a non-empty string"
        elif kind not in ENV_TYPES:
            yield (
                path,
                (
                    f"config of skill {skill!r}: {'.'.join(map(str, path))!r} is {kind}; values "
                    f"from the environment can be {', '.join(ENV_TYPES)} ({ENV_PLACES})"
                ),
            )
    elif isinstance(value, dict):
        props = schema.get("properties", {}) if isinstance(schema, dict) else {}
        for key, inner in value.items():
            yield from _env_problems(inner, props.get(key), (*path, key), skill)
    elif isinstance(value, list) and contains_env_ref(value):
        yield path, f"config of skill {skill!r}: {ENV_PLACES}"


def _env_issues(merged: MergedConfig, schema: dict[str, Any], skill: str) -> list[BlueprintIssue]:
    found = []
    props = schema.get("properties", {})
    for key, value in merged.values.items():
        layer = merged.origin[key]
        for path, problem in _env_problems(value, props.get(key), (key,), skill):
            found.append(
                layer.source.locate(
                    issue(
                        "config.env",
                        problem,
                        (*layer.loc, *path),
                        input=value,
                        expected="{env: VARIABLE_NAME}",
                    )
                )
            )
    return found


def schema_issues(merged: MergedConfig, schema: dict[str, Any], skill: str) -> list[BlueprintIssue]:
    """Problems with the written values; missing required keys are not problems here."""
    if not schema:
        return []
    found_env = _env_issues(merged, schema, skill)
    schema = effective_schema(schema)
    literal = without_env_refs(merged.values)
    merged = MergedConfig(literal, merged.origin)
    cls = validator_for(schema, default=jsonschema.Draft202012Validator)
    problem = _schema_problem(json.dumps(schema, sort_keys=True, default=str))
    if problem:
        return [
            issue(
                "skill.bad_config_schema",
                f"skill {skill!r} has an invalid config_schema: {problem}",
            )
        ]
    found = list(found_env)
    if plainly_valid(merged.values, schema):
        return found
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


@functools.lru_cache(maxsize=1024)
def _schema_problem(schema_json: str) -> str | None:
    """Why a schema is not valid JSON Schema (cached: skills share schemas)."""
    schema = json.loads(schema_json)
    cls = validator_for(schema, default=jsonschema.Draft202012Validator)
    try:
        cls.check_schema(schema)
    except jsonschema.SchemaError as exc:
        return str(exc.message)
    return None


def _offending_key(error: jsonschema.ValidationError, values: dict[str, Any]) -> str | None:
    if error.absolute_path:
        first = error.absolute_path[0]
        return first if isinstance(first, str) else None
    if error.validator == "additionalProperties" and isinstance(error.schema, Mapping):
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
