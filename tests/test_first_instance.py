"""Six first runs at once against an instance folder that has no schema yet.

Cron right after a deploy: several ``neurocore-dagster run`` processes open a
fresh instance at the same moment, and each would create the sqlite schema.
Each process here is a real one running the CLI; they import everything first
and then start together (a file barrier), so their first opens overlap.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
from helpers import copy_example_project

import neurocore_dagster

PROCESSES = 6
_CHILD = """
import sys, time
from pathlib import Path
from neurocore_dagster.cli.main import main
Path(sys.argv[1] + ".ready").touch()
while not Path(sys.argv[2]).exists():
    time.sleep(0.001)
sys.exit(main(["--project", sys.argv[3], "run", "blueprints/greet.yaml"]))
"""


def _project(folder: Path) -> Path:
    return copy_example_project(folder)


def _start_together(project: Path, env: dict[str, str], tmp: Path) -> list[tuple[int, str]]:
    go = tmp / "go"
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(tmp / f"child{i}"), str(go), str(project)],
            cwd=project,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(PROCESSES)
    ]
    deadline = time.monotonic() + 120
    while len(list(tmp.glob("child*.ready"))) < PROCESSES and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()
    outcomes = []
    for child in children:
        out, err = child.communicate(timeout=300)
        outcomes.append((child.returncode, out + err))
    return outcomes


@pytest.mark.parametrize("where", ["dagster_home", "project"])
def test_six_first_runs_at_once_all_succeed(tmp_path: Path, where: str) -> None:
    project = _project(tmp_path / "project")
    package_root = str(Path(neurocore_dagster.__file__).resolve().parent.parent)
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    env["PYTHONPATH"] = os.pathsep.join([package_root, env.get("PYTHONPATH", "")])
    home = project / ".dagster"
    if where == "dagster_home":
        home = tmp_path / "home"
        home.mkdir()  # fresh: an empty folder, as Dagster requires $DAGSTER_HOME to exist
        env["DAGSTER_HOME"] = str(home)
    outcomes = _start_together(project, env, tmp_path)
    failures = [text[-2000:] for code, text in outcomes if code != 0]
    assert not failures, failures[0]
    instance = dg.DagsterInstance.from_config(str(home))
    runs = instance.get_runs()
    assert len(runs) == PROCESSES
    assert {run.status for run in runs} == {dg.DagsterRunStatus.SUCCESS}
