"""The body of every blueprint op: run the runtime on the op's inputs inside Dagster.

It gathers what the runtime needs from the op's context (input lineages, the
run's inputs, component resources, the flow clock, the retry attempt, an
approval decision when the run resumes one), runs the op with a
:class:`~.op_observer.DagsterObserver`, turns a retry the skill's policy
covers into Dagster's ``RetryRequested``, and yields the op's outputs: its
context lineage (``flow_context``, or ``suspended_context`` when a step
suspends the run) with its metadata, then one output per active route.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import dagster as dg

from neurocore_dagster.dagster_layer.approvals.gate_in_op import (
    resume_decision,
    suspended_lineage,
)
from neurocore_dagster.dagster_layer.assets.events import AssetEvent, asset_events
from neurocore_dagster.dagster_layer.assets.specs import JobAssets
from neurocore_dagster.dagster_layer.jobs.op_observer import DagsterObserver
from neurocore_dagster.dagster_layer.jobs.output_metadata import output_metadata
from neurocore_dagster.dagster_layer.resources.components import RunInputs
from neurocore_dagster.dagster_layer.resources.flow_clock import run_clock
from neurocore_dagster.keys import (
    CONTEXT_OUTPUT,
    RUN_RESOURCE_KEY,
    SUSPENDED_OUTPUT,
    UPSTREAM_INPUT,
)
from neurocore_dagster.llm.provider import usage_scope
from neurocore_dagster.plan.model import ExecutionPlan, PlanOp, Route
from neurocore_dagster.runtime.op_execution import execute_op
from neurocore_dagster.runtime.runner import RetryNeeded, RunParams

ComputeFn = Callable[..., Iterator[dg.Output[Any] | AssetEvent]]


def compute_fn(
    plan: ExecutionPlan,
    op: PlanOp,
    route_outputs: Mapping[Route, str],
    resource_keys: Mapping[str, str],
    passes_context_on: bool,
    assets: JobAssets | None = None,
) -> ComputeFn:
    """The compute function of ``op``; ``resource_keys`` maps its components to resources.

    ``passes_context_on``: the op's successors read its ``flow_context`` (see
    :func:`~.op_rendering.passes_context_on`), so a suspension yields
    ``suspended_context`` instead. ``assets``: the blueprint's declared assets; the op
    reports those it wrote before its outputs (:mod:`...assets.events`).
    """

    # No annotation on `context`: Dagster inspects it and cannot read a postponed (string) one.
    def compute(context, inputs: dict[str, Any]) -> Iterator[dg.Output[Any] | AssetEvent]:  # type: ignore[no-untyped-def]
        lineages = list(inputs.get(UPSTREAM_INPUT) or [])
        run_inputs: RunInputs = getattr(context.resources, RUN_RESOURCE_KEY)
        components = {name: getattr(context.resources, key) for name, key in resource_keys.items()}
        clock = run_clock(context, run_inputs.first_step, plan.settings.timeout_seconds)
        params = RunParams(plan.settings, clock, context.retry_number, run_inputs.loop)
        decision = resume_decision(context, op, run_inputs)
        try:
            with usage_scope() as usage:
                outcome = execute_op(
                    plan,
                    op,
                    lineages,
                    run_inputs.initial_data,
                    components,
                    params,
                    decision,
                    observer=DagsterObserver(context, op.key),
                    suspended=suspended_lineage(context, op, decision),
                )
        except RetryNeeded as retry:
            raise dg.RetryRequested(
                max_retries=retry.max_retries, seconds_to_wait=retry.delay_seconds
            ) from retry.error
        metadata = output_metadata(op, outcome, usage)
        if assets:
            yield from asset_events(assets, op.key, outcome, context.run_id)
        name = SUSPENDED_OUTPUT if outcome.suspended and passes_context_on else CONTEXT_OUTPUT
        yield dg.Output(outcome.lineage, name, metadata=metadata)
        for route in outcome.routes:
            if route_outputs[route] != CONTEXT_OUTPUT:
                yield dg.Output(outcome.lineage, route_outputs[route])

    return compute
