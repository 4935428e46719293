"""Run a blueprint in this process: ``execute_blueprint`` and the runs the stream launches.

A :class:`RunRequest` is checked and configured into a :class:`PreparedRun`
(job built, run config merged, executor checked, instance resolved) before any
run exists; executing it creates the run and runs it here, so a registry built
in memory works.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg

from neurocore_dagster.blueprint.model import Blueprint
from neurocore_dagster.dagster_layer.executors.selection import (
    THREADS_EXECUTION,
    check_execution_config,
    runs_in_this_process,
)
from neurocore_dagster.dagster_layer.jobs.build import build_job
from neurocore_dagster.dagster_layer.jobs.code_location import project_location
from neurocore_dagster.dagster_layer.jobs.located_run import execute_located
from neurocore_dagster.dagster_layer.jobs.reconstruct import reconstructable_job
from neurocore_dagster.dagster_layer.jobs.run_config import run_config as job_run_config
from neurocore_dagster.errors import ExecutionError
from neurocore_dagster.service.results import BlueprintRun, blueprint_run
from neurocore_dagster.service.run_request import RunRequest, resolve_instance
from neurocore_dagster.skills.registry import SkillRegistry


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
    prepared = prepare_run(
        RunRequest(blueprint, registry, initial_data, instance, project_root, run_config)
    )
    return blueprint_run(prepared.execute().run_id, instance=prepared.instance)


@dataclass(frozen=True)
class PreparedRun:
    """A blueprint run checked and configured, not yet created in the instance."""

    request: RunRequest
    job: dg.JobDefinition
    run_config: dict[str, Any]
    instance: dg.DagsterInstance
    built: dg.JobDefinition | None
    """``job`` when every step runs in this process; else step processes rebuild it."""

    def execute(self, tags: Mapping[str, str] | None = None) -> dg.JobExecutionResult:
        """Create the run and execute it in this process (steps where its executor puts them)."""
        request = self.request
        with reconstructable_job(
            request.blueprint, request.registry, request.project_root, built=self.built
        ) as recon:
            location = project_location(request.blueprint, request.project_root)
            return execute_located(
                recon, self.instance, location, run_config=self.run_config, tags=tags
            )


def prepare_run(request: RunRequest) -> PreparedRun:
    """Build the job and its run config (threads executor unless told otherwise).

    The execution section is checked here, before any run exists.
    """
    job = build_job(request.blueprint, request.registry, project_root=request.project_root)
    config = merged_run_config(job, request.initial_data, request.run_config)
    config.setdefault("execution", copy.deepcopy(THREADS_EXECUTION))
    built = job_for_execution(job, request.registry, config["execution"])
    target = resolve_instance(request.instance, request.project_root)
    return PreparedRun(request, job, config, target, built)


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
    """The job's run config for ``initial_data``, with ``extra``'s sections over it."""
    config = job_run_config(job, initial_data=initial_data)
    for section, value in (extra or {}).items():
        if section == "resources" and isinstance(value, Mapping):
            config["resources"].update(value)
        else:
            config[section] = value
    return config
