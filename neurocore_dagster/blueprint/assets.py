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
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from neurocore_dagster.blueprint.asset_checks import AssetCheck, check_issues
from neurocore_dagster.errors import BlueprintIssue, Loc, issue

if TYPE_CHECKING:
    from neurocore_dagster.blueprint.model import Blueprint

_FORBID = ConfigDict(extra="forbid", strict=True)


KEY_PART = re.compile(r"[A-Za-z0-9_-]{1,100}")
"""One part of a "/"-separated asset key."""
GROUP_NAME = re.compile(r"[A-Za-z0-9_]{1,100}")
"""A Dagster group name."""
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
        found.extend(check_issues(decl.checks, (*loc, "checks")))
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
