"""Execute one plan op on the merged context of its ancestors.

This is everything an op does apart from talking to Dagster: merge the input
lineages, run the op's kind (step, router, node or loop region), compute its
delta and decide which routes are active.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flowengine import BaseComponent, FlowContext

from neurocore_dagster.errors import ExecutionError
from neurocore_dagster.plan.model import (
    ExecutionPlan,
    LoopOp,
    NodeOp,
    PlanOp,
    Route,
    RouterOp,
    StepOp,
)
from neurocore_dagster.runtime.access import access_log, record_access, stop_recording
from neurocore_dagster.runtime.delta import (
    RESUMED_SUFFIX,
    Delta,
    Snapshot,
    build_context,
    initial_delta,
    ordered,
    overwrite_conflicts,
    without_suspension,
)
from neurocore_dagster.runtime.loop import run_region
from neurocore_dagster.runtime.observer import (
    Observer,
    OpWarning,
    Recorder,
    Report,
    RetryScheduled,
    RunSuspended,
)
from neurocore_dagster.runtime.routing import active_routes, step_decision
from neurocore_dagster.runtime.runner import RetryNeeded, RunParams, run_unit
from neurocore_dagster.skills.decisions import delivering

Lineage = tuple[Delta, ...]


@dataclass(frozen=True)
class OpOutcome:
    lineage: Lineage
    own: Delta
    routes: tuple[Route, ...]
    context: FlowContext
    reports: tuple[Report, ...] = ()
    """What the op reported, in order (its observer heard each as it happened)."""

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
    observer: Observer | None = None,
    suspended: Lineage | None = None,
) -> OpOutcome:
    """Run ``op`` given the lineages on its active incoming routes.

    ``resume_data`` (a decision for the op a run was suspended at) is set as the
    context key ``resume_data`` before the op runs, as flowengine's resume does,
    and delivered to its approval gate, which reads no context key for it.
    ``suspended`` is this op's own lineage from the run it resumes, when the op is
    a loop region that suspended inside: the region then goes on from the
    suspended node with the visits it had made, as flowengine's cyclic executor
    resumes, instead of running its earlier nodes again.

    ``observer`` hears each report as it happens; the outcome keeps them all. A
    suspension is reported once the op is done, and a retry before
    :class:`RetryNeeded` leaves.
    """
    recorder = Recorder(observer)
    with _reporting_retries(op, recorder):
        if suspended is not None and isinstance(op, LoopOp):
            outcome = _resume_region(plan, op, suspended, components, params, resume_data, recorder)
        else:
            outcome = _run_op(
                plan, op, inputs, initial_data, components, params, resume_data, recorder
            )
    meta = outcome.context.metadata
    if meta.suspended:
        # context.suspend() names the node; a skill that only sets the flag is at this op.
        recorder.on_suspended(
            RunSuspended(meta.suspended_at_node or op.key, meta.suspension_reason or "")
        )
    return dataclasses.replace(outcome, reports=tuple(recorder.reports))


@contextmanager
def _reporting_retries(op: PlanOp, observer: Observer) -> Iterator[None]:
    try:
        yield
    except RetryNeeded as retry:
        observer.on_retry(
            RetryScheduled(
                op.key,
                retry.node,
                retry.attempt,
                type(retry.error).__name__,
                str(retry.error),
                retry.delay_seconds,
                retry.max_retries,
            )
        )
        raise


def _run_op(
    plan: ExecutionPlan,
    op: PlanOp,
    inputs: Sequence[Lineage],
    initial_data: Mapping[str, Any],
    components: Mapping[str, BaseComponent],
    params: RunParams,
    resume_data: Mapping[str, Any] | None,
    observer: Observer,
) -> OpOutcome:
    if op.inputs:
        ancestry = ordered(d for lineage in inputs for d in lineage)
    else:
        ancestry = [initial_delta(initial_data)]
    for key, first, second in overwrite_conflicts(ancestry, plan.ancestors):
        observer.on_warning(
            OpWarning(
                op.key,
                "join_conflict",
                f"parallel nodes {first!r} and {second!r} both wrote {key!r}; "
                f"the value from {second!r} is kept, as flowengine's order "
                "would have it",
                {"key": key, "nodes": [first, second]},
            )
        )
    context = build_context(ancestry)
    before = Snapshot.of(context)
    record_access(context)
    if resume_data is not None:
        context.set("resume_data", dict(resume_data))
    with delivering(resume_data):
        context, routes = _run_kind(plan, op, context, components, params, observer)
    log = access_log(context)
    stop_recording(context)
    own = before.delta(op.key, op.order, context, log)
    return OpOutcome(
        lineage=(*ancestry, own),
        own=own,
        routes=tuple(routes),
        context=context,
    )


def _resume_region(
    plan: ExecutionPlan,
    op: LoopOp,
    suspended: Lineage,
    components: Mapping[str, BaseComponent],
    params: RunParams,
    resume_data: Mapping[str, Any] | None,
    observer: Observer,
) -> OpOutcome:
    """Go on with a loop region from the node it suspended at.

    The op's lineage becomes its inputs, the parts it ran before (the last one's
    suspension removed) and the part it runs now, named after the last with
    :data:`RESUMED_SUFFIX` added, so the parts sort in the order they ran.
    """
    lineage = ordered(suspended)
    parts = [d for d in lineage if d.op == op.key or d.op.startswith(op.key + RESUMED_SUFFIX)]
    ancestry = [d for d in lineage if d not in parts]
    if not parts or parts[-1].meta.suspended_at is None:
        raise ExecutionError(f"op {op.key!r} did not suspend in the run it resumes")
    start = _suspended_node(op, parts[-1].meta.suspended_at)
    done = [*parts[:-1], without_suspension(parts[-1])]
    context = build_context([*ancestry, *done])
    before = Snapshot.of(context)
    record_access(context)
    if resume_data is not None:
        context.set("resume_data", dict(resume_data))
    units = {u.key: u for u in op.members}
    with delivering(resume_data):
        context = run_region(op.region, units, components, context, params, observer, start=start)
    log = access_log(context)
    stop_recording(context)
    own = before.delta(done[-1].op + RESUMED_SUFFIX, op.order, context, log)
    return OpOutcome(
        lineage=(*ancestry, *done, own),
        own=own,
        routes=(),
        context=context,
    )


def _suspended_node(op: LoopOp, suspended_at: str) -> str:
    """The region node a suspension names: a node id, or the component of exactly one node.

    (The built-in gate suspends with its component's name, as flowengine's does.)
    """
    if any(u.key == suspended_at for u in op.units):
        return suspended_at
    users = [u.key for u in op.units if u.component == suspended_at]
    if len(users) != 1:
        raise ExecutionError(
            f"the run suspended at {suspended_at!r}, which names "
            + ("no node" if not users else f"several nodes ({', '.join(users)})")
            + f" of loop {op.key!r}; cannot tell where to resume"
        )
    return users[0]


def _run_kind(
    plan: ExecutionPlan,
    op: PlanOp,
    context: FlowContext,
    components: Mapping[str, BaseComponent],
    params: RunParams,
    observer: Observer,
) -> tuple[FlowContext, list[Route]]:
    match op:
        case RouterOp():
            return context, _choose(plan, op, context, params, observer)
        case LoopOp():
            units = {u.key: u for u in op.members}
            context = run_region(op.region, units, components, context, params, observer)
            return context, []
        case StepOp():
            return _run_step(plan, op, context, components, params, observer)
        case NodeOp():
            return _run_node(plan, op, context, components, params, observer)


def _run_step(
    plan: ExecutionPlan,
    op: StepOp,
    context: FlowContext,
    components: Mapping[str, BaseComponent],
    params: RunParams,
    observer: Observer,
) -> tuple[FlowContext, list[Route]]:
    """A false condition is a recorded skip; the routes are active unless the step suspends."""
    unit = op.unit
    params.clock.remaining(context.metadata.flow_id, unit.key)
    decision = step_decision(
        unit.key,
        unit.component,
        unit.condition,
        context,
        plan.on_condition_error,
        observer,
        unit.condition_at,
    )
    if decision == "run":
        context = run_unit(unit, components[unit.component], context, params, "step", observer)
    return context, ([] if context.metadata.suspended else list(op.routes))


def _run_node(
    plan: ExecutionPlan,
    op: NodeOp,
    context: FlowContext,
    components: Mapping[str, BaseComponent],
    params: RunParams,
    observer: Observer,
) -> tuple[FlowContext, list[Route]]:
    """The node runs; its active port and edge conditions decide its routes."""
    unit = op.unit
    context = run_unit(unit, components[unit.component], context, params, "node", observer)
    if op.before_loop:
        visits = context.metadata.node_visit_counts
        visits[unit.key] = visits.get(unit.key, 0) + 1
    if context.metadata.suspended:
        return context, []
    context.metadata.completed_nodes.append(unit.key)
    routes = active_routes(
        op.routes, context.get_active_port(), context, plan.settings.on_condition_error, observer
    )
    return context, routes


def _choose(
    plan: ExecutionPlan,
    op: RouterOp,
    context: FlowContext,
    params: RunParams,
    observer: Observer,
) -> list[Route]:
    """First match wins: the route to the first step whose condition holds."""
    for unit, route in zip(op.candidates, op.routes, strict=True):
        params.clock.remaining(context.metadata.flow_id, unit.key)
        if (
            step_decision(
                unit.key,
                unit.component,
                unit.condition,
                context,
                plan.on_condition_error,
                observer,
                unit.condition_at,
            )
            == "run"
        ):
            return [route]
    return []
