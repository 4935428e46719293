"""How a run ended, and why it failed, as its storage and event log record it.

Both the service (``BlueprintRun``) and the approve job (which reports its child
run) read a run's outcome; it lives here so that neither re-derives it.
"""

from __future__ import annotations

from typing import Any, Literal

import dagster as dg

from neurocore_dagster.dagster_layer.approvals.suspensions import ended_at_gate

RunStatus = Literal["completed", "failed", "suspended"]


def outcome_status(run: dg.DagsterRun) -> RunStatus:
    """``suspended`` when the run ended at a gate, ``completed`` on success, else ``failed``."""
    if ended_at_gate(run):
        return "suspended"
    if run.status == dg.DagsterRunStatus.SUCCESS:
        return "completed"
    return "failed"


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
        cause = user_error(event.engine_event_data.error)
        return f"resources of step {event.step_key!r} failed to start: {cause}"
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
