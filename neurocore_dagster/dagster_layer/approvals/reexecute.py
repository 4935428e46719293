"""Re-execute a failed or suspended run, with a decision, as a child run of it.

``resume_blueprint`` (the service, the CLI's ``runs resume`` and ``runs approve``)
and the approve job of the UI both continue a run through :func:`reexecute_run`,
so the two paths cannot drift apart: the run is marked failed first if its
process died (:mod:`reaping`); its job is rebuilt from what it recorded
(:mod:`~neurocore_dagster.dagster_layer.jobs.recorded_job`), or refused naming
each difference; its one decision or resume is claimed
(:mod:`reexecution_claims`); and the child run is created and executed in the
calling process, on the parent's in-process executor (else threads).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg

from neurocore_dagster.dagster_layer.approvals.reexecution_claims import claimed_reexecution
from neurocore_dagster.dagster_layer.approvals.suspensions import decision_tags, ended_at_gate
from neurocore_dagster.dagster_layer.executors.reaping import reap_if_dead
from neurocore_dagster.dagster_layer.executors.selection import (
    THREADS_EXECUTION,
    runs_in_this_process,
)
from neurocore_dagster.dagster_layer.jobs.code_location import project_location
from neurocore_dagster.dagster_layer.jobs.located_run import execute_located
from neurocore_dagster.dagster_layer.jobs.reconstruct import reconstructable_job
from neurocore_dagster.dagster_layer.jobs.recorded_job import rebuild_recorded_job
from neurocore_dagster.dagster_layer.jobs.recorded_plan import recorded_plan
from neurocore_dagster.dagster_layer.translation.translator import BlueprintTranslator
from neurocore_dagster.errors import ExecutionError
from neurocore_dagster.keys import RUN_RESOURCE_KEY, SUSPENDED_OP_TAG
from neurocore_dagster.skills.decisions import check_resume_data
from neurocore_dagster.skills.registry import SkillRegistry


@dataclass(frozen=True)
class Reexecution:
    """The child run a re-execution created, and what the rebuild had to say."""

    run_id: str
    warnings: tuple[str, ...] = ()
    """Files changed since the parent ran (their recorded versions ran instead), or a
    parent that predates recorded job shapes."""


def reexecute_run(
    instance: dg.DagsterInstance,
    run_id: str,
    *,
    registry: SkillRegistry | None,
    project_root: str | Path | None,
    resume_data: Mapping[str, Any] | None,
    force: bool = False,
    translator: BlueprintTranslator | None = None,
) -> Reexecution:
    """Continue run ``run_id`` in a new child run of it, executed here; its id and warnings.

    A suspended run goes on from the op it stopped at, with ``resume_data`` (the
    decision); a failed run from failure. The job is the one the run ran,
    rebuilt from its record; ``translator`` is needed only when the recorded
    translator class cannot be imported or created from its settings.
    """
    check_resume_data(resume_data, f"resuming run {run_id}")
    run = instance.get_run_by_id(run_id)
    if run is None:
        raise ExecutionError(f"no run {run_id!r} in this Dagster instance")
    run = reap_if_dead(instance, run)
    rebuilt = rebuild_recorded_job(instance, run, registry, project_root, translator)
    options = _reexecution_options(instance, run, resume_data)
    config: dict[str, Any] = copy.deepcopy(dict(run.run_config))
    resources = config.setdefault("resources", {})
    if resume_data is not None:
        run_resource = resources.setdefault(RUN_RESOURCE_KEY, {}).setdefault("config", {})
        run_resource["resume_data"] = dict(resume_data)
    config["execution"] = in_process_execution(config.get("execution"))
    tags = {**decision_tags(resume_data), **rebuilt.tags}
    with (
        claimed_reexecution(instance, run, resume_data, force=force) as claim_tags,
        reconstructable_job(rebuilt.blueprint, registry, project_root, built=rebuilt.job) as job,
    ):
        location = project_location(rebuilt.blueprint, project_root)
        result = execute_located(
            job,
            instance,
            location,
            run_config=config,
            tags={**tags, **claim_tags},
            reexecution=options,
        )
    return Reexecution(result.run_id, rebuilt.warnings)


def in_process_execution(previous: Any) -> dict[str, Any]:
    """The parent run's executor if it ran in this process (threads or in_process), else threads.

    A re-execution runs in the calling process, so a parent launched with the
    multiprocess executor (the default of launched runs) resumes on threads.
    """
    if runs_in_this_process(previous):
        return copy.deepcopy(dict(previous))
    return copy.deepcopy(THREADS_EXECUTION)


def _reexecution_options(
    instance: dg.DagsterInstance, run: dg.DagsterRun, resume_data: Mapping[str, Any] | None
) -> dg.ReexecutionOptions:
    if ended_at_gate(run):
        op_key = run.tags[SUSPENDED_OP_TAG]
        names = recorded_plan(run, instance).op_names()
        return dg.ReexecutionOptions(parent_run_id=run.run_id, step_selection=[f"{names[op_key]}*"])
    if run.status == dg.DagsterRunStatus.FAILURE:
        if resume_data is not None:
            raise ExecutionError(f"run {run.run_id} failed; resume_data is only for suspended runs")
        return dg.ReexecutionOptions.from_failure(run.run_id, instance)
    raise ExecutionError(
        f"run {run.run_id} is {run.status.value.lower()}; only failed or "
        "suspended runs can be resumed"
    )
