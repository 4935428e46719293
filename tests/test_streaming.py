"""Live run events: sequences per flow type, liveness, watch, early stop, CLI output."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from flowengine import FlowContext
from helpers import self_loop_blueprint
from skills_lib import registry

from neurocore_dagster import Blueprint, Skill, SkillMeta
from neurocore_dagster.cli.main import main
from neurocore_dagster.service.events import (
    FlowEventType,
    execute_blueprint_stream,
    iter_blueprint_events,
    watch_run,
)

E = FlowEventType
ROOT = Path(__file__).resolve().parent.parent


class Slow(Skill):
    skill_meta = SkillMeta(
        name="slow",
        version="1",
        config_schema={"type": "object", "properties": {"seconds": {"type": "number"}}},
    )

    def process(self, context: FlowContext) -> FlowContext:
        time.sleep(self.config.get("seconds", 2.0))
        context.set("slow_done", time.time())
        return context


def _registry() -> Any:
    skills = registry()
    skills.register(Slow)
    return skills


def _seq(events: list[Any]) -> list[tuple[str, str]]:
    return [(e.event_type.value, e.step_name) for e in events]


def _run(document: dict[str, Any] | Blueprint, instance: Any, **kwargs: Any) -> list[Any]:
    blueprint = document if isinstance(document, Blueprint) else Blueprint.model_validate(document)
    return list(iter_blueprint_events(blueprint, _registry(), instance=instance, **kwargs))


def _steps(names: str) -> list[dict[str, Any]]:
    return [{"name": n, "type": "trace"} for n in names]


def test_sequential(instance: Any) -> None:
    events = _run(
        {
            "name": "s",
            "components": _steps("ab"),
            "flow": {
                "steps": [{"component": "a"}, {"component": "b", "condition": "context.data.go"}]
            },
        },
        instance,
    )
    assert _seq(events) == [
        ("FLOW_STARTED", ""),
        ("STEP_STARTED", "a"),
        ("STEP_COMPLETED", "a"),
        ("STEP_STARTED", "b"),
        ("STEP_SKIPPED", "b"),
        ("FLOW_COMPLETED", ""),
    ]
    assert events[2].data["keys"] == {"trace": "extend", "last": "'a'"}
    assert events[2].duration_ms is not None and events[2].duration_ms > 0
    assert events[4].data["reason"] == "condition false"


def test_conditional(instance: Any) -> None:
    events = _run(
        {
            "name": "c",
            "components": _steps("ab"),
            "flow": {
                "type": "conditional",
                "steps": [
                    {"component": "a", "condition": "context.data.n > 5"},
                    {"component": "b"},
                ],
            },
        },
        instance,
        initial_data={"n": 1},
    )
    assert _seq(events) == [
        ("FLOW_STARTED", ""),
        ("STEP_STARTED", "choose_step"),
        ("STEP_COMPLETED", "choose_step"),
        ("STEP_SKIPPED", "a"),
        ("STEP_STARTED", "b"),
        ("STEP_COMPLETED", "b"),
        ("FLOW_COMPLETED", ""),
    ]


def test_graph_ports_and_join(instance: Any) -> None:
    events = _run(
        {
            "name": "g",
            "components": [
                {"name": "r", "type": "port", "config": {"key": "route"}},
                *_steps("xyj"),
            ],
            "flow": {
                "type": "graph",
                "nodes": [{"id": n, "component": n} for n in "rxyj"],
                "edges": [
                    {"source": "r", "target": "x", "port": "x"},
                    {"source": "r", "target": "y", "port": "y"},
                    {"source": "x", "target": "j"},
                    {"source": "y", "target": "j"},
                ],
            },
        },
        instance,
        initial_data={"route": "x"},
    )
    seq = _seq(events)
    assert sorted(seq) == sorted(
        [
            ("FLOW_STARTED", ""),
            ("STEP_STARTED", "r"),
            ("STEP_COMPLETED", "r"),
            ("STEP_STARTED", "x"),
            ("STEP_SKIPPED", "y"),
            ("STEP_COMPLETED", "x"),
            ("STEP_STARTED", "j"),
            ("STEP_COMPLETED", "j"),
            ("FLOW_COMPLETED", ""),
        ]
    )
    order = [
        seq.index(item)
        for item in [
            ("FLOW_STARTED", ""),
            ("STEP_COMPLETED", "r"),
            ("STEP_COMPLETED", "x"),
            ("STEP_STARTED", "j"),
            ("STEP_COMPLETED", "j"),
            ("FLOW_COMPLETED", ""),
        ]
    ]
    assert order == sorted(order)
    assert seq.index(("STEP_COMPLETED", "r")) < seq.index(("STEP_SKIPPED", "y"))
    assert events[seq.index(("STEP_COMPLETED", "r"))].data["port"] == "x"


def test_loop_visits(instance: Any) -> None:
    events = _run(self_loop_blueprint("l", until=2), instance)
    assert _seq(events) == [
        ("FLOW_STARTED", ""),
        ("STEP_STARTED", "s"),
        ("STEP_COMPLETED", "s"),
        ("STEP_STARTED", "loop_l"),
        ("LOOP_VISIT", "l"),
        ("LOOP_VISIT", "l"),
        ("STEP_COMPLETED", "loop_l"),
        ("FLOW_COMPLETED", ""),
    ]
    assert [e.data["iteration"] for e in events if e.event_type == E.LOOP_VISIT] == [0, 1]


def test_retry_and_failure(instance: Any, tmp_path: Path) -> None:
    events = _run(
        {
            "name": "r",
            "components": [
                {
                    "name": "f",
                    "type": "flaky",
                    "config": {"path": str(tmp_path / "n"), "fail_times": 1},
                },
                {"name": "x", "type": "fail"},
            ],
            "flow": {"steps": [{"component": "f"}, {"component": "x"}]},
        },
        instance,
    )
    kinds = _seq(events)
    assert kinds == [
        ("FLOW_STARTED", ""),
        ("STEP_STARTED", "f"),
        ("STEP_RETRY", "f"),
        ("STEP_STARTED", "f"),
        ("STEP_COMPLETED", "f"),
        ("STEP_STARTED", "x"),
        ("STEP_FAILED", "x"),
        ("FLOW_FAILED", ""),
    ]
    assert "attempt 1 failed" in (events[2].error or "")
    assert events[6].error == "ValueError: x always fails"
    assert "x always fails" in (events[-1].error or "")


def test_approval_suspension(instance: Any) -> None:
    events = _run(
        {
            "name": "a",
            "components": _steps("ab"),
            "flow": {
                "steps": [
                    {"component": "a"},
                    {"approval": {"name": "gate", "message": "Go?"}},
                    {"component": "b"},
                ]
            },
        },
        instance,
    )
    assert _seq(events)[-1] == ("FLOW_SUSPENDED", "gate")
    assert events[-1].data["message"] == "Go?"
    assert ("STEP_SKIPPED", "b") in _seq(events)


def test_stream_is_live(instance: Any) -> None:
    blueprint = Blueprint.model_validate(
        {
            "name": "live",
            "components": [
                {"name": "a", "type": "trace"},
                {"name": "z", "type": "slow", "config": {"seconds": 2}},
            ],
            "flow": {"steps": [{"component": "a"}, {"component": "z"}]},
        }
    )
    received: dict[tuple[str, str], float] = {}

    async def consume() -> None:
        async for event in execute_blueprint_stream(blueprint, _registry(), instance=instance):
            received.setdefault((event.event_type.value, event.step_name), time.time())

    asyncio.run(consume())
    first_start = received[("STEP_STARTED", "a")]
    slow_end = received[("STEP_COMPLETED", "z")]
    assert slow_end - first_start > 1.5
    assert ("FLOW_COMPLETED", "") in received


def test_early_stop_leaves_no_run_stuck(instance: Any) -> None:
    blueprint = Blueprint.model_validate(
        {
            "name": "early",
            "components": [{"name": "z", "type": "slow", "config": {"seconds": 1}}],
            "flow": {"steps": [{"component": "z"}]},
        }
    )

    async def first_event() -> str:
        async for event in execute_blueprint_stream(blueprint, _registry(), instance=instance):
            return event.run_id
        raise AssertionError("no event")

    run_id = asyncio.run(first_event())
    deadline = time.time() + 30
    while time.time() < deadline:
        run = instance.get_run_by_id(run_id)
        if run is not None and run.status == dg.DagsterRunStatus.SUCCESS:
            return
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} still {instance.get_run_by_id(run_id).status}")


def test_watch_a_run_started_by_another_process(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("")
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "neurocore_dagster.cli.main",
            "--project",
            str(ROOT),
            "run",
            str(ROOT / "blueprints" / "refine_draft.yaml"),
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    instance = dg.DagsterInstance.from_config(str(home))
    deadline = time.time() + 120
    runs: list[Any] = []
    while time.time() < deadline and not runs:
        runs = instance.get_runs()
        time.sleep(0.2)
    assert runs, "the other process never started a run"
    events = list(watch_run(runs[0].run_id, instance=instance))
    child.wait(timeout=120)
    assert events[-1].event_type == E.FLOW_COMPLETED
    assert sum(1 for e in events if e.event_type == E.LOOP_VISIT) == 7


def test_cli_plain_and_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    greet = str(ROOT / "blueprints" / "greet.yaml")
    assert main(["--project", str(ROOT), "run", greet, "--stream"]) == 0
    out = capsys.readouterr().out
    assert "▶ greeter started" in out and "✓ greeter" in out
    assert "⊘ shouter skipped (condition false)" in out
    assert "run completed" in out and "step" in out and "counter" in out
    assert main(["--project", str(ROOT), "run", greet, "--stream", "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[0]["event_type"] == "FLOW_STARTED"
    assert lines[-1]["event_type"] == "FLOW_COMPLETED"
    run_id = lines[-1]["run_id"]
    assert main(["--project", str(ROOT), "runs", "watch", run_id, "--json"]) == 0
    watched = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [w["event_type"] for w in watched] == [line["event_type"] for line in lines]
    assert main(["--project", str(ROOT), "runs", "watch", "nope"]) == 2
