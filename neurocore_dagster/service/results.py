"""A run's outcome as the service returns it: :class:`BlueprintRun`.

The final context is rebuilt from the deltas each executed op stored,
following a re-executed run to its parents for the ops it did not run again
(:mod:`~neurocore_dagster.dagster_layer.storage.results`); the status and the
failure message come from the run's storage and event log
(:mod:`~neurocore_dagster.dagster_layer.storage.run_outcome`).
"""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg
from flowengine import FlowContext

from neurocore_dagster.dagster_layer.storage.results import final_context
from neurocore_dagster.dagster_layer.storage.run_outcome import (
    RunStatus,
    outcome_status,
    run_failure_message,
)
from neurocore_dagster.errors import ExecutionError


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


def blueprint_run(
    run_id: str, *, instance: dg.DagsterInstance, warnings: tuple[str, ...] = ()
) -> BlueprintRun:
    """Run ``run_id``'s outcome, read back from ``instance``."""
    run = instance.get_run_by_id(run_id)
    if run is None:
        raise ExecutionError(f"no run {run_id!r} in this Dagster instance")
    context = final_context(run, instance=instance)
    status = outcome_status(run)
    error = run_failure_message(instance, run_id) if status == "failed" else None
    return BlueprintRun(run_id, status, context, error, warnings)
