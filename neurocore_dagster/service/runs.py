"""Run blueprints on a Dagster instance and read their results back.

``execute_blueprint`` runs the job in the calling process, so a registry built
in memory works. Results are read from the instance's event log: the final
context is rebuilt from the deltas each executed op stored, following a
re-executed run to its parents for the ops it did not run again.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import dagster as dg
from flowengine import FlowContext

from neurocore_dagster.blueprint.model import Blueprint
from neurocore_dagster.dagster_layer.approvals.reexecution_claims import claimed_reexecution
from neurocore_dagster.dagster_layer.approvals.suspensions import decision_tags, ended_at_gate
from neurocore_dagster.dagster_layer.executors.selection import (
    THREADS_EXECUTION,
    check_execution_config,
    runs_in_this_process,
)
from neurocore_dagster.dagster_layer.instance import project_instance
from neurocore_dagster.dagster_layer.jobs.build import build_job
from neurocore_dagster.dagster_layer.jobs.code_location import project_location
from neurocore_dagster.dagster_layer.jobs.located_run import execute_located
from neurocore_dagster.dagster_layer.jobs.reconstruct import reconstructable_job
from neurocore_dagster.dagster_layer.jobs.recorded_job import (
    rebuild_recorded_job,
)
from neurocore_dagster.dagster_layer.jobs.recorded_job import (
    recorded_blueprint as recorded_blueprint,  # the CLI's replay reads it here
)
from neurocore_dagster.dagster_layer.jobs.run_config import run_config as job_run_config
from neurocore_dagster.dagster_layer.resources.components import RUN_RESOURCE_KEY
from neurocore_dagster.dagster_layer.storage.results import final_context, plan_ops
from neurocore_dagster.dagster_layer.translation.translator import (
    SUSPENDED_OP_TAG,
    BlueprintTranslator,
)
from neurocore_dagster.errors import ExecutionError
from neurocore_dagster.project.env import project_root_of
from neurocore_dagster.service.dead_runs import reap_if_dead
from neurocore_dagster.skills.decisions import check_resume_data
from neurocore_dagster.skills.registry import SkillRegistry

RunStatus = Literal["completed", "failed", "suspended"]
log = logging.getLogger("neurocore_dagster")


@dataclass(frozen=True)
class BlueprintRun:
    """The outcome of a blueprint run: its Dagster run id, status and final context."""

    run_id: str
    status: RunStatus
    context: FlowContext
    error: str | None = None
    warnings: tuple[str, ...] = ()
    """What a resume had to say: files changed since the parent ran (their recorded
    versions ran instead), or a parent that predates recorded job shapes."""


def resolve_instance(
    instance: dg.DagsterInstance | None, project_root: str | Path | None
) -> dg.DagsterInstance:
    """The given instance, else ``$DAGSTER_HOME``'s, else ``<project>/.dagster`` (sqlite).

    Without ``project_root``, the project is the nearest folder at or above the cwd
    that holds ``neurocore.yaml``.
    """
    if instance is not None:
        return instance
    return project_instance(project_root_of(project_root))


def execute_blueprint(
    blueprint: Blueprint,
    registry: SkillRegistry | None = None,
    *,
    initial_data: Mapping[str, Any] | None = None,
    instance: dg.DagsterInstance | None = None,
    project_root: str | Path | None = None,
    run_config: Mapping[str, Any] | None = None,
) -> BlueprintRun:
    """Run ``blueprint`` as a Dagster job in this process and return its outcome.

    Ready steps run concurrently in threads of this process (the ``threads``
    executor), so parallel branches of I/O-bound skills overlap as in NeuroCore.
    ``run_config={"execution": {"config": {"in_process": {}}}}`` runs one step at
    a time; ``{"threads": {"max_concurrent": N}}`` caps the threads.
    """
    prepared = prepare_run(blueprint, registry, initial_data, instance, project_root, run_config)
    return blueprint_run(prepared.execute().run_id, instance=prepared.instance)


@dataclass(frozen=True)
class PreparedRun:
    """A blueprint run checked and configured, not yet created in the instance."""

    blueprint: Blueprint
    registry: SkillRegistry | None
    project_root: str | Path | None
    job: dg.JobDefinition
    run_config: dict[str, Any]
    instance: dg.DagsterInstance
    built: dg.JobDefinition | None
    """``job`` when every step runs in this process; else step processes rebuild it."""

    def execute(self, tags: Mapping[str, str] | None = None) -> dg.JobExecutionResult:
        """Create the run and execute it in this process (steps where its executor puts them)."""
        with reconstructable_job(
            self.blueprint, self.registry, self.project_root, built=self.built
        ) as recon:
            location = project_location(self.blueprint, self.project_root)
            return execute_located(
                recon, self.instance, location, run_config=self.run_config, tags=tags
            )


def prepare_run(
    blueprint: Blueprint,
    registry: SkillRegistry | None,
    initial_data: Mapping[str, Any] | None,
    instance: dg.DagsterInstance | None,
    project_root: str | Path | None,
    run_config: Mapping[str, Any] | None,
) -> PreparedRun:
    """Build the job and its run config (threads executor unless told otherwise).

    The execution section is checked here, before any run exists.
    """
    job = build_job(blueprint, registry, project_root=project_root)
    config = merged_run_config(job, initial_data, run_config)
    config.setdefault("execution", copy.deepcopy(THREADS_EXECUTION))
    built = job_for_execution(job, registry, config["execution"])
    target = resolve_instance(instance, project_root)
    return PreparedRun(blueprint, registry, project_root, job, config, target, built)


def job_for_execution(
    job: dg.JobDefinition, registry: SkillRegistry | None, execution: Any
) -> dg.JobDefinition | None:
    """``job`` if its steps stay in this process, else None (step processes rebuild it).

    Checked before a run is created: a registry built in memory cannot reach
    step processes, which discover skills from ``project_root`` instead.
    """
    check_execution_config(execution)
    if runs_in_this_process(execution):
        return job
    if registry is not None:
        raise ExecutionError(
            "the multiprocess executor runs steps in other processes, which cannot use a "
            "skill registry built in this one; pass project_root (skills are discovered "
            "there) instead of registry, or use the threads or in_process executor"
        )
    return None


def merged_run_config(
    job: dg.JobDefinition, initial_data: Mapping[str, Any] | None, extra: Mapping[str, Any] | None
) -> dict[str, Any]:
    config = job_run_config(job, initial_data=initial_data)
    for section, value in (extra or {}).items():
        if section == "resources" and isinstance(value, Mapping):
            config["resources"].update(value)
        else:
            config[section] = value
    return config


def blueprint_run(run_id: str, *, instance: dg.DagsterInstance) -> BlueprintRun:
    run = instance.get_run_by_id(run_id)
    if run is None:
        raise ExecutionError(f"no run {run_id!r} in this Dagster instance")
    context = final_context(run, instance=instance)
    if is_suspended(run):
        return BlueprintRun(run_id, "suspended", context)
    if run.status == dg.DagsterRunStatus.SUCCESS:
        return BlueprintRun(run_id, "completed", context)
    return BlueprintRun(run_id, "failed", context, run_failure_message(instance, run_id))


_FAILURE_EVENTS = {
    dg.DagsterEventType.STEP_FAILURE,
    dg.DagsterEventType.RESOURCE_INIT_FAILURE,
    dg.DagsterEventType.RUN_FAILURE,
}


def run_failure_message(instance: dg.DagsterInstance, run_id: str) -> str:
    """Why the run failed, as its first failure event records it.

    A step failure names the step; a resource that failed to start, or an
    error in the executor, gives its own exception rather than Dagster's
    "An exception was thrown during execution".
    """
    records = instance.get_records_for_run(run_id, of_type=_FAILURE_EVENTS).records
    events = [r.event_log_entry.dagster_event for r in records]
    for kind in (dg.DagsterEventType.STEP_FAILURE, dg.DagsterEventType.RESOURCE_INIT_FAILURE):
        for event in events:
            if event is not None and event.event_type == kind:
                return _failure_text(event)
    for event in events:
        if event is not None and event.event_type == dg.DagsterEventType.RUN_FAILURE:
            return _failure_text(event)
    return "the run failed"


def _failure_text(event: Any) -> str:
    if event.event_type == dg.DagsterEventType.STEP_FAILURE:
        return f"step {event.step_key!r} failed: {user_error(event.step_failure_data.error)}"
    if event.event_type == dg.DagsterEventType.RESOURCE_INIT_FAILURE:
        error = user_error(event.engine_event_data.error)
        return f"resources of step {event.step_key!r} failed to start: {error}"
    error = getattr(event.event_specific_data, "error", None)
    if error is None:
        return event.message or "the run failed"
    return f"the run failed: {user_error(error)}"


def user_error(error: Any) -> str:
    """The first exception in ``error``'s cause chain that is not Dagster's own wrapper."""
    if error is None:
        return "unknown error"
    while error.cause is not None and error.cls_name and error.cls_name.startswith("Dagster"):
        error = error.cause
    return str(error.message).strip()


def resume_blueprint(
    run_id: str,
    *,
    instance: dg.DagsterInstance | None = None,
    registry: SkillRegistry | None = None,
    resume_data: Mapping[str, Any] | None = None,
    project_root: str | Path | None = None,
    force: bool = False,
    translator: BlueprintTranslator | None = None,
) -> BlueprintRun:
    """Continue a failed or suspended run in a new Dagster run whose parent it is.

    A failed run is re-executed from failure: ops that succeeded are not run
    again, their outputs load from the parent. It is resumed once: while a
    re-execution of it succeeded or is running, resuming again is refused unless
    ``force``. A run whose process died is marked failed first. A suspended run
    is re-executed from the op it stopped at, with ``resume_data`` (for an
    approval gate: ``{"approved": bool, "note": str, "by": str}``); it takes one
    decision only, even when several arrive at once (:mod:`reexecution_claims`).
    The job is the one the run ran, rebuilt from what it recorded (blueprint
    snapshot, translator, config overrides, ``neurocore.yaml`` values; see
    :mod:`~neurocore_dagster.dagster_layer.jobs.recorded_job`), or the resume is
    refused naming each difference. ``translator`` is needed only when the
    recorded translator class cannot be imported or created from its settings.
    """
    check_resume_data(resume_data, f"resuming run {run_id}")
    target = resolve_instance(instance, project_root)
    run = target.get_run_by_id(run_id)
    if run is None:
        raise ExecutionError(f"no run {run_id!r} in this Dagster instance")
    run = reap_if_dead(target, run)
    rebuilt = rebuild_recorded_job(target, run, registry, project_root, translator)
    options = _reexecution_options(target, run, resume_data)
    config = copy.deepcopy(dict(run.run_config))
    resources = config.setdefault("resources", {})
    if resume_data is not None:
        run_resource = resources.setdefault(RUN_RESOURCE_KEY, {}).setdefault("config", {})
        run_resource["resume_data"] = dict(resume_data)
    config["execution"] = in_process_execution(config.get("execution"))
    tags = {**decision_tags(resume_data), **rebuilt.tags}
    with (
        claimed_reexecution(target, run, resume_data, force=force) as claim_tags,
        reconstructable_job(rebuilt.blueprint, registry, project_root, built=rebuilt.job) as job,
    ):
        location = project_location(rebuilt.blueprint, project_root)
        result = execute_located(
            job,
            target,
            location,
            run_config=config,
            tags={**tags, **claim_tags},
            reexecution=options,
        )
    return replace(blueprint_run(result.run_id, instance=target), warnings=rebuilt.warnings)


def in_process_execution(previous: Any) -> dict[str, Any]:
    """The parent run's executor if it ran in this process (threads or in_process), else threads.

    A resume runs in the calling process, so a parent launched with the
    multiprocess executor (the default of launched runs) resumes on threads.
    """
    if runs_in_this_process(previous):
        return copy.deepcopy(dict(previous))
    return copy.deepcopy(THREADS_EXECUTION)


def _reexecution_options(
    instance: dg.DagsterInstance, run: dg.DagsterRun, resume_data: Mapping[str, Any] | None
) -> dg.ReexecutionOptions:
    if is_suspended(run):
        op_key = run.tags[SUSPENDED_OP_TAG]
        names = {op["key"]: name for name, op in plan_ops(instance, run).items()}
        return dg.ReexecutionOptions(parent_run_id=run.run_id, step_selection=[f"{names[op_key]}*"])
    if run.status == dg.DagsterRunStatus.FAILURE:
        if resume_data is not None:
            raise ExecutionError(f"run {run.run_id} failed; resume_data is only for suspended runs")
        return dg.ReexecutionOptions.from_failure(run.run_id, instance)
    raise ExecutionError(
        f"run {run.run_id} is {run.status.value.lower()}; only failed or "
        "suspended runs can be resumed"
    )


def is_suspended(run: dg.DagsterRun) -> bool:
    """Whether the run ended at a gate, its decision pending or taken (not a failure)."""
    return ended_at_gate(run)
