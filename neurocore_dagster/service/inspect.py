"""Read runs back from a Dagster instance: lists, per-step summaries, final contexts."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import dagster as dg

from neurocore_dagster.dagster_layer.approvals.suspensions import ended_at_gate, is_pending
from neurocore_dagster.dagster_layer.executors.reaping import reap_if_dead
from neurocore_dagster.errors import ExecutionError
from neurocore_dagster.keys import (
    BLUEPRINT_TAG,
    CONTEXT_OUTPUTS,
    KEYS_WRITTEN_METADATA,
    LLM_CALLS_METADATA,
    LLM_INPUT_TOKENS_METADATA,
    LLM_OUTPUT_TOKENS_METADATA,
    PACKAGE_PREFIX,
    PORT_METADATA,
    ROUTES_METADATA,
    SKIP_REASON_METADATA,
)
from neurocore_dagster.service.results import blueprint_run

_STEP_WORDS = {
    "SUCCESS": "succeeded",
    "FAILURE": "failed",
    "SKIPPED": "skipped",
    "IN_PROGRESS": "running",
}
STATUSES = ("completed", "failed", "suspended", "decided", "running", "queued", "canceled")
"""``suspended``: stopped at a gate, awaiting its decision; ``decided``: stopped at a
gate whose one decision a child run took."""


@dataclass(frozen=True)
class StepSummary:
    step: str
    status: str
    duration_ms: float | None
    attempts: int | None
    port: str
    routes: str
    keys_written: dict[str, Any]
    skip_reason: str


def run_status(run: dg.DagsterRun) -> str:
    """Our word for a run's state (a suspended run is a successful Dagster run)."""
    if is_pending(run):
        return "suspended"
    if ended_at_gate(run):
        return "decided"
    return {
        dg.DagsterRunStatus.SUCCESS: "completed",
        dg.DagsterRunStatus.FAILURE: "failed",
        dg.DagsterRunStatus.CANCELED: "canceled",
        dg.DagsterRunStatus.QUEUED: "queued",
        dg.DagsterRunStatus.NOT_STARTED: "queued",
    }.get(run.status, "running")


def list_runs(
    instance: dg.DagsterInstance,
    *,
    blueprint: str | None = None,
    status: str | None = None,
    limit: int = 20,
) -> list[dg.DagsterRun]:
    """Newest first; only runs of blueprint jobs; at most ``limit`` (at least 1).

    ``blueprint`` is a blueprint's name or its job's name (``support-triage`` or
    ``support_triage``). A run whose process died is marked failed.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ExecutionError(f"limit must be a whole number of at least 1, got {limit!r}")
    if status is not None and status not in STATUSES:
        raise ExecutionError(f"unknown status {status!r}; one of: {', '.join(STATUSES)}")
    filters = [dg.RunsFilter()]
    if blueprint:
        by_name = dg.RunsFilter(tags={BLUEPRINT_TAG: blueprint})
        filters = [by_name, dg.RunsFilter(job_name=blueprint)]
    records = {r.dagster_run.run_id: r for f in filters for r in instance.get_run_records(f)}
    found = []
    for record in sorted(records.values(), key=lambda r: r.create_timestamp, reverse=True):
        run = record.dagster_run
        if BLUEPRINT_TAG not in run.tags:
            continue
        run = reap_if_dead(instance, run)
        if status is None or run_status(run) == status:
            found.append(run)
        if len(found) >= limit:
            break
    return found


def get_run(instance: dg.DagsterInstance, run_id: str) -> dg.DagsterRun:
    """The run as storage holds it, marked failed first if its process died."""
    run = instance.get_run_by_id(run_id)
    if run is None:
        raise ExecutionError(f"no run {run_id!r} in this Dagster instance")
    return reap_if_dead(instance, run)


def step_summaries(instance: dg.DagsterInstance, run_id: str) -> list[StepSummary]:
    outputs: dict[str, dict[str, Any]] = {}
    records = instance.get_records_for_run(
        run_id, of_type={dg.DagsterEventType.STEP_OUTPUT}
    ).records
    for record in records:
        event = record.event_log_entry.dagster_event
        data = event.step_output_data if event else None
        if (
            event
            and event.step_key
            and data
            and data.step_output_handle.output_name in (CONTEXT_OUTPUTS)
        ):
            outputs[event.step_key] = {k: v.value for k, v in data.metadata.items()}
    summaries = []
    for stats in instance.get_run_step_stats(run_id):
        meta = outputs.get(stats.step_key, {})
        duration = (
            (stats.end_time - stats.start_time) * 1000
            if stats.end_time and stats.start_time
            else None
        )
        summaries.append(
            StepSummary(
                step=stats.step_key,
                status=_STEP_WORDS.get(stats.status.value, stats.status.value.lower())
                if stats.status
                else "not run",
                duration_ms=round(duration, 1) if duration is not None else None,
                attempts=stats.attempts,
                port=str(meta.get(PORT_METADATA, "")),
                routes=str(meta.get(ROUTES_METADATA, "")),
                keys_written=dict(meta.get(KEYS_WRITTEN_METADATA) or {}),
                skip_reason=str(meta.get(SKIP_REASON_METADATA, "")),
            )
        )
    return summaries


def run_report(instance: dg.DagsterInstance, run_id: str) -> dict[str, Any]:
    """Everything ``runs inspect`` shows, as JSON-ready data."""
    run = get_run(instance, run_id)
    outcome = blueprint_run(run_id, instance=instance)
    steps = step_summaries(instance, run_id)
    return {
        "run_id": run.run_id,
        "job": run.job_name,
        "blueprint": run.tags.get(BLUEPRINT_TAG),
        "status": run_status(run) if outcome.status == "suspended" else outcome.status,
        "error": outcome.error,
        "parent_run_id": run.parent_run_id,
        "tags": {k: v for k, v in run.tags.items() if k.startswith(PACKAGE_PREFIX)},
        "steps": [asdict(s) for s in steps],
        "llm_usage": _llm_usage(instance, run_id),
        "context": outcome.context.data.to_dict(),
    }


def _llm_usage(instance: dg.DagsterInstance, run_id: str) -> dict[str, int]:
    """LLM calls and tokens summed over the run's ops."""
    total = {"calls": 0, "input_tokens": 0, "output_tokens": 0}
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.STEP_OUTPUT)
    for record in records.records:
        event = record.event_log_entry.dagster_event
        metadata = event.step_output_data.metadata if event else {}
        for key, name in (
            ("calls", LLM_CALLS_METADATA),
            ("input_tokens", LLM_INPUT_TOKENS_METADATA),
            ("output_tokens", LLM_OUTPUT_TOKENS_METADATA),
        ):
            value = metadata[name].value if name in metadata else None
            if isinstance(value, int):
                total[key] += value
    return total
