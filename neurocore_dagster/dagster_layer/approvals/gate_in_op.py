"""What an op does about approvals: take its decision when it resumes, tag the run when it suspends.

A run that re-executes a run suspended at this op takes the suspended run's one
decision (:func:`~.suspensions.take_suspension_in_run`) before the op runs. An op
whose gate suspends the run tags it ``neurocore/status=suspended`` (with the op
and what the gate asks) and logs how to decide it.
"""

from __future__ import annotations

from typing import Any

import dagster as dg

from neurocore_dagster.dagster_layer.approvals.suspensions import (
    ended_at_gate,
    take_suspension_in_run,
)
from neurocore_dagster.dagster_layer.resources.components import RunInputs
from neurocore_dagster.dagster_layer.storage.stored_outputs import stored_lineage
from neurocore_dagster.keys import (
    APPROVE_COMMAND,
    APPROVE_JOB_NAME,
    APPROVE_OP_NAME,
    RUN_RESOURCE_KEY,
    STATUS_TAG,
    SUSPENDED,
    SUSPENDED_OP_TAG,
    SUSPENSION_REASON_TAG,
)
from neurocore_dagster.plan.model import LoopOp, PlanOp
from neurocore_dagster.runtime.observer import RunSuspended
from neurocore_dagster.runtime.op_execution import Lineage

_REASON_CHARS = 200


def resume_decision(
    context: dg.OpExecutionContext, op: PlanOp, run_inputs: RunInputs
) -> dict[str, Any] | None:
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


def suspended_lineage(
    context: dg.OpExecutionContext, op: PlanOp, decision: dict[str, Any] | None
) -> Lineage | None:
    """The loop region's own lineage in the run it resumes with ``decision``, if any.

    The region then goes on from the node it suspended at (``execute_op``).
    """
    parent_id = context.dagster_run.parent_run_id
    if decision is None or not isinstance(op, LoopOp) or parent_id is None:
        return None
    return stored_lineage(context.instance, parent_id, context.op_handle.name)


def mark_suspended(context: dg.OpExecutionContext, op_key: str, report: RunSuspended) -> None:
    """Tag the run as suspended at ``op_key`` (pending a decision) and log how to decide."""
    context.instance.add_run_tags(
        context.run_id,
        {
            STATUS_TAG: SUSPENDED,
            SUSPENDED_OP_TAG: op_key,
            SUSPENSION_REASON_TAG: report.message[:_REASON_CHARS],
        },
    )
    op_name = context.op_handle.name
    context.log.warning(
        f"run suspended at {op_name!r}: {report.message}\n" + how_to_decide(context.run_id, op_name)
    )


def how_to_decide(run_id: str, op_name: str) -> str:
    """The three ways to decide a suspended run: the CLI, the approve job, a re-execution."""
    launchpad = f"ops: {{{APPROVE_OP_NAME}: {{config: {{run_id: {run_id}, approved: true}}}}}}"
    resume = f"resources: {{{RUN_RESOURCE_KEY}: {{config: {{resume_data: {{approved: true}}}}}}}}"
    return (
        f"Decide with `{APPROVE_COMMAND} {run_id}` (add --reject to reject), "
        f"or in the Dagster UI launch job {APPROVE_JOB_NAME} with config {launchpad} "
        f"(or re-execute this run from step {op_name!r} with run config {resume})"
    )
