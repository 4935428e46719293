"""Compile a blueprint into an :class:`ExecutionPlan` (pure: no Dagster here).

Rules, each matching flowengine's executor:

* sequential: one op per step in a chain; a false condition makes the op a
  recorded skip that passes the context through;
* conditional: a router op evaluates the conditions in order (first match wins)
  and activates exactly one step op; the others are skipped by Dagster;
* acyclic graph: one op per node in flowengine's topological order; each edge is
  a route; a node whose routes are all inactive is skipped (and recorded so);
* cyclic graph: flowengine runs the whole graph with its loop executor. A chain
  of single-entry nodes from the unique root keeps one op per node; the rest
  (the cycles and everything after or beside them) is a loop region run in one
  op, whose every visit is reported.
"""

from __future__ import annotations

import inspect
import logging

from neurocore_dagster.blueprint.checks import step_op_keys
from neurocore_dagster.blueprint.model import Blueprint
from neurocore_dagster.errors import BlueprintError, BlueprintIssue, issue
from neurocore_dagster.plan.graph import GraphShape, analyse
from neurocore_dagster.plan.model import (
    ExecutionPlan,
    LoopOp,
    LoopRegion,
    NodeOp,
    PlanOp,
    RetryPlan,
    Route,
    RouterOp,
    StepOp,
    Unit,
)
from neurocore_dagster.plan.names import unique_name
from neurocore_dagster.plan.places import with_condition_places
from neurocore_dagster.plan.port_check import port_issues
from neurocore_dagster.skills.base import skill_meta_of
from neurocore_dagster.skills.broken_files import broken_file_issues
from neurocore_dagster.skills.registry import SkillRegistry

log = logging.getLogger("neurocore_dagster")

ROUTER_KEY = "choose_step"


def compile_plan(blueprint: Blueprint, registry: SkillRegistry) -> ExecutionPlan:
    """Decide every op, route and order for ``blueprint``; unknown skills are errors."""
    _check_skills(blueprint, registry)
    flow = blueprint.flow
    settings = flow.settings
    on_condition_error = settings.on_condition_error
    if flow.type == "conditional" and on_condition_error == "fail":
        on_condition_error = "skip"
    if flow.type == "sequential":
        ops = _sequential_ops(blueprint, registry)
    elif flow.type == "conditional":
        ops = _conditional_ops(blueprint, registry)
    else:
        ops = _graph_ops(blueprint, registry)
    ops = with_condition_places(blueprint, ops)
    warnings = tuple(_parallel_read_warnings(blueprint, registry, ops))
    for text in warnings:
        log.warning("%s: %s", blueprint.name, text)
    units: dict[str, list[str]] = {}
    for op in ops:
        for unit in op.units:
            units.setdefault(unit.component, []).append(unit.key)
    return ExecutionPlan(
        blueprint=blueprint.name,
        version=blueprint.version,
        flow_type=flow.type,
        settings=settings,
        on_condition_error=on_condition_error,
        ops=tuple(ops),
        warnings=warnings,
        component_units={k: tuple(v) for k, v in units.items()},
    )


def _check_skills(blueprint: Blueprint, registry: SkillRegistry) -> None:
    found: list[BlueprintIssue] = []
    for index, component in enumerate(blueprint.components):
        if component.type not in registry:
            found.append(unknown_skill_issue(component.name, component.type, index, registry))
    found = [blueprint.source.locate(i) for i in found] + port_issues(blueprint, registry)
    if found:
        raise BlueprintError(found)


def unknown_skill_issue(
    component: str, skill: str, index: int, registry: SkillRegistry
) -> BlueprintIssue:
    """A component's skill is not registered; a skill file that names it and failed to
    import is named as the cause (:mod:`~neurocore_dagster.skills.broken_files`)."""
    loc = ("components", index, "type")
    causes = broken_file_issues(skill, registry.broken_files)
    if causes:
        return issue(
            "component.skill_file_broken",
            f"component {component!r} uses skill {skill!r}, which is not registered: skill "
            f"file {'; '.join(causes)} failed to import and names it",
            loc,
            input=skill,
            expected=f"fix the skill file; registered skills: {', '.join(registry.names())}",
        )
    return issue(
        "component.unknown_skill",
        f"component {component!r} uses skill {skill!r}, which is not registered",
        loc,
        input=skill,
        expected=f"a skill name: {', '.join(registry.names()) or '(none)'}",
    )


def _unit(
    blueprint: Blueprint,
    registry: SkillRegistry,
    key: str,
    component_name: str,
    description: str | None,
    **extra: object,
) -> Unit:
    component = blueprint.component(component_name)
    cls = registry.get(component.type)
    meta = skill_meta_of(cls)
    retry = None
    if meta.max_retries > 0:
        retry = RetryPlan(
            meta.max_retries, meta.retry_delay_base, meta.retry_delay_max, tuple(meta.retry_on)
        )
    return Unit(
        key=key,
        component=component_name,
        skill=meta.name,
        skill_version=meta.version,
        description=description or meta.description or f"{component_name} ({meta.name})",
        retry=retry,
        is_async=inspect.iscoroutinefunction(getattr(cls, "process", None)),
        **extra,  # type: ignore[arg-type]
    )


def _step_units(blueprint: Blueprint, registry: SkillRegistry) -> tuple[Unit, ...]:
    """One unit per step, keyed by component name (``name_2`` for a repeat)."""
    steps = blueprint.flow.steps or []
    keys = step_op_keys([s.component for s in steps])
    return tuple(
        _unit(
            blueprint,
            registry,
            key,
            step.component,
            step.description,
            on_error=step.on_error,
            condition=step.condition,
            step_index=index,
        )
        for index, (key, step) in enumerate(zip(keys, steps, strict=True))
    )


def _sequential_ops(blueprint: Blueprint, registry: SkillRegistry) -> list[PlanOp]:
    units = _step_units(blueprint, registry)
    keys = [u.key for u in units]
    ops: list[PlanOp] = []
    for index, (key, unit) in enumerate(zip(keys, units, strict=True)):
        inputs = (Route(keys[index - 1], key),) if index else ()
        routes = (Route(key, keys[index + 1]),) if index + 1 < len(keys) else ()
        ops.append(
            StepOp(
                key=key,
                order=index,
                description=unit.description,
                unit=unit,
                inputs=inputs,
                routes=routes,
                ancestors=frozenset(keys[:index]),
                blueprint_loc=("flow", "steps", index),
            )
        )
    return ops


def _conditional_ops(blueprint: Blueprint, registry: SkillRegistry) -> list[PlanOp]:
    candidates = _step_units(blueprint, registry)
    keys = [u.key for u in candidates]
    router_key = unique_name(ROUTER_KEY, set(keys))
    router = RouterOp(
        key=router_key,
        order=0,
        description="Evaluates the step conditions in order; the first that holds runs.",
        candidates=candidates,
        routes=tuple(Route(router_key, k) for k in keys),
        blueprint_loc=("flow", "steps"),
    )
    ops: list[PlanOp] = [router]
    for index, unit in enumerate(candidates):
        plain = Unit(**{**unit.__dict__, "condition": None})
        ops.append(
            StepOp(
                key=unit.key,
                order=index + 1,
                description=unit.description,
                unit=plain,
                inputs=(Route(router_key, unit.key),),
                ancestors=frozenset({router_key}),
                blueprint_loc=("flow", "steps", index),
            )
        )
    return ops


def _node_unit(
    blueprint: Blueprint, registry: SkillRegistry, positions: dict[str, int], node_id: str
) -> Unit:
    node = (blueprint.flow.nodes or [])[positions[node_id]]
    return _unit(
        blueprint,
        registry,
        node.id,
        node.component,
        node.description,
        on_error=node.on_error,
        max_visits=node.max_visits,
    )


def _routes_of(shape: GraphShape, node: str, direction: str) -> tuple[Route, ...]:
    indices = shape.forward[node] if direction == "out" else shape.reverse[node]
    return tuple(
        Route(e.source, e.target, e.port, e.condition, i) for i in indices for e in [shape.edges[i]]
    )


def _node_positions(blueprint: Blueprint) -> dict[str, int]:
    """Each node id's index in ``flow.nodes`` (ids are unique: the model checks it)."""
    return {n.id: i for i, n in enumerate(blueprint.flow.nodes or [])}


def _graph_ops(blueprint: Blueprint, registry: SkillRegistry) -> list[PlanOp]:
    shape = analyse(blueprint.flow.nodes or [], blueprint.flow.edges or [])
    ancestors = shape.ancestors()
    positions = _node_positions(blueprint)
    if not shape.has_cycles:
        return [
            NodeOp(
                key=node,
                order=order,
                description=(unit := _node_unit(blueprint, registry, positions, node)).description,
                unit=unit,
                inputs=_routes_of(shape, node, "in"),
                routes=_routes_of(shape, node, "out"),
                ancestors=ancestors[node],
                blueprint_loc=("flow", "nodes", positions[node]),
            )
            for order, node in enumerate(shape.topological_order())
        ]
    prefix = _single_entry_prefix(shape)
    ops: list[PlanOp] = []
    for order, node in enumerate(prefix):
        unit = _node_unit(blueprint, registry, positions, node)
        ops.append(
            NodeOp(
                key=node,
                order=order,
                description=unit.description,
                unit=unit,
                inputs=_routes_of(shape, node, "in"),
                routes=_routes_of(shape, node, "out"),
                ancestors=frozenset(prefix[:order]),
                before_loop=True,
                blueprint_loc=("flow", "nodes", positions[node]),
            )
        )
    members = tuple(n for n in shape.node_ids if n not in prefix)
    seed = (
        (shape.edges[shape.forward[prefix[-1]][0]].target,)
        if prefix
        else tuple(shape.cyclic_roots())
    )
    region = LoopRegion(
        members=members,
        seed=seed,
        edges=shape.edges,
        back_edges=shape.back_edges,
        cycle_nodes=shape.cycle_nodes,
    )
    key = unique_name(f"loop_{seed[0] if seed else members[0]}", set(shape.node_ids))
    entry_routes = _routes_of(shape, prefix[-1], "out") if prefix else ()
    ops.append(
        LoopOp(
            key=key,
            order=len(prefix),
            description=f"Loop over {', '.join(members)} (flowengine's loop executor; "
            f"each visit is reported).",
            members=tuple(_node_unit(blueprint, registry, positions, m) for m in members),
            inputs=entry_routes,
            ancestors=frozenset(prefix),
            region=region,
            blueprint_loc=("flow", "nodes"),
        )
    )
    return ops


def _single_entry_prefix(shape: GraphShape) -> list[str]:
    """The chain from a unique root in which each node has one way in and one way out.

    Only such a chain runs before the loop executor's queue ever holds two
    nodes, so only its nodes can be ops of their own without changing results.
    """
    roots = shape.cyclic_roots()
    if len(roots) != 1 or roots[0] in shape.cycle_nodes:
        return []
    chain = [roots[0]]
    while True:
        outgoing = shape.forward[chain[-1]]
        if len(outgoing) != 1:
            chain.pop()
            return chain
        target = shape.edges[outgoing[0]].target
        if target in shape.cycle_nodes or len(shape.reverse[target]) != 1:
            return chain
        chain.append(target)


def _parallel_read_warnings(
    blueprint: Blueprint, registry: SkillRegistry, ops: list[PlanOp]
) -> list[str]:
    """A warning per node that consumes a key a parallel node provides: it cannot see it."""
    nodes = [op for op in ops if isinstance(op, NodeOp)]
    if blueprint.flow.type != "graph" or len(nodes) != len(ops):
        return []
    # Each node's skill is looked up once, not once per pair of nodes.
    metas = {op.key: registry.meta(blueprint.component(op.unit.component).type) for op in nodes}
    provides = {key: set(meta.provides) for key, meta in metas.items()}
    found = []
    for op in nodes:
        consumes = set(metas[op.key].consumes)
        if not consumes:
            continue
        for other in nodes:
            if other.key == op.key or other.key in op.ancestors or op.key in other.ancestors:
                continue
            shared = sorted(consumes & provides[other.key])
            if shared:
                found.append(
                    f"node {op.key!r} consumes {', '.join(shared)}, which parallel node "
                    f"{other.key!r} provides; a node only sees writes of its ancestors, "
                    "so add an edge if it must read them"
                )
    return found
