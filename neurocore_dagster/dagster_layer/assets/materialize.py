"""Materialize from the asset graph: a blueprint's assets, selected and materialized in
the UI (or with ``dg.materialize``), run the blueprint's own job.

Dagster offers "Materialize" only for assets with a computation, and the blueprint's
job is an op job that reports its assets (see the package docstring). So each
blueprint with assets gets one computation, ``neurocore__materialize__<job>``, whose
whole work is one run of the blueprint's job: the same job object, run config from
its defaults (``initial_data`` from the launchpad's config), the threads executor,
on the same instance. That run is an ordinary run of the job, re-executable,
resumable and approvable; its ops record the materializations and checks, so the
computation itself records none (its outputs are optional). It fails when that run
fails and names it; a run suspended at a gate is not a failure.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg

from neurocore_dagster.blueprint.model import Blueprint
from neurocore_dagster.dagster_layer.executors.selection import THREADS_EXECUTION
from neurocore_dagster.dagster_layer.jobs.reconstruct import reconstructable_job
from neurocore_dagster.dagster_layer.jobs.run_config import run_config
from neurocore_dagster.keys import (
    MATERIALIZE_OP_PREFIX,
    MATERIALIZED_FROM_RUN_TAG,
    STATUS_TAG,
    SUSPENDED,
)


def materialize_definition(
    specs: list[dg.AssetSpec], job: dg.JobDefinition, blueprint: Blueprint, project_root: Path
) -> dg.AssetsDefinition:
    """The assets of ``specs`` with one run of ``job`` as their computation (see module)."""

    @dg.multi_asset(
        name=MATERIALIZE_OP_PREFIX + job.name,
        specs=[spec.replace_attributes(skippable=True) for spec in specs],
        can_subset=False,
        config_schema={
            "initial_data": dg.Field(
                dg.Permissive(),
                is_required=False,
                description="The run's initial data",
            )
        },
        description=f"Runs job {job.name} (blueprint {blueprint.name!r}); its steps record "
        "the materializations of the assets they write.",
    )
    # No annotation on `context`: Dagster inspects it and cannot read a postponed (string) one.
    def run_blueprint(context) -> Iterator[dg.Output[Any]]:  # type: ignore[no-untyped-def]
        child = _run_job(context, job, blueprint, project_root)
        status = "suspended" if child.tags.get(STATUS_TAG) == SUSPENDED else child.status.value
        context.log.info(f"job {job.name} ran as run {child.run_id}: {status}")
        if child.status != dg.DagsterRunStatus.SUCCESS:
            raise dg.Failure(
                description=f"run {child.run_id} of job {job.name} ended {status}",
                metadata={"run_id": child.run_id},
            )
        yield from ()  # the job's ops recorded the materializations

    return run_blueprint


def _run_job(
    context: Any, job: dg.JobDefinition, blueprint: Blueprint, project_root: Path
) -> dg.DagsterRun:
    initial_data = context.op_execution_context.op_config.get("initial_data")
    config: dict[str, Any] = run_config(job, initial_data=initial_data)
    config["execution"] = copy.deepcopy(THREADS_EXECUTION)
    with reconstructable_job(blueprint, None, project_root, built=job) as recon:
        result = dg.execute_job(
            recon,
            context.instance,
            run_config=config,
            tags={MATERIALIZED_FROM_RUN_TAG: context.run_id},
            raise_on_error=False,
        )
    instance: dg.DagsterInstance = context.instance
    run = instance.get_run_by_id(result.run_id)
    assert run is not None
    return run
