"""A run whose process was killed is recognised as dead, marked failed, and resumable.

The run is started by the real CLI in its own process and killed with SIGKILL
while a step waits; nothing in that process gets a chance to report anything.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import dagster as dg
from claim_project import Project, make_project

from neurocore_dagster.dagster_layer.executors.liveness import ProcessRef, run_process
from neurocore_dagster.keys import PROCESS_TAG
from neurocore_dagster.service.inspect import list_runs, run_status


def _wait_for(path: Path, process: subprocess.Popen[str], timeout_s: float = 120) -> None:
    deadline = time.time() + timeout_s
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.time() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def _cli(project: Project, *args: str) -> tuple[int, str, str]:
    process = project.cli(*args)
    out, err = process.communicate(timeout=300)
    return process.returncode, out, err


def test_killed_cli_run_is_marked_failed_and_resumes(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    process = project.cli("run", str(project.root / "blueprints" / "waits.yaml"))
    _wait_for(Path(f"{project.go}.started"), process)
    with dg.DagsterInstance.from_config(str(project.home)) as instance:
        (run,) = list_runs(instance)
        assert run_status(run) == "running"  # alive: never judged dead
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        code, out, err = _cli(project, "runs", "list")
        assert code == 0, err
        (line,) = [entry for entry in out.splitlines() if run.run_id in entry]
        assert " failed " in line
        stored = instance.get_run_by_id(run.run_id)
        assert stored is not None and stored.status == dg.DagsterRunStatus.FAILURE
    code, out, err = _cli(project, "runs", "inspect", run.run_id)
    assert code == 0, err
    assert "status failed" in out and f"process {process.pid} on" in out and "is gone" in out
    project.go.write_text("go")
    code, out, err = _cli(project, "runs", "resume", run.run_id)
    assert code == 0, err
    assert json.loads(out[out.index("{") :])["status"] == "completed"
    assert project.calls() == ["before", "after"]


def test_liveness_of_processes() -> None:
    assert ProcessRef.current().alive() is True
    assert ProcessRef("another-host.invalid", 1).alive() is None
    ended = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.5)"])
    ref = ProcessRef.of(ended.pid)
    assert ref.alive() is True
    assert replace(ref, started=ref.started + "0").alive() is False  # the pid, reused
    ended.wait()
    assert ref.alive() is False


def test_a_process_tag_copied_from_another_run_is_not_read() -> None:
    value = json.dumps({"host": "h", "pid": 1, "started": "", "run_id": "other"})
    copied = dg.DagsterRun(job_name="job", run_id="this", tags={PROCESS_TAG: value})
    assert run_process(copied) is None
    own = dg.DagsterRun(job_name="job", run_id="other", tags={PROCESS_TAG: value})
    assert run_process(own) == ProcessRef(host="h", pid=1, started="")
