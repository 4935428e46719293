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
The op's body is :func:`~.compute_bridge.compute_fn`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import dagster as dg

from neurocore_dagster.dagster_layer.assets.specs import JobAssets
from neurocore_dagster.dagster_layer.jobs.compute_bridge import compute_fn
from neurocore_dagster.dagster_layer.translation.translator import OpSpec
from neurocore_dagster.keys import (
    CONTEXT_OUTPUT,
    RUN_RESOURCE_KEY,
    SUSPENDED_OUTPUT,
    UPSTREAM_INPUT,
)
from neurocore_dagster.plan.model import ExecutionPlan, NodeOp, PlanOp, Route, StepOp


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
    keys = {u.component: resource_keys[u.component] for u in op.runs_skills}
    definition = dg.OpDefinition(
        name=f"{job_name}__{spec.name}",
        compute_fn=compute_fn(plan, op, route_outputs, keys, passes_context_on(op), assets),
        ins=ins,
        outs=outs,
        description=spec.description,
        tags=spec.tags,
        pool=spec.pool,
        required_resource_keys={RUN_RESOURCE_KEY, *keys.values()},
    )
    return RenderedOp(op=op, spec=spec, definition=definition, route_outputs=route_outputs)


def passes_context_on(op: PlanOp) -> bool:
    """Whether the op's routes are all active exactly when it did not suspend the run.

    True for a sequential step, and for a graph node whose edges have neither a port
    nor a condition. Its successors then read its ``flow_context`` (no route outputs).
    """
    if isinstance(op, StepOp):
        return True
    return isinstance(op, NodeOp) and all(r.port is None and not r.condition for r in op.routes)
