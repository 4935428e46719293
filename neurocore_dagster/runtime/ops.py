"""Execute one plan op on the merged context of its ancestors.

This is everything an op does apart from talking to Dagster: merge the input
lineages, run the op's kind (step, router, node or loop region), compute its
delta and decide which routes are active.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flowengine import BaseComponent, FlowContext

from neurocore_dagster.plan.model import ExecutionPlan, PlanOp, Route
from neurocore_dagster.runtime.conditions import active_routes, step_decision
from neurocore_dagster.runtime.delta import (
    Delta,
    Snapshot,
    build_context,
    initial_delta,
    ordered,
    scalar_conflicts,
)
from neurocore_dagster.runtime.loop import run_region
from neurocore_dagster.runtime.report import Report, ReportLog
from neurocore_dagster.runtime.runner import RunParams, run_unit
from neurocore_dagster.skills.decisions import delivering

Lineage = tuple[Delta, ...]


@dataclass(frozen=True)
class OpOutcome:
    lineage: Lineage
    own: Delta
    routes: tuple[Route, ...]
    reports: tuple[Report, ...]
    context: FlowContext

    @property
    def suspended(self) -> bool:
        return self.context.metadata.suspended


def execute_op(
    plan: ExecutionPlan,
    op: PlanOp,
    inputs: Sequence[Lineage],
    initial_data: Mapping[str, Any],
    components: Mapping[str, BaseComponent],
    params: RunParams,
    resume_data: Mapping[str, Any] | None = None,
    on_report: Callable[[Report], None] | None = None,
) -> OpOutcome:
    """Run ``op`` given the lineages on its active incoming routes.

    ``resume_data`` (a decision for the op a run was suspended at) is set as the
    context key ``resume_data`` before the op runs, as flowengine's resume does,
    and delivered to its approval gate, which reads no context key for it.
    """
    reports: list[Report] = ReportLog(on_report)
    if op.inputs:
        ancestry = ordered(d for lineage in inputs for d in lineage)
    else:
        ancestry = [initial_delta(initial_data)]
    for key, first, second in scalar_conflicts(ancestry, plan.ancestors):
        reports.append(
            Report(
                "warning",
                op.key,
                f"parallel nodes {first!r} and {second!r} both wrote {key!r}; "
                f"the value from {second!r} is kept, as flowengine's order "
                "would have it",
                {"key": key, "nodes": [first, second]},
            )
        )
    context = build_context(ancestry)
    before = Snapshot.of(context)
    if resume_data is not None:
        context.set("resume_data", dict(resume_data))
    with delivering(resume_data):
        context, routes = _run_kind(plan, op, context, components, params, reports)
    own = before.delta(op.key, op.order, context)
    return OpOutcome(
        lineage=(*ancestry, own),
        own=own,
        routes=tuple(routes),
        reports=tuple(reports),
        context=context,
    )


def _run_kind(
    plan: ExecutionPlan,
    op: PlanOp,
    context: FlowContext,
    components: Mapping[str, BaseComponent],
    params: RunParams,
    reports: list[Report],
) -> tuple[FlowContext, list[Route]]:
    if op.kind == "router":
        return context, _choose(plan, op, context, params, reports)
    if op.kind == "loop":
        assert op.region is not None
        units = {u.key: u for u in op.units}
        context = run_region(op.region, units, components, context, params, reports)
        return context, []
    unit = op.unit
    if op.kind == "step":
        params.clock.remaining(context.metadata.flow_id, unit.key)
        decision = step_decision(
            unit.key, unit.component, unit.condition, context, plan.on_condition_error, reports
        )
        if decision == "run":
            context = run_unit(unit, components[unit.component], context, params, "step", reports)
        return context, ([] if context.metadata.suspended else list(op.routes))
    context = run_unit(unit, components[unit.component], context, params, "node", reports)
    if op.loop_mode:
        visits = context.metadata.node_visit_counts
        visits[unit.key] = visits.get(unit.key, 0) + 1
    if context.metadata.suspended:
        return context, []
    context.metadata.completed_nodes.append(unit.key)
    routes = active_routes(
        op.routes, context.get_active_port(), context, plan.settings.on_condition_error, reports
    )
    return context, routes


def _choose(
    plan: ExecutionPlan, op: PlanOp, context: FlowContext, params: RunParams, reports: list[Report]
) -> list[Route]:
    """First match wins: the route to the first step whose condition holds."""
    for unit, route in zip(op.units, op.routes, strict=True):
        params.clock.remaining(context.metadata.flow_id, unit.key)
        if (
            step_decision(
                unit.key, unit.component, unit.condition, context, plan.on_condition_error, reports
            )
            == "run"
        ):
            return [route]
    return []
