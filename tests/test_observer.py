"""The runtime's observer: what an op reports, as typed records, and how the stream reads them.

The first tests run the runtime without Dagster and record what the observer
hears. The last ones run on a real instance: a loop visit reaches the Dagster
event log as a structured report, and the event stream reads its fields, so a
change of the visit's log text changes the log but not the stream.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from hypothesis import given
from hypothesis import strategies as st
from skills_lib import Flaky, registry

from neurocore_dagster import Blueprint
from neurocore_dagster.dagster_layer.jobs.op_observer import report_in_event
from neurocore_dagster.plan.compile import compile_plan
from neurocore_dagster.plan.model import ExecutionPlan, PlanOp
from neurocore_dagster.runtime.clock import FlowClock
from neurocore_dagster.runtime.observer import (
    REPORT_TYPES,
    LoopVisit,
    OpWarning,
    Recorder,
    Report,
    RetryScheduled,
    RunSuspended,
    StepFinished,
    StepSkipped,
    StepStarted,
    report_fields,
    report_from_fields,
)
from neurocore_dagster.runtime.op_execution import OpOutcome, execute_op
from neurocore_dagster.runtime.runner import RetryNeeded, RunParams
from neurocore_dagster.service.events import FlowEventType, iter_blueprint_events
from neurocore_dagster.skills.builtin import ApprovalSkill

LOOP = {
    "name": "observed-loop",
    "components": [{"name": "l", "type": "loop", "config": {"until": 3}}],
    "flow": {
        "type": "graph",
        "nodes": [{"id": "l", "component": "l"}],
        "edges": [{"source": "l", "target": "l", "port": "again"}],
    },
}


def _plan(document: dict[str, Any]) -> tuple[ExecutionPlan, Any]:
    skills = registry()
    skills.register(Flaky, replace=True)
    skills.register(ApprovalSkill, replace=True)
    blueprint = Blueprint.model_validate(document)
    return compile_plan(blueprint, skills), (blueprint, skills)


def _run_first_op(
    document: dict[str, Any], attempt: int = 0, initial_data: dict[str, Any] | None = None
) -> tuple[PlanOp, Recorder, OpOutcome | RetryNeeded]:
    """Execute the plan's first op with a recording observer; its outcome or its retry."""
    plan, (blueprint, skills) = _plan(document)
    op = plan.ops[0]
    components = {}
    for unit in op.units:
        spec = blueprint.component(unit.component)
        component = skills.get(spec.type)(unit.component)
        component.init(dict(spec.config or {}))
        components[unit.component] = component
    params = RunParams(plan.settings, FlowClock(time.time(), None), attempt)
    heard = Recorder()
    try:
        outcome: OpOutcome | RetryNeeded = execute_op(
            plan, op, [], initial_data or {}, components, params, observer=heard
        )
    except RetryNeeded as retry:
        outcome = retry
    return op, heard, outcome


def test_the_observer_hears_each_loop_visit_as_it_happens() -> None:
    _, heard, outcome = _run_first_op(LOOP)
    assert isinstance(outcome, OpOutcome)
    visits = [r for r in heard.reports if isinstance(r, LoopVisit)]
    assert [(v.node, v.visit, v.iteration, v.port) for v in visits] == [
        ("l", 1, 0, "again"),
        ("l", 2, 1, "again"),
        ("l", 3, 2, "done"),
    ]
    assert all(v.duration_ms >= 0 for v in visits)
    kinds = [type(r) for r in heard.reports]
    assert kinds == [StepStarted, StepFinished, LoopVisit] * 3
    assert outcome.reports == tuple(heard.reports)


def _flaky(tmp_path: Path, fail_times: int, *, looping: bool) -> dict[str, Any]:
    config = {"path": str(tmp_path / "calls"), "fail_times": fail_times}
    components = [{"name": "f", "type": "flaky", "config": config}]
    if not looping:
        return {"name": "flaky", "components": components, "flow": {"steps": [{"component": "f"}]}}
    components.append({"name": "l", "type": "loop", "config": {"until": 2}})
    return {
        "name": "flaky-loop",
        "components": components,
        "flow": {
            "type": "graph",
            "nodes": [{"id": "l", "component": "l"}, {"id": "f", "component": "f"}],
            "edges": [
                {"source": "l", "target": "f"},
                {"source": "f", "target": "l"},
            ],
        },
    }


@pytest.mark.parametrize("looping", [False, True], ids=["step", "loop"])
def test_the_observer_hears_a_retry_then_the_retried_attempt(tmp_path: Path, looping: bool) -> None:
    """A retry names the op Dagster runs again and the node whose skill failed."""
    document = _flaky(tmp_path, fail_times=1, looping=looping)
    op, heard, first = _run_first_op(document, attempt=0)
    assert isinstance(first, RetryNeeded)
    [retry] = [r for r in heard.reports if isinstance(r, RetryScheduled)]
    assert (retry.op, retry.node, retry.attempt) == (op.key, "f", 0)
    assert (retry.error_type, retry.error) == ("ConnectionError", "attempt 1 failed")
    assert retry.max_retries == first.max_retries == 3
    assert retry.delay_seconds == first.delay_seconds
    assert retry.text.startswith(f"{op.key}: attempt 1 failed with ConnectionError")
    _, again, second = _run_first_op(document, attempt=1)
    assert isinstance(second, OpOutcome)
    assert not [r for r in again.reports if isinstance(r, RetryScheduled)]
    assert StepFinished in {type(r) for r in again.reports if r.node == "f"}


def test_the_observer_hears_a_skip_with_its_reason() -> None:
    document = {
        "name": "skips",
        "components": [{"name": "a", "type": "trace"}],
        "flow": {"steps": [{"component": "a", "condition": "context.data.go == True"}]},
    }
    _, heard, outcome = _run_first_op(document, initial_data={"go": False})
    assert isinstance(outcome, OpOutcome)
    assert heard.reports == [StepSkipped("a", "condition false", "context.data.go == True")]
    _, ran, _ = _run_first_op(document, initial_data={"go": True})
    assert [type(r) for r in ran.reports] == [StepStarted, StepFinished]


def test_the_observer_hears_a_suspension_once_with_what_the_gate_asks() -> None:
    document = {
        "name": "gated",
        "components": [],
        "flow": {"steps": [{"approval": {"name": "gate", "message": "Ship it?"}}]},
    }
    _, heard, outcome = _run_first_op(document)
    assert isinstance(outcome, OpOutcome) and outcome.suspended
    suspensions = [r for r in heard.reports if isinstance(r, RunSuspended)]
    assert suspensions == [RunSuspended("gate", "Ship it?")]
    assert heard.reports[-1] == suspensions[0], "reported once the op is done"


_text = st.text(max_size=20)
_number = st.floats(allow_nan=False, allow_infinity=False, width=32)
_reports = st.one_of(
    st.builds(StepStarted, _text, st.sampled_from(["step", "node"])),
    st.builds(StepFinished, _text, _number),
    st.builds(
        LoopVisit, _text, st.integers(0, 999), st.integers(0, 999), st.none() | _text, _number
    ),
    st.builds(
        RetryScheduled, _text, _text, st.integers(0, 9), _text, _text, _number, st.integers(0, 9)
    ),
    st.builds(StepSkipped, _text, _text, st.none() | _text),
    st.builds(RunSuspended, _text, _text),
    st.builds(
        OpWarning,
        _text,
        st.sampled_from(["join_conflict", "condition_error", "max_iterations"]),
        _text,
        st.dictionaries(_text, st.integers() | _text, max_size=3),
    ),
)


@given(_reports)
def test_a_report_reads_back_from_its_fields(report: Report) -> None:
    assert report_from_fields(report.kind, report_fields(report)) == report


def test_a_report_that_cannot_be_read_back_says_why() -> None:
    with pytest.raises(ValueError, match="unknown report kind 'visit'; known: loop_visit"):
        report_from_fields("visit", {})
    with pytest.raises(ValueError, match=r"missing: \['iteration'\], unexpected: \['round'\]"):
        report_from_fields(
            "loop_visit", {"node": "l", "visit": 1, "round": 0, "port": None, "duration_ms": 1.0}
        )
    assert set(REPORT_TYPES) >= {"loop_visit", "retry_scheduled", "run_suspended"}


def _loop_events(instance: dg.DagsterInstance) -> tuple[list[Any], str]:
    events = list(
        iter_blueprint_events(Blueprint.model_validate(LOOP), registry(), instance=instance)
    )
    return events, events[-1].run_id


def test_a_visit_is_a_structured_event_with_its_log_text(instance: dg.DagsterInstance) -> None:
    """The UI shows the text it showed before (same level); the event carries the fields."""
    _, run_id = _loop_events(instance)
    logged = [
        (entry, report_in_event(entry.dagster_event))
        for entry in instance.all_logs(run_id)
        if entry.dagster_event is not None
    ]
    visits = [(entry, report) for entry, report in logged if isinstance(report, LoopVisit)]
    assert [entry.user_message for entry, _ in visits] == [
        "visit 1 of l (iteration 0, port again)",
        "visit 2 of l (iteration 1, port again)",
        "visit 3 of l (iteration 2, port done)",
    ]
    assert {entry.level for entry, _ in visits} == {logging.INFO}
    assert {entry.step_key for entry, _ in visits} == {"loop_l"}
    assert [r.visit for _, r in visits] == [1, 2, 3]


def test_changing_a_visits_log_text_does_not_change_the_stream(
    instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    before, _ = _loop_events(instance)
    monkeypatch.setattr(LoopVisit, "text", property(lambda self: f"{self.node} went round"))
    after, run_id = _loop_events(instance)
    messages = [entry.user_message for entry in instance.all_logs(run_id)]
    assert messages.count("l went round") == 3, "the new text is what the run logged"
    assert not any(m.startswith("visit ") for m in messages)

    def shown(events: list[Any]) -> list[tuple[str, str, dict[str, Any]]]:
        return [
            (e.event_type.value, e.step_name, e.data)
            for e in events
            if e.event_type == FlowEventType.LOOP_VISIT
        ]

    assert shown(after) == shown(before)
    assert [data for *_, data in shown(after)] == [
        {"node": "l", "visit": 1, "iteration": 0, "port": "again"},
        {"node": "l", "visit": 2, "iteration": 1, "port": "again"},
        {"node": "l", "visit": 3, "iteration": 2, "port": "done"},
    ]
