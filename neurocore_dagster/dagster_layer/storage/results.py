"""A run's final context, rebuilt from the deltas its ops stored.

The event log says which ops ran (a ``flow_context`` output and where the IO
manager stored it) and which Dagster skipped; a re-executed run inherits from its
parent the ops it did not run again.

An ``execute_in_process`` result is read from the output values Dagster keeps
in memory for it (``output_for_node``), not from storage: on Dagster's default
ephemeral instance the storage folder is deleted when the call returns. The
values are the same lineages the IO manager stored, so both readings agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from flowengine import FlowContext

from neurocore_dagster.dagster_layer.jobs.build import PLAN_METADATA
from neurocore_dagster.dagster_layer.storage.io_manager import DeltaCache, Lineage, load_lineage
from neurocore_dagster.dagster_layer.storage.stored_outputs import (
    collect_steps,
    root_of,
    scan_events,
)
from neurocore_dagster.errors import ExecutionError
from neurocore_dagster.runtime import delta as deltas


def final_context(result_or_run: Any, *, instance: dg.DagsterInstance | None = None) -> FlowContext:
    """The context flowengine would end with, rebuilt from a run's stored deltas.

    Accepts an ``execute_in_process`` result, a ``DagsterRun`` or a run id (read
    from ``instance``, default ``DagsterInstance.get()``).
    """
    if isinstance(result_or_run, dg.ExecuteInProcessResult):
        return _in_process_context(result_or_run)
    instance = instance or dg.DagsterInstance.get()
    if isinstance(result_or_run, str):
        found = instance.get_run_by_id(result_or_run)
        if found is None:
            raise ExecutionError(f"no run {result_or_run!r} in this Dagster instance")
        result_or_run = found
    if not isinstance(result_or_run, dg.DagsterRun):
        raise TypeError(
            "final_context takes an ExecuteInProcessResult, a DagsterRun or a run "
            f"id, not {type(result_or_run).__name__}"
        )
    outputs, skipped, suspended = collect_steps(instance, result_or_run, None)
    cache: DeltaCache = {}  # one read per delta, not one per lineage that holds it
    lineages = [
        load_lineage(Path(out.refs_path), root_of(Path(out.refs_path), out.run_id), cache)
        for out in outputs.values()
    ]
    return _assemble(plan_ops(instance, result_or_run), lineages, skipped, suspended)


def _in_process_context(result: dg.ExecuteInProcessResult) -> FlowContext:
    """The final context from the lineages Dagster captured in memory during the call."""
    ops_meta = _ops_of(result.job_def.metadata[PLAN_METADATA])
    outputs, skipped, suspended = scan_events(result.run_id, result.all_events, None)
    lineages = [result.output_for_node(step, out.output_name) for step, out in outputs.items()]
    return _assemble(ops_meta, lineages, skipped, suspended)


def _assemble(
    ops_meta: Mapping[str, Any],
    lineages: list[Lineage],
    skipped: set[str],
    suspended: bool,
) -> FlowContext:
    unreached = (
        []
        if suspended
        else [
            (op["key"], op["order"], op["component"])
            for name, op in ops_meta.items()
            if name in skipped and op["records_skip"]
        ]
    )
    return deltas.final_context(lineages, unreached)


def plan_ops(instance: dg.DagsterInstance, run: dg.DagsterRun) -> dict[str, dict[str, Any]]:
    snapshot = instance.get_job_snapshot(run.job_snapshot_id) if run.job_snapshot_id else None
    value = snapshot.metadata.get(PLAN_METADATA) if snapshot is not None else None
    if value is None:
        raise ExecutionError(f"run {run.run_id} is not a run of a neurocore-dagster job")
    return _ops_of(value)


def _ops_of(plan_metadata: Any) -> dict[str, dict[str, Any]]:
    """The ``ops`` table of the plan a job's metadata holds (a JSON metadata value)."""
    ops: dict[str, dict[str, Any]] = plan_metadata.value["ops"]
    return ops
