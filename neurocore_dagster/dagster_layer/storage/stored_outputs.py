"""Where a run's context outputs are stored, found from its event log.

A re-executed run inherits the outputs of the steps it did not run again from
its parent, so the search follows parent runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

import dagster as dg

from neurocore_dagster.dagster_layer.storage.io_manager import Lineage, load_lineage
from neurocore_dagster.errors import ExecutionError
from neurocore_dagster.keys import CONTEXT_OUTPUTS, REFS_PATH_METADATA, SUSPENDED_METADATA


def root_of(refs_path: Path, run_id: str) -> Path:
    """The IO manager's base folder: the parent of the ``<run_id>`` folder."""
    for parent in refs_path.parents:
        if parent.name == run_id:
            return parent.parent
    raise ExecutionError(f"unexpected output location {refs_path}")


class StoredOutput(NamedTuple):
    """A step's context output: the run that stored it, where, and the output's name."""

    run_id: str
    refs_path: str
    output_name: str


def scan_events(
    run_id: str, events: Any, wanted: set[str] | None
) -> tuple[dict[str, StoredOutput], set[str], bool]:
    """Stored context outputs and Dagster-skipped steps among a run's events."""
    outputs: dict[str, StoredOutput] = {}
    skipped: set[str] = set()
    suspended = False
    for event in events:
        if event is None or event.step_key is None:
            continue
        if wanted is not None and event.step_key not in wanted:
            continue
        if event.event_type == dg.DagsterEventType.STEP_SKIPPED:
            skipped.add(event.step_key)
        elif event.event_type == dg.DagsterEventType.STEP_OUTPUT:
            data = event.event_specific_data
            if data.step_output_handle.output_name in CONTEXT_OUTPUTS:
                flag = data.metadata.get(SUSPENDED_METADATA)
                suspended = suspended or bool(flag is not None and flag.value)
        elif event.event_type == dg.DagsterEventType.HANDLED_OUTPUT:
            data = event.event_specific_data
            if data.output_name in CONTEXT_OUTPUTS:
                refs_path = data.metadata[REFS_PATH_METADATA].value
                outputs[event.step_key] = StoredOutput(run_id, refs_path, data.output_name)
    return outputs, skipped, suspended


def collect_steps(
    instance: dg.DagsterInstance, run: dg.DagsterRun, wanted: set[str] | None
) -> tuple[dict[str, StoredOutput], set[str], bool]:
    """Per step key: where its context output is stored, or that Dagster skipped it.

    A re-executed run inherits, from its parent, the steps it did not run again.
    """
    records = instance.get_records_for_run(
        run.run_id,
        of_type={
            dg.DagsterEventType.HANDLED_OUTPUT,
            dg.DagsterEventType.STEP_SKIPPED,
            dg.DagsterEventType.STEP_OUTPUT,
        },
    ).records
    outputs, skipped, suspended = scan_events(
        run.run_id, (r.event_log_entry.dagster_event for r in records), wanted
    )
    if run.parent_run_id and run.step_keys_to_execute is not None:
        parent = instance.get_run_by_id(run.parent_run_id)
        if parent is not None:
            rerun = set(run.step_keys_to_execute)
            inherited = None if wanted is None else wanted - rerun
            parent_outputs, parent_skipped, _ = collect_steps(instance, parent, inherited)
            for key, value in parent_outputs.items():
                if key not in rerun:
                    outputs.setdefault(key, value)
            skipped |= {k for k in parent_skipped if k not in rerun}
    return outputs, skipped, suspended


def stored_lineage(instance: dg.DagsterInstance, run_id: str, step_key: str) -> Lineage:
    """The context lineage step ``step_key`` stored in run ``run_id`` (or inherited)."""
    run = instance.get_run_by_id(run_id)
    found = collect_steps(instance, run, {step_key})[0].get(step_key) if run else None
    if found is None:
        raise ExecutionError(f"run {run_id} stored no context for step {step_key!r}")
    return load_lineage(Path(found.refs_path), root_of(Path(found.refs_path), found.run_id))
