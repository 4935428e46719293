"""A failed run is resumed once unless forced, even by concurrent callers (DESIGN §3.10).

A resume re-runs every step that did not succeed, side effects included; the
step after the failure appends to a file, which counts how often it ran.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from claim_project import make_project
from skills_lib import registry

from neurocore_dagster import Blueprint, BlueprintRun, ExecutionError, execute_blueprint
from neurocore_dagster import resume_blueprint as resume


@pytest.fixture(scope="module")
def instance(sql_instance: dg.DagsterInstance) -> dg.DagsterInstance:
    """Runs on both SQL run storages Dagster ships (sqlite, PostgreSQL)."""
    return sql_instance


def _failing(folder: Path) -> Blueprint:
    """``before``, ``needs`` (fails until ``folder/flag`` exists), ``after`` (counts calls)."""
    calls = str(folder / "calls")
    return Blueprint.model_validate(
        {
            "name": "fails_once",
            "components": [
                {"name": "before", "type": "countcalls", "config": {"path": calls}},
                {
                    "name": "needs",
                    "type": "fail_until_file",
                    "config": {"path": str(folder / "flag"), "calls": str(folder / "tries")},
                },
                {"name": "after", "type": "countcalls", "config": {"path": calls}},
            ],
            "flow": {"steps": [{"component": c} for c in ("before", "needs", "after")]},
        }
    )


def _calls(folder: Path) -> list[str]:
    path = folder / "calls"
    return path.read_text().splitlines() if path.exists() else []


def _children(instance: dg.DagsterInstance, run_id: str) -> list[dg.DagsterRun]:
    return [r for r in instance.get_runs() if r.parent_run_id == run_id]


def _failed_run(folder: Path, instance: dg.DagsterInstance) -> str:
    run = execute_blueprint(_failing(folder), registry(), instance=instance)
    assert run.status == "failed"
    (folder / "flag").write_text("go")
    return run.run_id


def test_second_resume_is_refused_unless_forced(tmp_path: Path, instance: Any) -> None:
    run_id = _failed_run(tmp_path, instance)
    first = resume(run_id, instance=instance, registry=registry())
    assert first.status == "completed"
    assert _calls(tmp_path) == ["before", "after"]
    with pytest.raises(
        ExecutionError, match=f"run {run_id} was already resumed in run {first.run_id}"
    ):
        resume(run_id, instance=instance, registry=registry())
    assert _calls(tmp_path) == ["before", "after"]
    forced = resume(run_id, instance=instance, registry=registry(), force=True)
    assert forced.status == "completed"
    assert _calls(tmp_path) == ["before", "after", "after"]


def test_a_failed_resume_can_be_followed_by_another(tmp_path: Path, instance: Any) -> None:
    run = execute_blueprint(_failing(tmp_path), registry(), instance=instance)
    again = resume(run.run_id, instance=instance, registry=registry())
    assert again.status == "failed"
    (tmp_path / "flag").write_text("go")
    last = resume(run.run_id, instance=instance, registry=registry())
    assert last.status == "completed"
    assert _calls(tmp_path) == ["before", "after"]


def test_six_concurrent_resumes_make_one_child(tmp_path: Path, instance: Any) -> None:
    run_id = _failed_run(tmp_path, instance)
    barrier = threading.Barrier(6)
    results: list[BlueprintRun | Exception] = []

    def worker() -> None:
        barrier.wait()
        try:
            results.append(resume(run_id, instance=instance, registry=registry()))
        except Exception as error:  # collected and asserted on below
            results.append(error)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    runs = [r for r in results if isinstance(r, BlueprintRun)]
    assert len(runs) == 1 and runs[0].status == "completed", results
    for error in (r for r in results if isinstance(r, Exception)):
        assert isinstance(error, ExecutionError) and f"run {run_id} " in str(error), error
        assert "force" in str(error)
    assert [c.run_id for c in _children(instance, run_id)] == [runs[0].run_id]
    assert _calls(tmp_path) == ["before", "after"]


def test_six_concurrent_cli_resumes_make_one_child(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    process = project.cli("run", str(project.root / "blueprints" / "fails.yaml"))
    out, err = process.communicate(timeout=300)
    assert process.returncode == 1, err
    run_id = json.loads(out[out.index("{") :])["run_id"]
    project.go.write_text("go")
    processes = [project.cli("runs", "resume", run_id) for _ in range(6)]
    finished = [(p.wait(timeout=300), *p.communicate()) for p in processes]
    assert sorted(code for code, _, _ in finished) == [0, 2, 2, 2, 2, 2], finished
    for code, _, err in finished:
        assert code == 0 or f"run {run_id} " in err, err
    assert project.calls() == ["before", "after"]
    with dg.DagsterInstance.from_config(str(project.home)) as instance:
        assert len(_children(instance, run_id)) == 1
    forced = project.cli("runs", "resume", run_id, "--force")
    assert forced.wait(timeout=300) == 0, forced.communicate()[1]
    assert project.calls() == ["before", "after", "after"]
