"""NeuroCore's reading of a document: what it ignores and what it coerces, each a warning.

NeuroCore reads blueprints and ``neurocore.yaml`` with pydantic's defaults: a
key no model field has is dropped without a word, and a value of the wrong
scalar type is converted when pydantic's lax mode can (``"5"`` and ``true`` for
an integer, ``"yes"`` for a boolean). So every such document loads here too,
as NeuroCore reads it, and nothing a user wrote vanishes silently: each dropped
key and each converted value is a located *warning* (an issue) saying what the
key or value is taken to mean. ``strict`` callers turn the warnings into errors.
One more difference is not NeuroCore's: free-form skill config becomes Dagster
run config, which holds JSON, so a YAML date there (which NeuroCore hands the
skill as a date) is read as its ISO text, with a warning too.

The known keys are the fields of this package's own models (every key NeuroCore
knows is one of them). Sections that are this package's alone (``triggers``)
keep their own strict rules: NeuroCore ignores the whole section, so there is
no NeuroCore reading of its insides to follow.
"""

from __future__ import annotations

import datetime
import difflib
import functools
import types
import typing
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from neurocore_dagster.errors import BlueprintIssue, Loc, issue

IGNORED = "key.ignored"
"""A key no model has: dropped, as NeuroCore drops it."""
COERCED = "value.coerced"
"""A scalar of another type that NeuroCore's lax reading converts (``true`` -> ``1``)."""
DATE_AS_TEXT = "value.date_as_text"
"""A YAML date in free-form config, read as its ISO text (run config holds JSON only)."""

_SCALARS = (bool, int, float)
_KIND_NAMES = {bool: "a boolean", int: "an integer", float: "a number"}


@dataclass(frozen=True)
class Reading:
    """A document as NeuroCore reads it, with a warning for each difference from the text."""

    data: Any
    warnings: tuple[BlueprintIssue, ...] = ()


Extra = Callable[[Any, Loc, list[BlueprintIssue]], Any]
"""A reader for a key a model does not declare but the document format has (``approval``)."""
Hook = Callable[[dict[Any, Any], Loc, list[BlueprintIssue]], dict[Any, Any]]
"""Reads a model's mapping before its keys are read (a copy when it drops or adds keys)."""


@dataclass(frozen=True)
class Rules:
    """What one document type reads specially: sections left to their own model, keys a
    model's mappings may also hold (with their reader), and hooks run on a model's mapping."""

    own_sections: Collection[Loc] = ()
    extras: Mapping[type[BaseModel], Mapping[str, Extra]] = field(default_factory=dict)
    hooks: Mapping[type[BaseModel], Hook] = field(default_factory=dict)
    dates_as_text: Collection[tuple[type[BaseModel], str]] = ()
    """Free-form fields (skill config) where NeuroCore hands a skill YAML's date objects:
    here a date there is read as its ISO text, with a warning."""


def read_as_neurocore(data: Any, model: type[BaseModel], rules: Rules | None = None) -> Reading:
    """``data`` without the keys ``model`` does not know and with lax scalars converted.

    The input is never changed: containers on the path to a change are copied.
    """
    warnings: list[BlueprintIssue] = []
    read = _Reader(rules or Rules(), warnings).model(data, model, ())
    warnings.sort(key=lambda w: [str(s) for s in w.loc])
    return Reading(read, tuple(warnings))


class _Reader:
    def __init__(self, rules: Rules, warnings: list[BlueprintIssue]) -> None:
        self.rules = rules
        self.warnings = warnings

    def model(self, data: Any, model: type[BaseModel], loc: Loc) -> Any:
        if not isinstance(data, dict):
            return data
        original = data
        hook = self.rules.hooks.get(model)
        if hook is not None:
            data = hook(data, loc, self.warnings)
        extras = self.rules.extras.get(model, {})
        result: dict[Any, Any] = {}
        changed = False
        for key, value in data.items():
            if key in extras:
                new = extras[key](value, (*loc, key), self.warnings)
            elif not isinstance(key, str) or (*loc, key) in self.rules.own_sections:
                new = value  # the JSON rule says how to write a key; a section keeps its rules
            else:
                plan = _plan(model, key)
                if plan is None:
                    known = [*model.model_fields, *extras]
                    self.warnings.append(ignored_key(key, (*loc, key), known))
                    changed = True
                    continue
                new = self.value(value, plan, (*loc, key))
                if (model, key) in self.rules.dates_as_text:
                    new = _dates_as_text(new, (*loc, key), self.warnings)
            changed = changed or new is not value
            result[key] = new
        return result if changed or data is not original else original

    def value(self, value: Any, plan: _Plan, loc: Loc) -> Any:
        shape, target, metadata = plan
        if shape == "model":
            return self.model(value, target, loc)
        if shape == "list" and isinstance(value, list):
            read = [self.model(v, target, (*loc, i)) for i, v in enumerate(value)]
            return value if all(a is b for a, b in zip(read, value, strict=True)) else read
        if shape == "dict" and isinstance(value, dict):
            read_map = {k: self.model(v, target, (*loc, k)) for k, v in value.items()}
            return value if all(read_map[k] is value[k] for k in value) else read_map
        if shape == "scalar":
            return self._scalar(value, target, metadata, loc)
        return value

    def _scalar(self, value: Any, kind: type, metadata: tuple[Any, ...], loc: Loc) -> Any:
        if type(value) is kind or (kind is float and type(value) is int) or value is None:
            return value
        converted = lax_value(kind, metadata, value)
        if converted is None:
            return value  # NeuroCore refuses it too: the model says why
        self.warnings.append(coerced_value(value, converted, loc))
        return converted


_Plan = tuple[str, Any, tuple[Any, ...]]
"""How a field is read: ("model" | "list" | "dict", item model, ()), ("scalar", type,
constraints), or ("plain", None, ()) for a value read as it is."""


@functools.lru_cache(maxsize=512)
def _plan(model: type[BaseModel], key: str) -> _Plan | None:
    """How ``model`` reads ``key`` (None: no such field); computed once per field."""
    spec = model.model_fields.get(key)
    if spec is None:
        return None
    annotation = _unwrap(spec.annotation)
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if _is_model(annotation):
        return ("model", annotation, ())
    if origin is list and args and _is_model(_unwrap(args[0])):
        return ("list", _unwrap(args[0]), ())
    if origin is dict and len(args) == 2 and _is_model(_unwrap(args[1])):
        return ("dict", _unwrap(args[1]), ())
    if annotation in _SCALARS:
        return ("scalar", annotation, tuple(spec.metadata))
    return ("plain", None, ())


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _dates_as_text(value: Any, loc: Loc, warnings: list[BlueprintIssue]) -> Any:
    """``value`` with each date and datetime in it replaced by its ISO text (copies only
    the containers on the way to one)."""
    if isinstance(value, datetime.date):
        text = value.isoformat()
        warnings.append(
            issue(
                DATE_AS_TEXT,
                f"YAML reads this as a {type(value).__name__}; read as the string {text!r} "
                "(Dagster run config holds JSON; NeuroCore would hand the skill a "
                f"{type(value).__name__} object)",
                loc,
                input=value,
                expected=f"a quoted string, e.g. '{text}'",
            )
        )
        return text
    if isinstance(value, dict):
        read = {k: _dates_as_text(v, (*loc, k), warnings) for k, v in value.items()}
        return value if all(read[k] is value[k] for k in value) else read
    if isinstance(value, list):
        items = [_dates_as_text(v, (*loc, i), warnings) for i, v in enumerate(value)]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    return value


def lax_value(kind: type, metadata: tuple[Any, ...], value: Any) -> Any:
    """``value`` as pydantic's lax mode reads it for a ``kind`` field with ``metadata``
    constraints, or None when lax mode refuses it too."""
    try:
        return _lax_adapter(kind, metadata).validate_python(value)
    except (ValidationError, TypeError):
        return None


@functools.lru_cache(maxsize=64)
def _lax_adapter(kind: type, metadata: tuple[Any, ...]) -> TypeAdapter[Any]:
    target: Any = Annotated[kind, *metadata] if metadata else kind
    return TypeAdapter(target, config=ConfigDict(strict=False))


def ignored_key(key: str, loc: Loc, known: Collection[str], note: str = "") -> BlueprintIssue:
    """The warning for a key that is dropped; a close known key is offered as the fix."""
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.75)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return issue(
        IGNORED,
        f"unknown key {key!r} is ignored ({note or 'as NeuroCore ignores it'}){hint}",
        loc,
        input=key,
        expected=f"one of: {', '.join(sorted(known))}" if known else None,
    )


def coerced_value(value: Any, converted: Any, loc: Loc) -> BlueprintIssue:
    """The warning for a scalar read as another type, as NeuroCore's lax reading does."""
    written = _written(value)
    return issue(
        COERCED,
        f"{written} read as {_written(converted)} (NeuroCore's reading); "
        f"write {_written(converted)}",
        loc,
        input=value,
        expected=_KIND_NAMES[type(converted)],
    )


def _written(value: Any) -> str:
    """How a scalar is written in YAML (``true``, ``5``, ``'5'``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    return str(value)


def _unwrap(annotation: Any) -> Any:
    """``X | None`` down to ``X``."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation
