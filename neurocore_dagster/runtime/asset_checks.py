"""Evaluate a declared output's checks on the value a run produced (no Dagster here).

The rules, one per kind:

* ``present``: the key is in the context and its value is not ``None``;
* ``not_empty``: present, and not an empty (or whitespace-only) string, list or mapping;
* ``json_schema``: the value is valid under the schema (the first error is reported);
* ``condition``: the expression holds, with ``value`` and ``context`` in scope. A
  condition that cannot be evaluated is a failed check whose description is the
  error: a check never passes by default.
"""

from __future__ import annotations

from collections.abc import Mapping, Sized
from dataclasses import dataclass, field
from typing import Any

from flowengine import FlowContext
from flowengine.errors import ConditionEvaluationError

from neurocore_dagster.blueprint.asset_checks import AssetCheck
from neurocore_dagster.runtime.expressions import evaluate_check

_ABSENT = object()


@dataclass(frozen=True)
class CheckOutcome:
    """Whether a check passed, and why (shown with the evaluation in Dagster)."""

    passed: bool
    description: str
    details: Mapping[str, Any] = field(default_factory=dict)


def output_value(context: FlowContext, key: str) -> Any:
    """The plain value of ``key`` in ``context`` (not flowengine's DotDict wrapper)."""
    data = context.data.to_dict()
    return data.get(key, _ABSENT)


def evaluate_asset_check(check: AssetCheck, key: str, context: FlowContext) -> CheckOutcome:
    """The outcome of ``check`` on output ``key`` of ``context`` (see the module)."""
    value = output_value(context, key)
    if check.kind == "present" or value is _ABSENT:
        present = value is not _ABSENT and value is not None
        text = f"{key!r} is " + ("present" if present else "missing or None")
        return CheckOutcome(present, text)
    if check.kind == "not_empty":
        empty = value is None or _is_empty(value)
        return CheckOutcome(not empty, f"{key!r} is " + ("empty" if empty else "not empty"))
    if check.kind == "json_schema":
        assert check.json_schema is not None
        return _schema_outcome(check.json_schema, value, key)
    assert check.condition is not None
    expression = check.condition.expression
    try:
        holds = evaluate_check(expression, value, context)
    except ConditionEvaluationError as exc:
        return CheckOutcome(False, f"condition {expression!r} could not be evaluated: {exc}")
    return CheckOutcome(holds, f"condition {expression!r} is {'true' if holds else 'false'}")


def _is_empty(value: Any) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, Sized) and len(value) == 0


def _schema_outcome(schema: Mapping[str, Any], value: Any, key: str) -> CheckOutcome:
    from jsonschema import validators

    validator = validators.validator_for(schema)(schema)
    error = next(iter(validator.iter_errors(value)), None)
    if error is None:
        return CheckOutcome(True, f"{key!r} is valid under its JSON Schema")
    where = "/".join(str(p) for p in error.absolute_path) or "<value>"
    return CheckOutcome(
        False,
        f"{key!r} is not valid under its JSON Schema at {where}: {error.message[:300]}",
        {"path": where},
    )
