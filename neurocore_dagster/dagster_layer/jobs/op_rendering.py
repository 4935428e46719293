"""Render plan ops as Dagster op definitions.

Every op has one fan-in input ``upstream`` (its incoming routes; Dagster skips
the op only when none of them was yielded) and yields its context lineage as
``flow_context``. A router, or a graph node with a port or condition on an
edge, also has one optional output per route, yielded only when the route is
active. The routes of a sequential step, or of a node whose edges are plain,
are all active unless it suspends the run, so its successors read
``flow_context`` itself, which is then optional: a suspended op yields
``suspended_context`` instead, and Dagster skips everything after it. (One
output per op, not one per route plus one, is a fifth of a chain's events.)
The compute function hands the op to the runtime and reports back through
:func:`emit`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import dagster as dg

from neurocore_dagster.dagster_layer.approvals.suspensions import (
    ended_at_gate,
    take_suspension_in_run,
)
from neurocore_dagster.dagster_layer.assets.events import AssetEvent, asset_events
from neurocore_dagster.dagster_layer.assets.specs import JobAssets
from neurocore_dagster.dagster_layer.resources.components import RUN_RESOURCE_KEY, RunInputs
from neurocore_dagster.dagster_layer.storage.stored_outputs import stored_lineage
from neurocore_dagster.dagster_layer.translation.names import APPROVE_JOB_NAME, APPROVE_OP_NAME
from neurocore_dagster.dagster_layer.translation.translator import (
    STATUS_TAG,
    SUSPENDED,
    SUSPENDED_OP_TAG,
    OpSpec,
)
from neurocore_dagster.keys import CONTEXT_OUTPUT, SUSPENDED_OUTPUT, UPSTREAM_INPUT
from neurocore_dagster.llm.provider import usage_scope
from neurocore_dagster.plan.model import ExecutionPlan, PlanOp, Route
from neurocore_dagster.runtime.clock import FlowClock
from neurocore_dagster.runtime.op_execution import OpOutcome, execute_op
from neurocore_dagster.runtime.op_report import Report
from neurocore_dagster.runtime.runner import RetryNeeded, RunParams

_PREVIEW_CHARS = 120


@dataclass(frozen=True)
class RenderedOp:
    op: PlanOp
    spec: OpSpec
    definition: dg.OpDefinition
    route_outputs: Mapping[Route, str]


def render_op(
    plan: ExecutionPlan,
    op: PlanOp,
    spec: OpSpec,
    job_name: str,
    route_outputs: Mapping[Route, str],
    resource_keys: Mapping[str, str],
    assets: JobAssets | None = None,
) -> RenderedOp:
    """The op definition of ``op``; with ``assets``, it also reports the assets it wrote
    (:mod:`~neurocore_dagster.dagster_layer.assets.events`)."""
    outs = {CONTEXT_OUTPUT: dg.Out(description="This op's context lineage (for final_context).")}
    if passes_context_on(op):
        outs = {
            CONTEXT_OUTPUT: dg.Out(
                is_required=False,
                description="This step's context lineage, read by the next step; not "
                "yielded when the step suspends the run.",
            ),
            SUSPENDED_OUTPUT: dg.Out(
                is_required=False,
                description="The context lineage of a step that suspended the run.",
            ),
        }
    for route, name in route_outputs.items():
        if name != CONTEXT_OUTPUT:
            outs[name] = dg.Out(is_required=False, description=f"Route {route.label}")
    ins = {UPSTREAM_INPUT: dg.In(description="Contexts from incoming routes")} if op.inputs else {}
    runs_skills = op.kind != "router"
    keys = {u.component: resource_keys[u.component] for u in op.units} if runs_skills else {}
    compute = _compute_fn(plan, op, route_outputs, keys, assets)
    definition = dg.OpDefinition(
        name=f"{job_name}__{spec.name}",
        compute_fn=compute,
        ins=ins,
        outs=outs,
        description=spec.description,
        tags=spec.tags,
        required_resource_keys={RUN_RESOURCE_KEY, *keys.values()},
    )
    return RenderedOp(op=op, spec=spec, definition=definition, route_outputs=route_outputs)


def _compute_fn(
    plan: ExecutionPlan,
    op: PlanOp,
    route_outputs: Mapping[Route, str],
    resource_keys: Mapping[str, str],
    assets: JobAssets | None,
) -> Any:
    # No annotation on `context`: Dagster inspects it and cannot read a postponed (string) one.
    def compute(context, inputs: dict[str, Any]) -> Iterator[dg.Output[Any] | AssetEvent]:  # type: ignore[no-untyped-def]
        lineages = list(inputs.get(UPSTREAM_INPUT) or [])
        run_inputs: RunInputs = getattr(context.resources, RUN_RESOURCE_KEY)
        components = {name: getattr(context.resources, key) for name, key in resource_keys.items()}
        clock = FlowClock(
            run_inputs.first_step.get(context.instance, context.run_id),
            plan.settings.timeout_seconds,
        )
        params = RunParams(plan.settings, clock, context.retry_number, run_inputs.loop)
        resume = _resume_data(context, op, run_inputs)
        suspended = (
            stored_lineage(
                context.instance, context.dagster_run.parent_run_id, context.op_handle.name
            )
            if resume is not None and op.kind == "loop"
            else None
        )
        try:
            with usage_scope() as usage:
                outcome = execute_op(
                    plan,
                    op,
                    lineages,
                    run_inputs.initial_data,
                    components,
                    params,
                    resume,
                    on_report=lambda report: emit(context, report),
                    suspended=suspended,
                )
        except RetryNeeded as retry:
            unit = next(u for u in op.units if u.retry is not None)
            assert unit.retry is not None
            context.log.warning(
                f"{op.key}: attempt {retry.attempt + 1} failed with "
                f"{type(retry.error).__name__}: {retry.error}; retrying in "
                f"{retry.delay_seconds:.2f}s ({unit.retry.max_retries} retries allowed)"
            )
            raise dg.RetryRequested(
                max_retries=unit.retry.max_retries, seconds_to_wait=retry.delay_seconds
            ) from retry.error
        if outcome.suspended:
            _mark_suspended(context, op, outcome, context.op_handle.name)
        metadata = output_metadata(op, outcome)
        if usage.calls:
            metadata.update(
                {
                    "llm_calls": usage.calls,
                    "llm_input_tokens": usage.input_tokens,
                    "llm_output_tokens": usage.output_tokens,
                    "llm_models": ", ".join(usage.models),
                }
            )
        if assets:
            yield from asset_events(assets, op.key, outcome, context.run_id)
        suspends = outcome.suspended and passes_context_on(op)
        name = SUSPENDED_OUTPUT if suspends else CONTEXT_OUTPUT
        yield dg.Output(outcome.lineage, name, metadata=metadata)
        for route in outcome.routes:
            if route_outputs[route] != CONTEXT_OUTPUT:
                yield dg.Output(outcome.lineage, route_outputs[route])

    return compute


def passes_context_on(op: PlanOp) -> bool:
    """Whether the op's routes are all active exactly when it did not suspend the run.

    True for a sequential step, and for a graph node whose edges have neither a port
    nor a condition. Its successors then read its ``flow_context`` (no route outputs).
    """
    if op.kind == "step":
        return True
    return op.kind == "node" and all(r.port is None and not r.condition for r in op.routes)


def _resume_data(context: Any, op: PlanOp, run_inputs: RunInputs) -> dict[str, Any] | None:
    """The decision for this op, when this run re-executes a run suspended at it.

    Such a run takes the suspended run's one decision (``take_suspension_in_run``),
    with or without resume data, or fails naming the run that took it.
    """
    parent_id = context.dagster_run.parent_run_id
    if parent_id is None:
        return None
    parent = context.instance.get_run_by_id(parent_id)
    if parent is None or not ended_at_gate(parent) or parent.tags.get(SUSPENDED_OP_TAG) != op.key:
        return None
    decision = run_inputs.resume_data
    take_suspension_in_run(context.instance, parent, context.dagster_run, decision)
    if decision is None:
        return None
    context.log.info(f"resuming {op.key!r} with decision {decision}")
    return dict(decision)


def _mark_suspended(context: Any, op: PlanOp, outcome: OpOutcome, op_name: str) -> None:
    meta = outcome.context.metadata
    context.instance.add_run_tags(
        context.run_id,
        {
            STATUS_TAG: SUSPENDED,
            SUSPENDED_OP_TAG: op.key,
            "neurocore/suspension_reason": (meta.suspension_reason or "")[:200],
        },
    )
    context.log.warning(
        f"run suspended at {op_name!r}: {meta.suspension_reason or ''}\n"
        + how_to_decide(context.run_id, op_name)
    )


def how_to_decide(run_id: str, op_name: str) -> str:
    launchpad = f"ops: {{{APPROVE_OP_NAME}: {{config: {{run_id: {run_id}, approved: true}}}}}}"
    resume = "resources: {neurocore: {config: {resume_data: {approved: true}}}}"
    return (
        f"Decide with `neurocore-dagster runs approve {run_id}` (add --reject to reject), "
        f"or in the Dagster UI launch job {APPROVE_JOB_NAME} with config {launchpad} "
        f"(or re-execute this run from step {op_name!r} with run config {resume})"
    )


def emit(context: Any, report: Report) -> None:
    """The one place where a runtime report becomes a Dagster log event.

    A step's or node's "ran" report is not logged: Dagster's step events already
    time the op, and the skill's own time goes to the output's ``skill_ms``
    metadata, so a run stores no event per op beyond what plain ops store.
    """
    if report.kind == "ran":
        return
    if report.kind in ("warning", "condition_error", "error_recorded"):
        context.log.warning(report.message)
    else:
        context.log.info(report.message)


def output_metadata(op: PlanOp, outcome: OpOutcome) -> dict[str, Any]:
    own = outcome.own
    written = {
        key: _preview(change.value) if change.kind == "set" else change.kind
        for key, change in own.data.items()
    }
    skipped = [r for r in outcome.reports if r.kind == "skipped" and r.unit == op.key]
    metadata: dict[str, Any] = {
        "keys_written": dg.MetadataValue.json(written),
        "port": own.port or "",
        "routes_activated": ", ".join(r.target for r in outcome.routes) or "(none)",
        "skipped": bool(skipped),
    }
    if skipped:
        metadata["skip_reason"] = skipped[0].details.get("reason", "")
    visits = [r.details for r in outcome.reports if r.kind == "visit"]
    if visits:
        metadata["visits"] = dg.MetadataValue.json(visits)
    if op.kind in ("step", "node"):
        metadata["skill"] = f"{op.unit.skill} {op.unit.skill_version}"
        ran = [r for r in outcome.reports if r.kind == "ran" and r.unit == op.unit.key]
        if ran:
            metadata["skill_ms"] = round(float(ran[-1].details["duration_ms"]), 3)
    meta = outcome.context.metadata
    if meta.suspended:
        metadata["suspended"] = True
        metadata["approval_message"] = meta.suspension_reason or ""
    return metadata


def _preview(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _PREVIEW_CHARS else text[: _PREVIEW_CHARS - 3] + "..."
