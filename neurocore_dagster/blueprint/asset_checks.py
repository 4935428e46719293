"""The ``checks:`` of a declared asset: their model and their load-time problems.

Each check has exactly one kind (``present``, ``not_empty``, ``json_schema``,
``condition``). ``name``, ``blocking`` and ``description`` go inside the kind's body
or beside the kind (a ``json_schema`` body is the schema itself), never both. A
check's name defaults to its kind, so two checks of one kind need names. A
condition uses the blueprint's condition language with ``value`` (the output's
value) beside ``context``, and ``len(x)`` as the one call; unlike a flow
condition, every problem is an error at load, since no ``on_condition_error``
policy applies to a check.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

from neurocore_dagster.blueprint.condition_check import ALLOWED_NAMES, condition_problems
from neurocore_dagster.errors import BlueprintIssue, Loc, issue

_FORBID = ConfigDict(extra="forbid", strict=True)

CheckKind = Literal["present", "not_empty", "json_schema", "condition"]
CHECK_KINDS: tuple[CheckKind, ...] = ("present", "not_empty", "json_schema", "condition")

CHECK_NAMES = (*ALLOWED_NAMES, "value")
"""Names a check condition may use: the blueprint's condition names and ``value``."""
CHECK_CALLS = frozenset({"len"})
"""Functions a check condition may call (one positional argument): ``len(value) > 10``."""
CHECK_NAME = re.compile(r"[A-Za-z0-9_]{1,100}")
"""A Dagster asset check name."""


class CheckOptions(BaseModel):
    """What every check kind may say about itself: its Dagster name and whether a failure
    stops the run (``blocking``; default: only recorded)."""

    model_config = _FORBID
    name: str | None = None
    blocking: bool | None = None
    description: str | None = None


class ConditionCheck(CheckOptions):
    """A condition in the blueprint's condition language over ``value`` (the output's
    value) and ``context``; ``len(...)`` is the one call allowed."""

    expression: str


class AssetCheck(BaseModel):
    """One check: exactly one of the kinds, optionally with ``name``/``blocking`` beside it."""

    model_config = _FORBID
    present: CheckOptions | None = None
    not_empty: CheckOptions | None = None
    json_schema: dict[str, Any] | None = None
    condition: ConditionCheck | None = None
    name: str | None = None
    blocking: bool | None = None
    description: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> AssetCheck:
        given = [k for k in CHECK_KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            raise PydanticCustomError(
                "check_kind",
                "a check has exactly one kind (found {found})",
                {
                    "found": ", ".join(given) or "none",
                    "expected": "one of " + ", ".join(CHECK_KINDS),
                },
            )
        return self

    @property
    def kind(self) -> CheckKind:
        return next(k for k in CHECK_KINDS if getattr(self, k) is not None)

    @property
    def options(self) -> CheckOptions | None:
        """The options written inside the kind's body (a json_schema body is the schema)."""
        body = getattr(self, self.kind)
        return body if isinstance(body, CheckOptions) else None

    def option(self, field: Literal["name", "blocking", "description"]) -> Any:
        """``field`` as written inside the body or beside the kind (never both: see
        :func:`asset_issues`)."""
        inner = getattr(self.options, field) if self.options is not None else None
        return inner if inner is not None else getattr(self, field)

    @property
    def check_name(self) -> str:
        """The Dagster check name: as written, else the kind."""
        return str(self.option("name") or self.kind)

    @property
    def is_blocking(self) -> bool:
        return bool(self.option("blocking"))


def check_issues(checks: list[AssetCheck], loc: Loc) -> list[BlueprintIssue]:
    found: list[BlueprintIssue] = []
    names: dict[str, int] = {}
    for index, check in enumerate(checks):
        at: Loc = (*loc, index)
        found.extend(_option_clashes(check, at))
        name = check.check_name
        if not CHECK_NAME.fullmatch(name):
            found.append(
                issue(
                    "check.name",
                    f"check name {name!r} is not a Dagster check name",
                    (*at, "name"),
                    input=name,
                    expected="letters, digits and '_' (1 to 100)",
                )
            )
        elif name in names:
            found.append(
                issue(
                    "check.duplicate_name",
                    f"checks {names[name]} and {index} are both named {name!r}",
                    (*at,),
                    input=name,
                    expected="a distinct name for each check of an asset (set `name:`)",
                )
            )
        names.setdefault(name, index)
        if check.json_schema is not None:
            found.extend(_schema_issues(check.json_schema, (*at, "json_schema")))
        if check.condition is not None:
            found.extend(_condition_issues(check.condition.expression, (*at, "condition")))
    return found


def _option_clashes(check: AssetCheck, loc: Loc) -> list[BlueprintIssue]:
    """A field written both inside the kind's body and beside it."""
    found = []
    for field in ("name", "blocking", "description"):
        inner = getattr(check.options, field) if check.options is not None else None
        if inner is not None and getattr(check, field) is not None:
            found.append(
                issue(
                    "check.option_twice",
                    f"{field!r} is set both inside {check.kind!r} and beside it",
                    (*loc, field),
                    input=getattr(check, field),
                    expected=f"{field!r} in one place",
                )
            )
    return found


def _schema_issues(schema: dict[str, Any], loc: Loc) -> list[BlueprintIssue]:
    from jsonschema import exceptions, validators

    try:
        validators.validator_for(schema).check_schema(schema)
    except exceptions.SchemaError as exc:
        where = "/".join(str(p) for p in exc.path) or "<schema>"
        return [
            issue(
                "check.json_schema",
                f"not a valid JSON Schema at {where}: {exc.message}",
                loc,
                input=schema,
                expected="a JSON Schema (draft 2020-12 unless $schema says otherwise)",
            )
        ]
    except (RecursionError, ValueError, TypeError) as exc:
        return [
            issue(
                "check.json_schema",
                f"cannot read the JSON Schema: {type(exc).__name__}: {exc}",
                loc,
                input=schema,
                expected="a JSON Schema",
            )
        ]
    return []


def _condition_issues(expression: str, loc: Loc) -> list[BlueprintIssue]:
    """Every problem is an error here: no run-time policy decides a check's condition."""
    loc = (*loc, "expression")
    return [
        issue(
            "check." + p.type.removeprefix("condition."),
            p.msg,
            loc,
            input=expression,
            expected=p.expected + (" and len(x)" if p.type == "condition.unsafe" else ""),
        )
        for p in condition_problems(expression, names=CHECK_NAMES, calls=CHECK_CALLS)
    ]
