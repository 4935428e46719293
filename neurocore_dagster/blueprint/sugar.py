"""The ``approval:`` step shorthand.

``- approval: {name: review, message: "Send?", require: true}`` in a step list
means a step running a component ``review`` of the built-in ``approval`` skill
with that config. The expansion never mutates the caller's document, keeps the
step's other keys (``condition``, ``description``, ``on_error``). A name that is
a component of another skill makes the step run that component, as NeuroCore
reads it (:func:`read_taken_approval_names`, before expansion, with a warning);
the expansion's own refusal of such a name guards data that skipped the reading.

NeuroCore's own expansion keeps nothing but the gate: the keys it drops are read
here as :mod:`~neurocore_dagster.blueprint.reading` reads ignored keys (a
located warning each): an approval key other than ``name``, ``message`` and
``require``, and a ``component`` beside ``approval`` (the gate runs, as in
NeuroCore). ``condition``, ``description`` and ``on_error`` keep their meaning
here, with a warning that NeuroCore ignores them on an approval step.
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic_core import PydanticCustomError

from neurocore_dagster.blueprint.reading import ignored_key
from neurocore_dagster.errors import BlueprintIssue, Loc, issue

APPROVAL_SKILL = "approval"
APPROVAL_KEY = "approval"
_SPEC_KEYS = ("name", "message", "require")
_KEPT_STEP_KEYS = ("condition", "description", "on_error")
NEUROCORE_IGNORES = "key.neurocore_ignores"
"""A key NeuroCore drops that keeps its meaning here (a step key beside ``approval``)."""


def read_approval_spec(spec: Any, loc: Loc, warnings: list[BlueprintIssue]) -> Any:
    """An ``approval:`` mapping without the keys NeuroCore ignores (one warning each)."""
    if not isinstance(spec, dict):
        return spec
    unknown = [k for k in spec if isinstance(k, str) and k not in _SPEC_KEYS]
    for key in unknown:
        warnings.append(ignored_key(key, (*loc, key), _SPEC_KEYS))
    return {k: v for k, v in spec.items() if k not in unknown} if unknown else spec


def read_approval_step(
    step: dict[Any, Any], loc: Loc, warnings: list[BlueprintIssue]
) -> dict[Any, Any]:
    """An approval step as NeuroCore runs it (the gate), with the keys it drops noted."""
    if APPROVAL_KEY not in step:
        return step
    for key in _KEPT_STEP_KEYS:
        if key in step:
            warnings.append(
                issue(
                    NEUROCORE_IGNORES,
                    f"NeuroCore ignores {key!r} on an approval step; neurocore-dagster "
                    "applies it as on any step",
                    (*loc, key),
                    input=step[key],
                    expected=f"no {key!r} on an approval step, for one meaning in both",
                )
            )
    if "component" not in step:
        return step
    warnings.append(
        ignored_key("component", (*loc, "component"), (), "the approval gate runs, as in NeuroCore")
    )
    return {k: v for k, v in step.items() if k != "component"}


def read_taken_approval_names(
    doc: dict[Any, Any], loc: Loc, warnings: list[BlueprintIssue]
) -> dict[Any, Any]:
    """An approval step named like a component of another skill runs that component, as
    NeuroCore reads it (it adds no gate), with a warning; ``doc`` is not changed."""
    flow = doc.get("flow")
    steps = flow.get("steps") if isinstance(flow, dict) else None
    components = doc.get("components")
    if (
        not isinstance(flow, dict)
        or not isinstance(steps, list)
        or not isinstance(components, list)
    ):
        return doc
    types_by_name = {
        c["name"]: c.get("type")
        for c in components
        if isinstance(c, dict) and isinstance(c.get("name"), str)
    }
    new_steps = list(steps)
    changed = False
    for index, step in enumerate(steps):
        spec = step.get(APPROVAL_KEY) if isinstance(step, dict) else None
        name = spec.get("name", APPROVAL_SKILL) if isinstance(spec, dict) else None
        taken_by = types_by_name.get(name) if isinstance(name, str) else None
        if taken_by is None or taken_by == APPROVAL_SKILL:
            continue
        warnings.append(
            issue(
                "approval.name_taken",
                f"approval name {name!r} is component {name!r} of skill {taken_by!r}: the "
                "step runs that component and no approval gate (NeuroCore's reading; "
                "message and require are unused)",
                (*loc, "flow", "steps", index, APPROVAL_KEY, "name"),
                input=name,
                expected="a name no other component has, for a gate",
            )
        )
        rest = {k: v for k, v in step.items() if k not in (APPROVAL_KEY, "component")}
        new_steps[index] = {"component": name, **rest}
        changed = True
    if not changed:
        return doc
    return {**doc, "flow": {**flow, "steps": new_steps}}


def expand_approval_steps(data: Any) -> Any:
    """Return ``data`` with each ``approval:`` step rewritten as a plain step."""
    if not isinstance(data, dict):
        return data
    flow = data.get("flow")
    steps = flow.get("steps") if isinstance(flow, dict) else None
    if not isinstance(steps, list) or not any(
        isinstance(s, dict) and "approval" in s for s in steps
    ):
        return data
    data = copy.deepcopy(data)
    components = data.get("components")
    if components is None:
        components = data["components"] = []
    if not isinstance(components, list):
        return data
    problems: list[BlueprintIssue] = []
    new_steps = []
    for index, step in enumerate(data["flow"]["steps"]):
        if isinstance(step, dict) and "approval" in step:
            new_steps.append(_expand_one(step, index, components, problems))
        else:
            new_steps.append(step)
    if problems:
        summary = "; ".join(p.msg for p in problems)
        raise PydanticCustomError(
            "blueprint.semantic", "{summary}", {"summary": summary, "issues": problems}
        )
    data["flow"]["steps"] = new_steps
    return data


def _expand_one(
    step: dict[str, Any], index: int, components: list[Any], problems: list[BlueprintIssue]
) -> dict[str, Any]:
    loc = ("flow", "steps", index, "approval")
    spec = step["approval"]
    if spec is None:
        spec = {}
    if not isinstance(spec, dict):
        problems.append(
            issue(
                "approval.not_mapping",
                "an approval step takes a mapping",
                loc,
                input=spec,
                expected="{name: ..., message: ..., require: true|false}",
            )
        )
        return step
    name = spec.get("name", APPROVAL_SKILL)
    if not isinstance(name, str) or not name:
        problems.append(
            issue(
                "approval.bad_name",
                "approval name must be a non-empty string",
                (*loc, "name"),
                input=name,
            )
        )
        return step
    config = {key: spec[key] for key in ("message", "require") if key in spec}
    existing = next((c for c in components if isinstance(c, dict) and c.get("name") == name), None)
    if existing is None:
        components.append({"name": name, "type": APPROVAL_SKILL, "config": config})
    elif existing.get("type") != APPROVAL_SKILL:
        problems.append(
            issue(
                "approval.name_taken",
                f"approval name {name!r} is already a component of skill {existing.get('type')!r}",
                (*loc, "name"),
                input=name,
                expected="a name not used by another component",
            )
        )
    rest = {k: v for k, v in step.items() if k != "approval"}
    return {"component": name, **rest}
