"""``outputs.<key>.asset``: a declared output that is a Dagster asset, and its checks.

::

    outputs:
      reply:
        type: string
        asset:
          key: support/reply        # default: <job name>/<output key>
          group: support            # default: the blueprint's job name
          owners: [team:support]    # emails or team:NAME
          tags: {tier: gold}
          kinds: [llm]
          deps: [raw/tickets]       # upstream asset keys the blueprint reads (lineage)
          checks:
            - present: {}
            - not_empty: {blocking: true}
            - json_schema: {type: object, required: [text]}
              name: reply_shape     # beside the kind: a json_schema's body is the schema
            - condition: {expression: "len(value) > 10", name: long_enough, blocking: true}

The section is this package's own (NeuroCore ignores ``outputs``' extra keys), so
it is read strictly: nothing is converted, unknown keys are errors. Every rule
Dagster would enforce later (key, group, owner, tag and kind syntax) is checked
here, so a bad value is a located error at load, not a Dagster traceback. The
rules that need the job name (the default key and group) or other blueprints
(keys unique in a project) are checked where those are known
(:mod:`neurocore_dagster.dagster_layer.assets.specs`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from neurocore_dagster.blueprint.condition_check import ALLOWED_NAMES, condition_problems
from neurocore_dagster.errors import BlueprintIssue, Loc, issue

if TYPE_CHECKING:
    from neurocore_dagster.blueprint.model import Blueprint

_FORBID = ConfigDict(extra="forbid", strict=True)

CheckKind = Literal["present", "not_empty", "json_schema", "condition"]
CHECK_KINDS: tuple[CheckKind, ...] = ("present", "not_empty", "json_schema", "condition")

CHECK_NAMES = (*ALLOWED_NAMES, "value")
"""Names a check condition may use: the blueprint's condition names and ``value``."""
CHECK_CALLS = frozenset({"len"})
"""Functions a check condition may call (one positional argument): ``len(value) > 10``."""

KEY_PART = re.compile(r"[A-Za-z0-9_-]{1,100}")
"""One part of a "/"-separated asset key."""
GROUP_NAME = re.compile(r"[A-Za-z0-9_]{1,100}")
"""A Dagster group name."""
CHECK_NAME = re.compile(r"[A-Za-z0-9_]{1,100}")
"""A Dagster asset check name."""
TAG_PART = re.compile(r"[A-Za-z0-9_.-]{1,63}")
"""A tag key (optionally ``namespace/key``) or kind, as Dagster's strict tag rules allow."""
TAG_VALUE = re.compile(r"[A-Za-z0-9_.-]{0,63}")
"""An asset tag's value (Dagster's strict rule for asset tags)."""
EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Z|a-z]{2,7}\b")
"""Dagster's own test of an email owner (``dagster._core.utils.is_valid_email``)."""
MAX_KINDS = 10
"""Dagster allows at most ten kinds on an asset."""
MAX_KEY_PARTS = 10
RESERVED_TAG_PREFIX = "dagster/"


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


class AssetDecl(BaseModel):
    """A declared output as a Dagster asset (see the module docstring)."""

    model_config = _FORBID
    key: str | None = None
    group: str | None = None
    description: str | None = None
    owners: list[str] = Field(default_factory=list)
    tags: dict[str, str] = Field(default_factory=dict)
    kinds: list[str] = Field(default_factory=list)
    deps: list[str] = Field(default_factory=list)
    checks: list[AssetCheck] = Field(default_factory=list)


def key_parts(key: str) -> tuple[str, ...]:
    """The parts of a "/"-separated asset key (``support/reply`` -> ``support``, ``reply``)."""
    return tuple(key.split("/"))


def key_problem(key: str) -> str | None:
    """Why ``key`` is not an asset key, or None."""
    parts = key_parts(key)
    if len(parts) > MAX_KEY_PARTS:
        return f"has {len(parts)} parts (at most {MAX_KEY_PARTS})"
    bad = [p for p in parts if not KEY_PART.fullmatch(p)]
    if bad:
        return f"part {bad[0]!r} is not letters, digits, '_' or '-' (1 to 100 of them)"
    return None


_KEY_EXPECTED = "parts of letters, digits, '_' or '-' joined by '/', e.g. support/reply"


def asset_issues(blueprint: Blueprint) -> list[BlueprintIssue]:
    """Every problem of the blueprint's asset declarations, each with its key path."""
    found: list[BlueprintIssue] = []
    keys: dict[str, str] = {}
    for output, spec in blueprint.outputs.items():
        if spec.asset is None:
            continue
        loc: Loc = ("outputs", output, "asset")
        decl = spec.asset
        found.extend(_key_issues(output, decl, loc, keys))
        found.extend(_label_issues(decl, loc))
        found.extend(_check_issues(decl, (*loc, "checks")))
    return found


def _key_issues(
    output: str, decl: AssetDecl, loc: Loc, keys: dict[str, str]
) -> list[BlueprintIssue]:
    found = []
    if decl.key is None:
        if not KEY_PART.fullmatch(output):
            found.append(
                issue(
                    "asset.default_key",
                    f"output {output!r} cannot be the last part of its default asset key "
                    "<job name>/<output key>",
                    (*loc,),
                    input=output,
                    expected=f"an explicit asset.key: {_KEY_EXPECTED}",
                )
            )
    else:
        problem = key_problem(decl.key)
        if problem is not None:
            found.append(
                issue(
                    "asset.key",
                    f"asset key {decl.key!r} {problem}",
                    (*loc, "key"),
                    input=decl.key,
                    expected=_KEY_EXPECTED,
                )
            )
        elif decl.key in keys:
            found.append(
                issue(
                    "asset.duplicate_key",
                    f"outputs {keys[decl.key]!r} and {output!r} both declare asset {decl.key!r}",
                    (*loc, "key"),
                    input=decl.key,
                    expected="one asset key per output",
                )
            )
        keys.setdefault(decl.key, output)
    for index, dep in enumerate(decl.deps):
        problem = key_problem(dep)
        if problem is not None:
            found.append(
                issue(
                    "asset.dep",
                    f"upstream asset key {dep!r} {problem}",
                    (*loc, "deps", index),
                    input=dep,
                    expected=_KEY_EXPECTED,
                )
            )
        elif dep == decl.key:
            found.append(
                issue(
                    "asset.self_dep",
                    f"asset {dep!r} lists itself as upstream",
                    (*loc, "deps", index),
                    input=dep,
                    expected="the keys of assets the blueprint reads, not the one it writes",
                )
            )
    return found


def _label_issues(decl: AssetDecl, loc: Loc) -> list[BlueprintIssue]:
    found = []
    if decl.group is not None and not GROUP_NAME.fullmatch(decl.group):
        found.append(
            issue(
                "asset.group",
                f"group {decl.group!r} is not a Dagster group name",
                (*loc, "group"),
                input=decl.group,
                expected="letters, digits and '_' (1 to 100), e.g. support",
            )
        )
    for index, owner in enumerate(decl.owners):
        if not (EMAIL.fullmatch(owner) or (owner.startswith("team:") and len(owner) > 5)):
            found.append(
                issue(
                    "asset.owner",
                    f"owner {owner!r} is neither an email address nor a team",
                    (*loc, "owners", index),
                    input=owner,
                    expected="an email address (ana@example.com) or team:NAME (team:support)",
                )
            )
    for key, value in decl.tags.items():
        namespace, _, name = key.rpartition("/")
        if key.startswith(RESERVED_TAG_PREFIX) or not (
            TAG_PART.fullmatch(name) and (not namespace or TAG_PART.fullmatch(namespace))
        ):
            found.append(
                issue(
                    "asset.tag_key",
                    f"tag key {key!r} is not a Dagster asset tag key",
                    (*loc, "tags", key),
                    input=key,
                    expected="letters, digits, '_', '-', '.' (at most 63), optionally after "
                    "one 'namespace/' other than 'dagster/'",
                )
            )
        elif not TAG_VALUE.fullmatch(value):
            found.append(
                issue(
                    "asset.tag_value",
                    f"tag {key!r} has a value Dagster refuses on assets",
                    (*loc, "tags", key),
                    input=value,
                    expected="letters, digits, '_', '-', '.' (at most 63)",
                )
            )
    if len(decl.kinds) > MAX_KINDS:
        found.append(
            issue(
                "asset.kinds",
                f"{len(decl.kinds)} kinds given",
                (*loc, "kinds"),
                input=decl.kinds,
                expected=f"at most {MAX_KINDS} kinds",
            )
        )
    for index, kind in enumerate(decl.kinds):
        if not TAG_PART.fullmatch(kind):
            found.append(
                issue(
                    "asset.kind",
                    f"kind {kind!r} is not a Dagster kind",
                    (*loc, "kinds", index),
                    input=kind,
                    expected="letters, digits, '_', '-', '.' (1 to 63), e.g. llm, python",
                )
            )
    return found


def _check_issues(decl: AssetDecl, loc: Loc) -> list[BlueprintIssue]:
    found: list[BlueprintIssue] = []
    names: dict[str, int] = {}
    for index, check in enumerate(decl.checks):
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
