"""The flow's clock in a Dagster run: ``timeout_seconds`` counts from the first step's start.

flowengine counts a flow's time budget from ``execute``; Dagster's own start-up
(run worker, resources) is not the flow's, so a run counts from its earliest
``STEP_START`` event, which every step process reads alike. The time is read
once per run resource and lives as long as it: nothing outlives the run.
"""

from __future__ import annotations

import threading
import time

import dagster as dg

from neurocore_dagster.runtime.clock import FlowClock


class FirstStepStart:
    """When this run's first step started (epoch seconds), read once per resource."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._started: float | None = None

    def get(self, instance: dg.DagsterInstance, run_id: str) -> float:
        with self._lock:
            if self._started is None:
                self._started = first_step_start(instance, run_id)
            return self._started


def first_step_start(instance: dg.DagsterInstance, run_id: str) -> float:
    """The timestamp of the run's first ``STEP_START`` event (now, if there is none yet)."""
    records = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.STEP_START, limit=1, ascending=True
    ).records
    return records[0].event_log_entry.timestamp if records else time.time()


def run_clock(
    context: dg.OpExecutionContext, first_step: FirstStepStart, timeout_seconds: float | None
) -> FlowClock:
    """The clock an op of this run checks its flow's time budget against."""
    return FlowClock(first_step.get(context.instance, context.run_id), timeout_seconds)
