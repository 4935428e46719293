"""The runtime's observer inside a Dagster op: reports become the run's events and logs.

Each report is logged with the text people saw before (same level, same step),
so the Dagster UI reads as it did. A loop visit, which the event stream
(``service.events``) shows, is logged as an engine event whose metadata holds
the report field by field under :data:`~neurocore_dagster.keys.REPORT_METADATA`;
:func:`report_in_event` reads it back without looking at the text. The other
reports reach the stream through Dagster's own structured records: a retry is
Dagster's ``STEP_UP_FOR_RETRY`` event, a skip is in the op's output metadata and
a suspension in the run's tags (:mod:`..approvals.gate_in_op`); their log lines
are for people only. A skill's start and finish add no event (Dagster's step
events already time the op; the skill's own time is output metadata).
"""

from __future__ import annotations

import logging
import os
from typing import Any

import dagster as dg

# The engine event an op logs is built as Dagster builds a step's own events
# (``DagsterEvent.from_step``), but logged at the report's level instead of DEBUG.
from dagster._core.events import DagsterEvent, DagsterEventType, EngineEventData

from neurocore_dagster.dagster_layer.approvals.gate_in_op import mark_suspended
from neurocore_dagster.keys import REPORT_METADATA
from neurocore_dagster.runtime.observer import (
    LoopVisit,
    OpWarning,
    Report,
    RetryScheduled,
    RunSuspended,
    StepFinished,
    StepSkipped,
    StepStarted,
    report_fields,
    report_from_fields,
)


class DagsterObserver:
    """Reports of one op (``op_key``) as events and log lines of its Dagster step."""

    def __init__(self, context: dg.OpExecutionContext, op_key: str) -> None:
        self._context = context
        self._op_key = op_key

    def on_step_started(self, report: StepStarted) -> None:
        pass

    def on_step_finished(self, report: StepFinished) -> None:
        pass

    def on_loop_visit(self, report: LoopVisit) -> None:
        log_report(self._context, report, report.text, logging.INFO)

    def on_retry(self, report: RetryScheduled) -> None:
        self._context.log.warning(report.text)

    def on_skipped(self, report: StepSkipped) -> None:
        self._context.log.info(report.text)

    def on_suspended(self, report: RunSuspended) -> None:
        mark_suspended(self._context, self._op_key, report)

    def on_warning(self, report: OpWarning) -> None:
        self._context.log.warning(report.text)


def log_report(context: dg.OpExecutionContext, report: Report, message: str, level: int) -> None:
    """Log ``message`` as an engine event of the op's step that carries ``report``."""
    step = context.get_step_execution_context()
    event = DagsterEvent(
        event_type_value=DagsterEventType.ENGINE_EVENT.value,
        job_name=step.job_name,
        step_handle=step.step.handle,
        node_handle=step.step.node_handle,
        step_kind_value=step.step.kind.value,
        logging_tags=step.event_tags,
        event_specific_data=EngineEventData(report_metadata(report)),
        message=message,
        pid=os.getpid(),
    )
    context.log.log_dagster_event(level, message, event)


def report_metadata(report: Report) -> dict[str, Any]:
    """The event metadata that carries ``report``: its kind, then its fields."""
    return {REPORT_METADATA: report.kind, **report_fields(report)}


def report_in_event(event: DagsterEvent) -> Report | None:
    """The report an event carries (see :func:`log_report`), or None for any other event."""
    if event.event_type != DagsterEventType.ENGINE_EVENT:
        return None
    metadata = {key: value.value for key, value in event.engine_event_data.metadata.items()}
    kind = metadata.pop(REPORT_METADATA, None)
    if not isinstance(kind, str):
        return None
    return report_from_fields(kind, metadata)
