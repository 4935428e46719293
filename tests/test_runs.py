"""Runs on a real sqlite Dagster instance: resume after failure, retries, approvals."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from dagster_cli import dagster_env, job_execute, multiprocess_config, new_dagster_home
from helpers import one_step_blueprint
from oracle import comparable, run_flowengine
from skills_lib import registry

from neurocore_dagster import (
    Blueprint,
    ExecutionError,
    discover_skills,
    execute_blueprint,
    load_blueprint,
    resume_blueprint,
)
from neurocore_dagster.keys import (
    BLUEPRINT_CHANGED_TAG,
    DECIDED_BY_TAG,
    DECISION_TAG,
    STATUS_TAG,
    SUSPENSION_REASON_TAG,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def instance(sql_instance: dg.DagsterInstance) -> dg.DagsterInstance:
    """The run-lifecycle tests run on sqlite storage and on a real PostgreSQL server."""
    return sql_instance


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def _events(instance: dg.DagsterInstance, run_id: str, kind: dg.DagsterEventType) -> list[Any]:
    return [
        r.event_log_entry.dagster_event
        for r in instance.get_records_for_run(run_id, of_type=kind).records
    ]


def test_failed_graph_resumes_without_rerunning_finished_ops(tmp_path: Path, instance: Any) -> None:
    calls, gate = tmp_path / "calls.txt", tmp_path / "ready"
    count = {"type": "countcalls", "config": {"path": str(calls)}}
    blueprint = Blueprint.model_validate(
        {
            "name": "resume-graph",
            "components": [
                {"name": "a", **count},
                {"name": "side", **count},
                {
                    "name": "b",
                    "type": "fail_until_file",
                    "config": {"path": str(gate), "calls": str(calls)},
                },
                {"name": "c", **count},
            ],
            "flow": {
                "type": "graph",
                "nodes": [{"id": n, "component": n} for n in ("a", "side", "b", "c")],
                "edges": [
                    {"source": "a", "target": "b"},
                    {"source": "a", "target": "side"},
                    {"source": "b", "target": "c"},
                    {"source": "side", "target": "c"},
                ],
            },
        }
    )
    first = execute_blueprint(blueprint, registry(), instance=instance)
    assert first.status == "failed"
    assert "does not exist yet" in (first.error or "")
    assert sorted(_lines(calls)) == ["a", "b", "side"]
    gate.touch()
    second = resume_blueprint(first.run_id, instance=instance, registry=registry())
    assert second.status == "completed", second.error
    assert sorted(_lines(calls)) == ["a", "b", "b", "c", "side"]
    child = instance.get_run_by_id(second.run_id)
    assert child.parent_run_id == first.run_id and child.root_run_id == first.run_id
    expected = run_flowengine(blueprint, registry())
    calls.unlink()
    assert comparable(second.context)["data"] == comparable(expected.context)["data"]


def test_failed_loop_resumes(tmp_path: Path, instance: Any) -> None:
    calls, gate = tmp_path / "calls.txt", tmp_path / "ready"
    blueprint = Blueprint.model_validate(
        {
            "name": "resume-loop",
            "components": [
                {"name": "s", "type": "countcalls", "config": {"path": str(calls)}},
                {"name": "l", "type": "loop", "config": {"until": 3}},
                {
                    "name": "f",
                    "type": "fail_until_file",
                    "config": {"path": str(gate), "calls": str(calls)},
                },
            ],
            "flow": {
                "type": "graph",
                "nodes": [{"id": n, "component": n} for n in "slf"],
                "edges": [
                    {"source": "s", "target": "l"},
                    {"source": "l", "target": "l", "port": "again"},
                    {"source": "l", "target": "f", "port": "done"},
                ],
            },
        }
    )
    first = execute_blueprint(blueprint, registry(), instance=instance)
    assert first.status == "failed"
    gate.touch()
    second = resume_blueprint(first.run_id, instance=instance, registry=registry())
    assert second.status == "completed", second.error
    assert _lines(calls).count("s") == 1
    expected = run_flowengine(blueprint, registry())
    assert comparable(second.context) == comparable(expected.context)


def test_retries_recover_and_are_logged(tmp_path: Path, instance: Any) -> None:
    path = tmp_path / "flaky.txt"
    blueprint = Blueprint.model_validate(
        {
            "name": "retry",
            "components": [
                {"name": "f", "type": "flaky", "config": {"path": str(path), "fail_times": 2}}
            ],
            "flow": {"steps": [{"component": "f"}]},
        }
    )
    run = execute_blueprint(blueprint, registry(), instance=instance)
    assert run.status == "completed", run.error
    assert run.context.get("flaky_calls") == 3
    retries = _events(instance, run.run_id, dg.DagsterEventType.STEP_UP_FOR_RETRY)
    assert len(retries) == 2


def test_retries_give_up_after_max(tmp_path: Path, instance: Any) -> None:
    path = tmp_path / "flaky.txt"
    blueprint = Blueprint.model_validate(
        {
            "name": "retry-max",
            "components": [
                {"name": "f", "type": "flaky", "config": {"path": str(path), "fail_times": 10}}
            ],
            "flow": {"steps": [{"component": "f"}]},
        }
    )
    run = execute_blueprint(blueprint, registry(), instance=instance)
    assert run.status == "failed"
    assert len(_lines(path)) == 4
    assert "ConnectionError" in (run.error or "") or "attempt 4 failed" in (run.error or "")


def test_retry_on_refuses_other_errors(tmp_path: Path, instance: Any) -> None:
    path = tmp_path / "calls.txt"
    blueprint = Blueprint.model_validate(
        {
            "name": "retry-on",
            "components": [{"name": "w", "type": "wrong_error", "config": {"path": str(path)}}],
            "flow": {"steps": [{"component": "w"}]},
        }
    )
    run = execute_blueprint(blueprint, registry(), instance=instance)
    assert run.status == "failed"
    assert len(_lines(path)) == 1
    assert not _events(instance, run.run_id, dg.DagsterEventType.STEP_UP_FOR_RETRY)


def _approval_blueprint(require: bool = True) -> Blueprint:
    return Blueprint.model_validate(
        {
            "name": "gated",
            "components": [{"name": "a", "type": "trace"}, {"name": "b", "type": "trace"}],
            "flow": {
                "steps": [
                    {"component": "a"},
                    {"approval": {"name": "gate", "message": "Ship it?", "require": require}},
                    {"component": "b"},
                ]
            },
        }
    )


def test_approval_suspends_then_approves(instance: Any) -> None:
    first = execute_blueprint(_approval_blueprint(), registry(), instance=instance)
    assert first.status == "suspended"
    assert first.context.get("trace") == ["a"]
    run = instance.get_run_by_id(first.run_id)
    assert run.status == dg.DagsterRunStatus.SUCCESS
    assert run.tags[STATUS_TAG] == "suspended"
    assert run.tags[SUSPENSION_REASON_TAG] == "Ship it?"
    second = resume_blueprint(
        first.run_id,
        instance=instance,
        registry=registry(),
        resume_data={"approved": True, "note": "ok", "by": "ada"},
    )
    assert second.status == "completed", second.error
    assert second.context.get("trace") == ["a", "b"]
    assert second.context.get("approval") == {"approved": True, "note": "ok", "by": "ada"}
    assert not second.context.has("resume_data")
    child = instance.get_run_by_id(second.run_id)
    assert child.parent_run_id == first.run_id
    assert child.tags[DECISION_TAG] == "approved"
    assert child.tags[DECIDED_BY_TAG] == "ada"


def test_approval_rejected_fails(instance: Any) -> None:
    first = execute_blueprint(_approval_blueprint(), registry(), instance=instance)
    second = resume_blueprint(
        first.run_id,
        instance=instance,
        registry=registry(),
        resume_data={"approved": False, "note": "too long", "by": "bo"},
    )
    assert second.status == "failed"
    assert "rejected at approval gate 'gate': too long" in (second.error or "")


def test_rejection_without_require_continues(instance: Any) -> None:
    first = execute_blueprint(_approval_blueprint(require=False), registry(), instance=instance)
    second = resume_blueprint(
        first.run_id, instance=instance, registry=registry(), resume_data={"approved": False}
    )
    assert second.status == "completed"
    assert second.context.get("approval") == {"approved": False}


def test_second_decision_is_refused(instance: Any) -> None:
    first = execute_blueprint(_approval_blueprint(), registry(), instance=instance)
    resume_blueprint(
        first.run_id, instance=instance, registry=registry(), resume_data={"approved": True}
    )
    with pytest.raises(ExecutionError, match="already decided"):
        resume_blueprint(
            first.run_id, instance=instance, registry=registry(), resume_data={"approved": False}
        )


def test_completed_run_cannot_be_resumed(instance: Any) -> None:
    blueprint = one_step_blueprint("done")
    run = execute_blueprint(blueprint, registry(), instance=instance)
    with pytest.raises(ExecutionError, match="only failed or suspended runs"):
        resume_blueprint(run.run_id, instance=instance, registry=registry())
    with pytest.raises(ExecutionError, match="no run 'nope'"):
        resume_blueprint("nope", instance=instance, registry=registry())


def test_approval_node_routes_by_port(instance: Any) -> None:
    blueprint = Blueprint.model_validate(
        {
            "name": "gate-graph",
            "components": [
                {"name": "a", "type": "trace"},
                {"name": "gate", "type": "approval", "config": {"require": False}},
                {"name": "yes", "type": "trace"},
                {"name": "no", "type": "trace"},
                {"name": "side", "type": "trace"},
            ],
            "flow": {
                "type": "graph",
                "nodes": [{"id": n, "component": n} for n in ("a", "gate", "yes", "no", "side")],
                "edges": [
                    {"source": "a", "target": "gate"},
                    {"source": "a", "target": "side"},
                    {"source": "gate", "target": "yes", "port": "approved"},
                    {"source": "gate", "target": "no", "port": "rejected"},
                ],
            },
        }
    )
    first = execute_blueprint(blueprint, registry(), instance=instance)
    assert first.status == "suspended"
    second = resume_blueprint(
        first.run_id,
        instance=instance,
        registry=registry(),
        resume_data={"approved": False, "by": "cy"},
    )
    assert second.status == "completed"
    assert second.context.get("trace") == ["a", "side", "no"]


def test_multiprocess_suspended_run_resumes(tmp_path: Path) -> None:
    home = new_dagster_home(tmp_path / "home")
    env = dagster_env(home)
    result = subprocess.run(
        job_execute(
            ROOT / "definitions.py", "publish_with_approval", config=multiprocess_config(tmp_path)
        ),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "multiprocess" in (result.stdout + result.stderr).lower()
    instance = dg.DagsterInstance.from_config(str(home))
    [run] = instance.get_runs()
    assert run.tags[STATUS_TAG] == "suspended"
    resumed = resume_blueprint(
        run.run_id, instance=instance, project_root=ROOT, resume_data={"approved": True, "by": "ed"}
    )
    assert resumed.status == "completed", resumed.error
    assert resumed.context.get("published", "").startswith("Human-in-the-loop on Dagster")
    child = instance.get_run_by_id(resumed.run_id)
    assert BLUEPRINT_CHANGED_TAG not in child.tags


def test_resume_uses_recorded_blueprint_when_file_changed(
    tmp_path: Path, instance: Any, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "bp.yaml"
    path.write_text((ROOT / "blueprints" / "publish_with_approval.yaml").read_text())
    first = execute_blueprint(
        load_blueprint(path), discover_skills(ROOT), instance=instance, project_root=ROOT
    )
    assert first.status == "suspended"
    path.write_text(path.read_text().replace("Publish this draft?", "Changed?"))
    with caplog.at_level("WARNING", logger="neurocore_dagster"):
        second = resume_blueprint(
            first.run_id, instance=instance, project_root=ROOT, resume_data={"approved": True}
        )
    assert "changed since run" in caplog.text
    assert second.status == "completed"
    assert instance.get_run_by_id(second.run_id).tags[BLUEPRINT_CHANGED_TAG] == "true"


def test_step_processes_build_only_their_blueprint(tmp_path: Path) -> None:
    import shutil

    project = tmp_path / "project"
    for folder in ("skills", "blueprints"):
        shutil.copytree(ROOT / folder, project / folder)
    shutil.copy(ROOT / "neurocore.yaml", project)
    shutil.copy(ROOT / "definitions.py", project)
    (project / "blueprints" / "broken.yaml").write_text("name: broken\n")
    home = new_dagster_home(tmp_path / "home")
    result = subprocess.run(
        job_execute(
            project / "definitions.py", "support_triage", config=multiprocess_config(tmp_path)
        ),
        cwd=project,
        env=dagster_env(home),
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert output.count('Executing step "') >= 4
    # The run worker loads the whole project (and reports the broken file once);
    # each step process builds only support_triage's blueprint.
    assert output.count("blueprint left out of the definitions") == 1, output[-3000:]
