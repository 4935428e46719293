"""Cross-field checks of a blueprint: references, flow shape and conditions.

Runs inside model validation, so every way of building a :class:`Blueprint`
gets them. Each problem is an issue with its key path; the loader adds file and
line.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from neurocore_dagster.blueprint.assets import asset_issues
from neurocore_dagster.blueprint.condition_check import RUN_TIME_REFUSALS, condition_problems
from neurocore_dagster.blueprint.json_types import JSON_TYPES, is_json_type
from neurocore_dagster.blueprint.trigger_checks import trigger_issues
from neurocore_dagster.errors import BlueprintIssue, Loc, issue
from neurocore_dagster.keys import RESERVED_NAME_PREFIX

if TYPE_CHECKING:
    from neurocore_dagster.blueprint.model import Blueprint, Flow, Step


MAX_NAME_CHARS = 100
"""Longest blueprint name, component name or node id: each becomes a Dagster name, and
op names become folder names in run storage (a file name holds at most 255 bytes)."""


def semantic_issues(blueprint: Blueprint) -> list[BlueprintIssue]:
    found: list[BlueprintIssue] = list(_name_issues(blueprint))
    names = [c.name for c in blueprint.components]
    seen: set[str] = set()
    for index, name in enumerate(names):
        if name in seen:
            found.append(
                issue(
                    "component.duplicate",
                    f"component {name!r} is defined twice",
                    ("components", index, "name"),
                    input=name,
                    expected="unique component names",
                )
            )
        seen.add(name)
    found.extend(_input_default_issues(blueprint))
    found.extend(trigger_issues(blueprint.triggers, blueprint.inputs))
    found.extend(asset_issues(blueprint))
    flow = blueprint.flow
    if flow.type == "graph":
        found.extend(_graph_issues(flow, seen))
    else:
        found.extend(_step_issues(flow, seen))
    return found


def _name_issues(blueprint: Blueprint) -> list[BlueprintIssue]:
    """Blank, over-long and reserved names, each with its key path."""
    places: list[tuple[str, Loc, str]] = [("blueprint name", ("name",), blueprint.name)]
    places += [
        ("component name", ("components", i, "name"), c.name)
        for i, c in enumerate(blueprint.components)
    ]
    places += [
        ("node id", ("flow", "nodes", i, "id"), n.id)
        for i, n in enumerate(blueprint.flow.nodes or [])
    ]
    found = []
    for what, loc, name in places:
        problem = name_problem(name)
        if problem is not None:
            kind, message, expected = problem
            found.append(issue(kind, f"{what} {message}", loc, input=name, expected=expected))
    return found


def name_problem(name: str) -> tuple[str, str, str] | None:
    """(type, message, expected) when ``name`` cannot name a job, op or resource; else None."""
    if not name.strip():
        return ("name.blank", "is blank", "a name with at least one letter or digit")
    if len(name) > MAX_NAME_CHARS:
        return (
            "name.too_long",
            f"is {len(name)} characters long",
            f"at most {MAX_NAME_CHARS} characters",
        )
    if name.strip().startswith(RESERVED_NAME_PREFIX):
        return (
            "name.reserved",
            f"starts with {RESERVED_NAME_PREFIX!r}, which is reserved for Dagster's and "
            "neurocore-dagster's own names",
            f"a name that does not start with {RESERVED_NAME_PREFIX!r}",
        )
    return None


def _input_default_issues(blueprint: Blueprint) -> list[BlueprintIssue]:
    found: list[BlueprintIssue] = []
    for name, spec in blueprint.inputs.items():
        default = spec.default
        if spec.type not in JSON_TYPES or default is None or is_json_type(spec.type, default):
            continue
        found.append(
            issue(
                "input.default_type",
                f"default of input {name!r} is not of its declared type {spec.type!r}",
                ("inputs", name, "default"),
                input=default,
                expected=f"a value of type {spec.type}",
            )
        )
    return found


def _known(names: set[str]) -> str:
    return ", ".join(sorted(names)) or "(none)"


def _step_issues(flow: Flow, components: set[str]) -> list[BlueprintIssue]:
    found: list[BlueprintIssue] = []
    for key in ("nodes", "edges"):
        if getattr(flow, key) is not None:
            found.append(
                issue(
                    "flow.misplaced_key",
                    f"'{key}' belongs to graph flows; this flow is {flow.type!r}",
                    ("flow", key),
                    expected="steps",
                )
            )
    if not flow.steps:
        found.append(
            issue(
                "flow.no_steps",
                f"a {flow.type} flow needs at least one step",
                ("flow", "steps"),
                expected="a list of steps",
            )
        )
        return found
    found.extend(_step_key_issues(flow.steps))
    for index, step in enumerate(flow.steps):
        loc = ("flow", "steps", index)
        if step.component not in components:
            found.append(
                issue(
                    "step.unknown_component",
                    f"step uses component {step.component!r}, which is not defined",
                    (*loc, "component"),
                    input=step.component,
                    expected=f"a component name: {_known(components)}",
                )
            )
        if step.condition is not None:
            found.extend(_condition_issues(step.condition, (*loc, "condition"), flow))
    return found


def step_op_keys(components: Sequence[str]) -> list[str]:
    """The op key of each step: its component's name, ``<name>_<n>`` for its n-th use.

    The scheme never adjusts a key to dodge another, so a key always says which use of
    which component it is; a blueprint where two keys would meet is refused instead
    (see :func:`_step_key_issues`).
    """
    uses: dict[str, int] = {}
    keys = []
    for name in components:
        uses[name] = uses.get(name, 0) + 1
        keys.append(name if uses[name] == 1 else f"{name}_{uses[name]}")
    return keys


def _step_key_issues(steps: Sequence[Step]) -> list[BlueprintIssue]:
    components = [s.component for s in steps]
    first: dict[str, int] = {}
    found = []
    for index, key in enumerate(step_op_keys(components)):
        if key not in first:
            first[key] = index
            continue
        earlier = first[key]
        found.append(
            issue(
                "step.op_name_clash",
                f"steps {earlier} and {index} would both be op {key!r} (the n-th use of a "
                "component is named <component>_<n>)",
                ("flow", "steps", max(index, earlier), "component"),
                input=components[index],
                expected=f"a component name other than {key!r} for one of them",
            )
        )
    return found


def _graph_issues(flow: Flow, components: set[str]) -> list[BlueprintIssue]:
    found: list[BlueprintIssue] = []
    if flow.steps is not None:
        found.append(
            issue(
                "flow.misplaced_key",
                "'steps' belongs to sequential and conditional flows; this flow is 'graph'",
                ("flow", "steps"),
                expected="nodes and edges",
            )
        )
    if not flow.nodes:
        found.append(
            issue(
                "flow.no_nodes",
                "a graph flow needs at least one node",
                ("flow", "nodes"),
                expected="a list of nodes",
            )
        )
        return found
    ids: set[str] = set()
    for index, node in enumerate(flow.nodes):
        loc = ("flow", "nodes", index)
        if node.id in ids:
            found.append(
                issue(
                    "node.duplicate",
                    f"node id {node.id!r} is used twice",
                    (*loc, "id"),
                    input=node.id,
                    expected="unique node ids",
                )
            )
        ids.add(node.id)
        if node.component not in components:
            found.append(
                issue(
                    "node.unknown_component",
                    f"node {node.id!r} uses component {node.component!r}, which is not defined",
                    (*loc, "component"),
                    input=node.component,
                    expected=f"a component name: {_known(components)}",
                )
            )
    for index, edge in enumerate(flow.edges or []):
        loc = ("flow", "edges", index)
        for end in ("source", "target"):
            value = getattr(edge, end)
            if value not in ids:
                found.append(
                    issue(
                        f"edge.unknown_{end}",
                        f"{value!r} is not a node",
                        (*loc, end),
                        input=value,
                        expected=f"a node id: {_known(ids)}",
                    )
                )
        if edge.port is not None and not edge.port:
            found.append(
                issue(
                    "edge.empty_port",
                    "port is empty",
                    (*loc, "port"),
                    input=edge.port,
                    expected="a port name or no port",
                )
            )
        if edge.condition is not None:
            found.extend(_condition_issues(edge.condition, (*loc, "condition"), flow))
    return found


def _condition_issues(expression: str, loc: Loc, flow: Flow) -> list[BlueprintIssue]:
    """Problems of one condition; those flowengine meets only at evaluation say what the
    run does then (:data:`RUN_TIME_REFUSALS` are warnings, the rest errors)."""
    policy = flow.settings.on_condition_error
    if flow.type == "conditional" and policy == "fail":  # flowengine's default there
        policy = "skip"
    found = []
    for p in condition_problems(expression):
        message = p.msg
        if p.type in RUN_TIME_REFUSALS and p.type != "condition.empty":
            message += (
                "; flowengine refuses it when it evaluates it, and on_condition_error "
                f"({policy!r}) decides: " + _POLICY_EFFECT[policy]
            )
        found.append(issue(p.type, message, loc, input=expression, expected=p.expected))
    return found


_POLICY_EFFECT = {
    "fail": "the run fails there",
    "skip": "the condition counts as false",
    "warn": "the condition counts as false, with a warning",
}
