"""Live run events: a blueprint run as a stream of ``FlowEvent``s, while it executes.

Events are read from the Dagster run's own event log as it is written (polling
with a cursor), so a run started anywhere — Python, the CLI, the UI, a
schedule — can be followed, and a run started here is reported step by step,
not replayed after it ends. Event types are NeuroCore's (``FLOW_STARTED``,
``STEP_STARTED``, ``STEP_COMPLETED``, ``STEP_FAILED``, ``FLOW_COMPLETED``,
``FLOW_FAILED``) plus what Dagster and this package add: ``STEP_RETRY``,
``STEP_SKIPPED`` (with the reason), ``LOOP_VISIT`` and ``FLOW_SUSPENDED``.
``FlowEvent.to_dict()`` is NeuroCore's (lower-case types, its six keys);
``as_dict()`` keeps this package's spelling and the run id.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import dagster as dg

from neurocore_dagster.blueprint.model import Blueprint
from neurocore_dagster.dagster_layer.jobs.op_observer import report_in_event
from neurocore_dagster.dagster_layer.storage.run_outcome import run_failure_message
from neurocore_dagster.errors import ExecutionError
from neurocore_dagster.keys import (
    BLUEPRINT_TAG,
    CONTEXT_OUTPUTS,
    KEYS_WRITTEN_METADATA,
    LAUNCH_TAG,
    PORT_METADATA,
    ROUTES_METADATA,
    SKIP_REASON_METADATA,
    SKIPPED_METADATA,
    STATUS_TAG,
    SUSPENDED_METADATA,
    SUSPENDED_OP_TAG,
    SUSPENSION_REASON_TAG,
)
from neurocore_dagster.runtime.observer import LoopVisit
from neurocore_dagster.service.execute import PreparedRun, prepare_run
from neurocore_dagster.service.run_request import RunRequest, resolve_instance
from neurocore_dagster.skills.registry import SkillRegistry

POLL_SECONDS = 0.1


class FlowEventType(StrEnum):
    """What happened. Values are upper case; NeuroCore's lower-case ones are accepted too.

    ``FlowEventType("step_started") is FlowEventType.STEP_STARTED``, and
    ``neurocore_value`` gives NeuroCore's spelling (``to_dict`` uses it).
    ``DATA_PRODUCED`` exists for code that names it; like NeuroCore, nothing emits it.
    """

    FLOW_STARTED = "FLOW_STARTED"
    STEP_STARTED = "STEP_STARTED"
    STEP_COMPLETED = "STEP_COMPLETED"
    STEP_FAILED = "STEP_FAILED"
    STEP_RETRY = "STEP_RETRY"
    STEP_SKIPPED = "STEP_SKIPPED"
    LOOP_VISIT = "LOOP_VISIT"
    DATA_PRODUCED = "DATA_PRODUCED"
    FLOW_SUSPENDED = "FLOW_SUSPENDED"
    FLOW_COMPLETED = "FLOW_COMPLETED"
    FLOW_FAILED = "FLOW_FAILED"

    @property
    def neurocore_value(self) -> str:
        """NeuroCore's value for this type (``"step_started"``)."""
        return self.value.lower()

    @classmethod
    def _missing_(cls, value: object) -> FlowEventType | None:
        if isinstance(value, str) and value == value.lower():
            return cls.__members__.get(value.upper())
        return None


TERMINAL = (FlowEventType.FLOW_COMPLETED, FlowEventType.FLOW_FAILED, FlowEventType.FLOW_SUSPENDED)


@dataclass(frozen=True)
class FlowEvent:
    """One event of a run; the fields, in order, are NeuroCore's, then ``run_id``."""

    event_type: FlowEventType
    step_name: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    timestamp: float = field(default_factory=time.time)
    duration_ms: float | None = None
    error: str | None = None
    run_id: str = ""

    def as_dict(self) -> dict[str, Any]:
        """Every field, the type as this package spells it (``"STEP_STARTED"``)."""
        values = asdict(self)
        values["event_type"] = self.event_type.value
        return values

    def to_dict(self) -> dict[str, Any]:
        """NeuroCore's ``FlowEvent.to_dict()``: its six keys, its lower-case type values."""
        return {
            "event_type": self.event_type.neurocore_value,
            "step_name": self.step_name,
            "data": self.data,
            "timestamp": self.timestamp,
            "duration_ms": self.duration_ms,
            "error": self.error,
        }


class _Translator:
    """Dagster events of one run -> flow events (keeps what a step's output said)."""

    def __init__(self, instance: dg.DagsterInstance, run_id: str) -> None:
        self.instance = instance
        self.run_id = run_id
        self.outputs: dict[str, dict[str, Any]] = {}
        self.started = 0.0

    def translate(self, entry: Any) -> list[FlowEvent]:
        event = entry.dagster_event
        stamp = float(entry.timestamp)
        if event is None:
            return []
        kind = event.event_type
        if kind == dg.DagsterEventType.ENGINE_EVENT:
            return self._report(report_in_event(event), stamp)
        step = event.step_key or ""
        if kind == dg.DagsterEventType.RUN_START:
            self.started = stamp
            data = {"job": event.job_name, "blueprint": self._blueprint_name()}
            return [self._make(FlowEventType.FLOW_STARTED, "", stamp, data=data)]
        if kind in (dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_RESTARTED):
            return [self._make(FlowEventType.STEP_STARTED, step, stamp)]
        if kind == dg.DagsterEventType.STEP_OUTPUT:
            data = event.event_specific_data
            if data.step_output_handle.output_name in CONTEXT_OUTPUTS:
                self.outputs[step] = {k: v.value for k, v in data.metadata.items()}
            return []
        if kind == dg.DagsterEventType.STEP_SUCCESS:
            return [self._step_done(step, stamp, event.event_specific_data.duration_ms)]
        if kind == dg.DagsterEventType.STEP_FAILURE:
            error = event.step_failure_data.error
            cause = error.cause if error is not None and error.cause is not None else error
            message = cause.message.strip() if cause is not None else "unknown error"
            return [self._make(FlowEventType.STEP_FAILED, step, stamp, error=message)]
        if kind == dg.DagsterEventType.STEP_UP_FOR_RETRY:
            data = event.event_specific_data
            return [
                self._make(
                    FlowEventType.STEP_RETRY,
                    step,
                    stamp,
                    data={"seconds_to_wait": data.seconds_to_wait},
                    error=data.error.cause.message.strip()
                    if data.error and data.error.cause
                    else None,
                )
            ]
        if kind == dg.DagsterEventType.STEP_SKIPPED:
            return [
                self._make(
                    FlowEventType.STEP_SKIPPED,
                    step,
                    stamp,
                    data={"reason": "no active incoming route"},
                )
            ]
        if kind == dg.DagsterEventType.RUN_SUCCESS:
            return [self._run_success(stamp)]
        if kind in (dg.DagsterEventType.RUN_FAILURE, dg.DagsterEventType.RUN_CANCELED):
            return [
                self._make(
                    FlowEventType.FLOW_FAILED,
                    "",
                    stamp,
                    duration_ms=(stamp - self.started) * 1000 if self.started else None,
                    error=run_failure_message(self.instance, self.run_id),
                )
            ]
        return []

    def _report(self, report: Any, stamp: float) -> list[FlowEvent]:
        """A loop visit the op reported (its fields, not its log text); other reports
        reach the stream through Dagster's own events, tags and output metadata."""
        if not isinstance(report, LoopVisit):
            return []
        data = {
            "node": report.node,
            "visit": report.visit,
            "iteration": report.iteration,
            "port": report.port,
        }
        return [self._make(FlowEventType.LOOP_VISIT, report.node, stamp, data=data)]

    def _step_done(self, step: str, stamp: float, duration_ms: float | None) -> FlowEvent:
        output = self.outputs.get(step, {})
        if output.get(SKIPPED_METADATA):
            return self._make(
                FlowEventType.STEP_SKIPPED,
                step,
                stamp,
                duration_ms=duration_ms,
                data={"reason": output.get(SKIP_REASON_METADATA) or "condition false"},
            )
        data = {
            "keys": dict(output.get(KEYS_WRITTEN_METADATA) or {}),
            "port": output.get(PORT_METADATA) or None,
            "routes": output.get(ROUTES_METADATA),
        }
        if output.get(SUSPENDED_METADATA):
            data["suspended"] = True
        return self._make(
            FlowEventType.STEP_COMPLETED, step, stamp, duration_ms=duration_ms, data=data
        )

    def _blueprint_name(self) -> str:
        run = self.instance.get_run_by_id(self.run_id)
        return run.tags.get(BLUEPRINT_TAG, "") if run is not None else ""

    def _run_success(self, stamp: float) -> FlowEvent:
        duration = (stamp - self.started) * 1000 if self.started else None
        run = self.instance.get_run_by_id(self.run_id)
        if run is not None and run.tags.get(STATUS_TAG) == "suspended":
            reason = run.tags.get(SUSPENSION_REASON_TAG, "")
            return self._make(
                FlowEventType.FLOW_SUSPENDED,
                run.tags.get(SUSPENDED_OP_TAG, ""),
                stamp,
                duration_ms=duration,
                data={"message": reason},
            )
        return self._make(FlowEventType.FLOW_COMPLETED, "", stamp, duration_ms=duration)

    def _make(self, kind: FlowEventType, step: str, stamp: float, **values: Any) -> FlowEvent:
        return FlowEvent(
            event_type=kind, step_name=step, run_id=self.run_id, timestamp=stamp, **values
        )


def follow_run(
    instance: dg.DagsterInstance,
    run_id: str,
    *,
    poll_seconds: float = POLL_SECONDS,
    alive: Callable[[], bool] | None = None,
    on_idle: Callable[[], None] | None = None,
) -> Iterator[FlowEvent]:
    """Flow events of a run as its event log grows, until the run ends.

    ``alive`` (for runs started here) says whether the launching thread still
    runs; if it has stopped and no run exists, the launch failed.
    """
    translator = _Translator(instance, run_id)
    cursor: str | None = None
    while True:
        if instance.get_run_by_id(run_id) is None:
            if alive is not None and not alive():
                raise ExecutionError(f"run {run_id} never started")
            if alive is None:
                raise ExecutionError(f"no run {run_id!r} in this Dagster instance")
            time.sleep(poll_seconds)
            continue
        connection = instance.get_records_for_run(run_id, cursor=cursor)
        cursor = connection.cursor
        for record in connection.records:
            for event in translator.translate(record.event_log_entry):
                yield event
                if event.event_type in TERMINAL:
                    return
        if not connection.records:
            if on_idle is not None:
                on_idle()
            time.sleep(poll_seconds)


def watch_run(
    run_id: str,
    *,
    instance: dg.DagsterInstance | None = None,
    project_root: str | Path | None = None,
    poll_seconds: float = POLL_SECONDS,
) -> Iterator[FlowEvent]:
    """Follow a run started anywhere (the UI, a schedule, another process)."""
    target = resolve_instance(instance, project_root)
    yield from follow_run(target, run_id, poll_seconds=poll_seconds)


class _Launch:
    """The job running in a (non-daemon) thread, so it finishes even if nobody listens.

    It runs as ``execute_blueprint`` does (``dg.execute_job``, threads executor by
    default); the run is found by the unique ``neurocore/launch`` tag it carries.
    """

    def __init__(self, prepared: PreparedRun) -> None:
        self.launch_id = uuid.uuid4().hex
        self.error: BaseException | None = None
        self._instance = prepared.instance
        self._run_id: str | None = None

        def run() -> None:
            try:
                prepared.execute(tags={LAUNCH_TAG: self.launch_id})
            except Exception as exc:  # reported to the consumer by `run_id`/`alive`
                self.error = exc

        self.thread = threading.Thread(target=run, name=f"neurocore-run-{self.launch_id}")
        self.thread.start()

    @property
    def run_id(self) -> str:
        """The run's id, once the launching thread has created the run."""
        while self._run_id is None:
            finished = not self.thread.is_alive()
            found = self._instance.get_run_ids(
                filters=dg.RunsFilter(tags={LAUNCH_TAG: self.launch_id}), limit=1
            )
            if found:
                self._run_id = found[0]
            elif finished:
                if self.error is not None:
                    raise self.error
                raise ExecutionError("the run was never created")
            else:
                time.sleep(0.01)
        return self._run_id

    def alive(self) -> bool:
        if self.error is not None:
            raise self.error
        return self.thread.is_alive()


def launch_run(
    blueprint: Blueprint,
    registry: SkillRegistry | None,
    initial_data: Mapping[str, Any] | None,
    instance: dg.DagsterInstance | None,
    project_root: str | Path | None,
    run_config: Mapping[str, Any] | None,
) -> tuple[_Launch, dg.DagsterInstance]:
    prepared = prepare_run(
        RunRequest(blueprint, registry, initial_data, instance, project_root, run_config)
    )
    dg.validate_run_config(prepared.job, prepared.run_config)
    return _Launch(prepared), prepared.instance


def iter_blueprint_events(
    blueprint: Blueprint,
    registry: SkillRegistry | None = None,
    *,
    initial_data: Mapping[str, Any] | None = None,
    instance: dg.DagsterInstance | None = None,
    project_root: str | Path | None = None,
    run_config: Mapping[str, Any] | None = None,
    poll_seconds: float = POLL_SECONDS,
) -> Iterator[FlowEvent]:
    """Run ``blueprint`` in this process and yield its events as they happen."""
    launch, target = launch_run(
        blueprint, registry, initial_data, instance, project_root, run_config
    )
    yield from follow_run(target, launch.run_id, poll_seconds=poll_seconds, alive=launch.alive)


async def execute_blueprint_stream(
    blueprint: Blueprint,
    registry: SkillRegistry | None = None,
    *,
    initial_data: Mapping[str, Any] | None = None,
    instance: dg.DagsterInstance | None = None,
    project_root: str | Path | None = None,
    run_config: Mapping[str, Any] | None = None,
    poll_seconds: float = POLL_SECONDS,
) -> AsyncIterator[FlowEvent]:
    """The async twin of :func:`iter_blueprint_events` (NeuroCore's streaming API).

    Stopping early leaves the run to finish on its own: it is never stuck in STARTED.
    """
    launch, target = await asyncio.to_thread(
        launch_run, blueprint, registry, initial_data, instance, project_root, run_config
    )
    run_id = await asyncio.to_thread(getattr, launch, "run_id")
    events = follow_run(target, run_id, poll_seconds=poll_seconds, alive=launch.alive)
    while True:
        event = await asyncio.to_thread(next, events, None)
        if event is None:
            return
        yield event
