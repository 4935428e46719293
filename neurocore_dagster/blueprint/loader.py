"""Load a blueprint file into a :class:`Blueprint`, or say exactly what is wrong."""

from __future__ import annotations

import functools
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from neurocore_dagster.blueprint.model import READING_CONTEXT, Blueprint, read_blueprint_data
from neurocore_dagster.blueprint.source import SourceMap, read_yaml_file
from neurocore_dagster.errors import BlueprintError, BlueprintIssue, Loc, issue


def load_blueprint(path: str | Path, *, strict: bool = False) -> Blueprint:
    """Read, parse and validate a blueprint file.

    Raises :class:`BlueprintError` listing every problem with file, line and key path.
    What NeuroCore reads other than as written (an ignored key, a converted value)
    loads with a located warning in ``Blueprint.warnings``; ``strict=True`` raises
    them as errors instead, with any other problems.
    """
    return read_blueprint(Path(path), strict=strict)


def read_blueprint(path: Path, display: str | None = None, *, strict: bool = False) -> Blueprint:
    """:func:`load_blueprint`, naming the file ``display`` in errors (e.g. project-relative)."""
    document = read_yaml_file(path, display=display)
    return blueprint_from_data(document.data, document.source, strict=strict)


def blueprint_from_data(data: Any, source: SourceMap, *, strict: bool = False) -> Blueprint:
    """Validate parsed YAML data; issues (and warnings) are located with ``source``.

    ``strict``: the warnings are errors. A document that fails lists its reading's
    warnings (ignored keys, converted values) with its errors either way.
    """
    if not isinstance(data, dict):
        raise BlueprintError(
            [
                source.locate(
                    issue(
                        "document.not_mapping",
                        f"a blueprint is a YAML mapping, not {_kind(data)}",
                        input=data,
                        expected="keys name, components, flow",
                    )
                )
            ]
        )
    reading = read_blueprint_data(data)
    try:
        blueprint = Blueprint.model_validate(reading.data, context={READING_CONTEXT: reading})
    except ValidationError as exc:
        # The reading's warnings go with the errors: a dropped key is often the fix
        # ('componet' beside a missing 'component').
        found = [source.locate(i) for i in (*reading.warnings, *issues_from_validation(exc))]
        raise BlueprintError(_in_line_order(found)) from None
    blueprint.with_source(source)
    if strict and blueprint.warnings:
        raise BlueprintError(blueprint.warnings)
    return blueprint


def _in_line_order(issues: list[BlueprintIssue]) -> list[BlueprintIssue]:
    return sorted(issues, key=lambda i: (i.line or 0, [str(s) for s in i.loc]))


def issues_from_validation(
    error: ValidationError, root: type[BaseModel] = Blueprint, prefix: Loc = ()
) -> list[BlueprintIssue]:
    """Turn pydantic's errors into issues (semantic ones carry their own list)."""
    found: list[BlueprintIssue] = []
    for detail in error.errors(include_url=False):
        loc: Loc = tuple(detail["loc"])
        ctx = detail.get("ctx") or {}
        if detail["type"] == "blueprint.semantic" and "issues" in ctx:
            for inner in ctx["issues"]:
                found.append(
                    BlueprintIssue(
                        type=inner.type,
                        msg=inner.msg,
                        loc=(*prefix, *loc, *inner.loc),
                        input=inner.input,
                        expected=inner.expected,
                        has_input=inner.has_input,
                    )
                )
            continue
        found.append(_from_pydantic(detail, root, prefix, loc))
    return found


def _from_pydantic(detail: Any, root: type[BaseModel], prefix: Loc, loc: Loc) -> BlueprintIssue:
    kind = detail["type"]
    full = (*prefix, *loc)
    if kind == "extra_forbidden":
        keys = _valid_keys(root, loc[:-1])
        return issue(
            "key.unknown",
            f"unknown key {loc[-1]!r}",
            full,
            input=loc[-1],
            expected=f"one of: {', '.join(keys)}" if keys else None,
        )
    if kind == "missing":
        return issue("key.missing", f"required key {loc[-1]!r} is missing", full)
    ctx = detail.get("ctx") or {}
    expected = ctx.get("expected")
    message = detail["msg"] + _type_hint(kind, detail.get("input"))
    return issue(
        f"value.{kind}",
        message,
        full,
        input=detail.get("input"),
        expected=str(expected) if expected is not None else None,
    )


def _type_hint(kind: str, value: Any) -> str:
    """Why a value of the wrong type was written so, and how to write it (types are strict)."""
    if kind == "string_type" and isinstance(value, bool | int | float):
        return " (YAML reads yes/no/on/off and bare numbers as non-strings: quote it)"
    if kind in ("int_type", "float_type") and isinstance(value, bool):
        return " (a boolean is not a number: write the number)"
    if kind in ("int_type", "float_type", "bool_type") and isinstance(value, str):
        return " (write it unquoted: a quoted value is a string)"
    return ""


@functools.lru_cache(maxsize=256)
def _valid_keys(root: type[BaseModel], loc: Loc) -> tuple[str, ...]:
    """The keys the model accepts at ``loc`` (cached: a document may hold thousands
    of unknown keys under one parent)."""
    target: Any = root
    for segment in loc:
        target = _unwrap(target)
        if isinstance(segment, int) and isinstance(target, type) and issubclass(target, BaseModel):
            continue  # the index into a list _unwrap has already stepped into
        if isinstance(target, type) and issubclass(target, BaseModel):
            field = target.model_fields.get(str(segment))
            if field is None:
                return ()
            target = field.annotation
        elif isinstance(segment, int) or typing.get_origin(target) is dict:
            args = typing.get_args(target)
            target = args[-1] if args else Any
        else:
            return ()
    target = _unwrap(target)
    if isinstance(target, type) and issubclass(target, BaseModel):
        return tuple(target.model_fields)
    return ()


def _unwrap(annotation: Any) -> Any:
    """Strip ``X | None`` and ``list[X]`` down to ``X``."""
    while True:
        origin = typing.get_origin(annotation)
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if (origin in (typing.Union, types.UnionType) and len(args) == 1) or (
            origin is list and args
        ):
            annotation = args[0]
        else:
            return annotation


def _kind(value: Any) -> str:
    if value is None:
        return "an empty document"
    if type(value) is list:
        return "a list"
    if type(value) is str:
        return "a string"
    return f"a {type(value).__name__}"
