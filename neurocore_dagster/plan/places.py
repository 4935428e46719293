"""Where a plan's conditions and ports are written, so errors about them can name file and line.

Load errors name the blueprint file and line (:class:`~neurocore_dagster.errors.BlueprintIssue`);
a condition that fails when a run evaluates it should say the same. The plan
carries, for each step condition and edge condition, its place as text:
``blueprints/triage.yaml:41 (flow.edges.3.condition)``; a blueprint built in
memory has no file, so only the key path is given.
"""

from __future__ import annotations

from dataclasses import replace

from neurocore_dagster.blueprint.model import Blueprint
from neurocore_dagster.errors import Loc, format_loc
from neurocore_dagster.plan.model import LoopOp, NodeOp, PlanOp, Route, RouterOp, StepOp, Unit


def place(blueprint: Blueprint, loc: Loc) -> str:
    """``file:line (key path)`` of ``loc``; the key path alone when there is no file."""
    source = blueprint.source
    line = source.line_for(loc)
    if source.file is None:
        return format_loc(loc)
    where = f"{source.file}:{line}" if line is not None else source.file
    return f"{where} ({format_loc(loc)})"


def with_condition_places(blueprint: Blueprint, ops: list[PlanOp]) -> list[PlanOp]:
    """``ops`` with the place of every step and edge condition filled in."""
    edges = blueprint.flow.edges or []
    edge_places = tuple(
        place(blueprint, ("flow", "edges", i, "condition")) if e.condition else None
        for i, e in enumerate(edges)
    )

    def unit(u: Unit) -> Unit:
        if not u.condition or u.step_index is None:
            return u
        return replace(
            u, condition_at=place(blueprint, ("flow", "steps", u.step_index, "condition"))
        )

    def route(r: Route) -> Route:
        if not r.condition or r.edge_index is None or r.edge_index >= len(edge_places):
            return r
        return replace(r, condition_at=edge_places[r.edge_index])

    located: list[PlanOp] = []
    for op in ops:
        routed = replace(
            op,
            inputs=tuple(route(r) for r in op.inputs),
            routes=tuple(route(r) for r in op.routes),
        )
        match routed:
            case StepOp() | NodeOp():
                located.append(replace(routed, unit=unit(routed.unit)))
            case RouterOp():
                located.append(replace(routed, candidates=tuple(map(unit, routed.candidates))))
            case LoopOp():
                region = replace(routed.region, condition_places=edge_places)
                members = tuple(map(unit, routed.members))
                located.append(replace(routed, members=members, region=region))
    return located
