"""The benchmark scripts run: each, with ``--quick``, exits 0 and prints its result line.

Figures are not checked (the scripts report, they never assert). The scripts
run at the same time, each in its own process, so the whole module takes about
as long as the slowest one (``startup`` and ``large_project``, which start Dagster processes).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BENCHMARKS = REPO / "benchmarks"
SCRIPTS = {
    "build": ["build"],
    "exec": ["exec"],
    "storage": ["storage"],
    "parallel": ["parallel", "parallel_async"],
    "startup": ["startup"],
    "large_project": ["large_webserver_load", "large_webserver_reload", "large_parse_share"],
    "ui_launch": ["ui_launch"],
}
TIMEOUT_S = 240
RESULT = (
    r"^{name}: subject \d+\.\d\d \S+, baseline \d+\.\d\d \S+, ratio (\d+\.\d\d|inf)x "
    r"\(target <= [\d.]+x\) (OK|OVER)$"
)


@dataclass(frozen=True)
class Finished:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture(scope="module")
def quick_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Finished]]:
    """Every script with ``--quick``, plus ``run_all.py --quick --only storage``, at once."""
    logs = tmp_path_factory.mktemp("bench-smoke")
    paths = [str(REPO), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    commands = {name: [f"{name}.py", "--quick"] for name in SCRIPTS}
    commands["run_all"] = ["run_all.py", "--quick", "--only", "storage"]
    running = {}
    for name, (script, *args) in commands.items():
        out, err = (logs / f"{name}.out").open("w"), (logs / f"{name}.err").open("w")
        process = subprocess.Popen(
            [sys.executable, str(BENCHMARKS / script), *args],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=err,
            text=True,
        )
        running[name] = (process, out, err)
    finished = {}
    try:
        for name, (process, out, err) in running.items():
            code = process.wait(timeout=TIMEOUT_S)
            out.close()
            err.close()
            finished[name] = Finished(
                code, (logs / f"{name}.out").read_text(), (logs / f"{name}.err").read_text()
            )
        yield finished
    finally:
        for process, out, err in running.values():
            if process.poll() is None:
                process.kill()
                process.wait()
            out.close()
            err.close()


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_quick_run_prints_its_ratio_line(script: str, quick_runs: dict[str, Finished]) -> None:
    run = quick_runs[script]
    assert run.returncode == 0, f"{script}.py --quick failed:\n{run.stdout}\n{run.stderr[-3000:]}"
    for name in SCRIPTS[script]:
        assert re.search(RESULT.format(name=name), run.stdout, re.MULTILINE), (
            f"{script}.py printed no result line for {name!r}:\n{run.stdout}"
        )


def test_run_all_prints_a_summary_table_with_machine_facts(
    quick_runs: dict[str, Finished],
) -> None:
    run = quick_runs["run_all"]
    assert run.returncode == 0, f"run_all.py failed:\n{run.stdout}\n{run.stderr[-3000:]}"
    assert "cores: " in run.stdout and "dagster: " in run.stdout
    assert re.search(r"^\| storage \| [\d.]+ MiB \| [\d.]+ MiB \| [\d.]+x \|", run.stdout, re.M)
