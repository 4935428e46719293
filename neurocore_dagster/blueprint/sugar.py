"""The ``approval:`` step shorthand.

``- approval: {name: review, message: "Send?", require: true}`` in a step list
means a step running a component ``review`` of the built-in ``approval`` skill
with that config. The expansion never mutates the caller's document, keeps the
step's other keys (``condition``, ``description``, ``on_error``), and refuses a
name that is already a component of another skill.
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic_core import PydanticCustomError

from neurocore_dagster.errors import BlueprintIssue, issue

APPROVAL_SKILL = "approval"
_SPEC_KEYS = ("name", "message", "require")


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
    # In document order: keys may mix types (``1: x``), which cannot be sorted.
    unknown = [key for key in spec if key not in _SPEC_KEYS]
    for key in unknown:
        problems.append(
            issue(
                "approval.unknown_key",
                f"unknown approval key {key!r}",
                (*loc, key),
                input=key,
                expected=", ".join(_SPEC_KEYS),
            )
        )
    if "component" in step:
        problems.append(
            issue(
                "approval.with_component",
                "a step has either 'component' or 'approval', not both",
                ("flow", "steps", index),
            )
        )
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
