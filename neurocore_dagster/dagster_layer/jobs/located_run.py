"""Create and execute a run in this process that records the code location serving its job.

``dg.execute_job`` creates runs without a code-location origin, so the Dagster
UI cannot re-execute them ("Expected non-None value"). :func:`execute_located`
does what it does (the same run record, re-execution plans included) and adds
the origin :mod:`code_location` found, with the tag that names the location or
says why there is none.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster._core.execution.api import (
    ReexecuteFromFailureOption,
    _resolve_reexecute_step_selection,
    create_execution_plan,
    execute_run,
)
from dagster._core.execution.plan.plan import ExecutionPlan
from dagster._core.execution.plan.state import KnownExecutionState

from neurocore_dagster.dagster_layer.jobs.code_location import ProjectLocation


def execute_located(
    recon: dg.ReconstructableJob,
    instance: dg.DagsterInstance,
    location: ProjectLocation,
    *,
    run_config: Mapping[str, Any],
    tags: Mapping[str, str] | None = None,
    reexecution: dg.ReexecutionOptions | None = None,
) -> dg.JobExecutionResult:
    """``dg.execute_job(recon, instance, run_config, tags, reexecution_options=reexecution)``,
    its run recording ``location``'s origin for the job (or the tag saying there is none)."""
    load_data = recon.repository.get_definition().repository_load_data
    recon = recon.with_repository_load_data(load_data)
    job = recon.get_definition()
    all_tags = {**job.run_tags, **location.tags, **(tags or {})}
    parent = _parent(instance, reexecution)
    plan = None
    if parent is not None and reexecution is not None:
        plan = _reexecution_plan(instance, recon, run_config, parent, reexecution)
    run = instance.create_run_for_job(
        job_def=job,
        execution_plan=plan,
        run_config=run_config,
        tags=all_tags,
        op_selection=parent.op_selection if parent is not None else None,
        resolved_op_selection=parent.resolved_op_selection if parent is not None else None,
        root_run_id=(parent.root_run_id or parent.run_id) if parent is not None else None,
        parent_run_id=parent.run_id if parent is not None else None,
        job_code_origin=recon.get_python_origin(),
        remote_job_origin=location.job_origin(job.name),
        repository_load_data=load_data,
    )
    return execute_run(recon, run, instance)


def _parent(
    instance: dg.DagsterInstance, reexecution: dg.ReexecutionOptions | None
) -> dg.DagsterRun | None:
    if reexecution is None:
        return None
    parent = instance.get_run_by_id(reexecution.parent_run_id)
    if parent is None:
        raise dg.DagsterInvariantViolationError(
            f"No parent run with id {reexecution.parent_run_id} found in instance."
        )
    return parent


def _reexecution_plan(
    instance: dg.DagsterInstance,
    recon: dg.ReconstructableJob,
    run_config: Mapping[str, Any],
    parent: dg.DagsterRun,
    reexecution: dg.ReexecutionOptions,
) -> ExecutionPlan | None:
    """The plan ``dg.execute_job`` makes for a re-execution: from failure, or the selected steps."""
    if isinstance(reexecution, ReexecuteFromFailureOption):
        step_keys, known_state = KnownExecutionState.build_resume_retry_reexecution(
            instance=instance, parent_run=parent
        )
        return create_execution_plan(
            recon,
            run_config,
            step_keys_to_execute=step_keys,
            known_state=known_state,
            tags=parent.tags,
        )
    if reexecution.step_selection:
        return _resolve_reexecute_step_selection(
            instance, recon, run_config, parent, reexecution.step_selection
        )
    return None
