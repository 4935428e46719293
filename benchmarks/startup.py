"""startup: what a step process costs in a project of 200 blueprints vs a project of 1.

Dagster's multiprocess executor (the package's default is threads; this measures
runs that choose step processes) runs each step in a fresh process (``spawn``),
and that process loads the code location again: here
``definitions.py``, i.e. ``build_definitions`` of the whole project, to find the
one job it runs. So a step's start-up grows with the project, not with its job.

Both projects hold the same 2-step probe blueprint (``startup-probe``); the large
one adds 199 graph blueprints of 20 nodes (those of the ``build`` benchmark).
Each run is ``python -m dagster job execute -f definitions.py -j startup_probe
-c multiprocess.yaml`` in a subprocess with a temporary DAGSTER_HOME; projects alternate run by run.

Measured, per step, from the run's event log: the time from
``STEP_WORKER_STARTING`` (the parent is about to launch the step process) to
``STEP_START`` (the child has imported Dagster, loaded the definitions, built
the plan and initialised resources and is about to run the op). Printed also:
that split at ``STEP_WORKER_STARTED`` into process boot (interpreter and
imports) and code load, and each run's whole wall time. The figure is the
median over all steps of all runs. Target: large <= 1.2x small.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import common
import dagster as dg

TARGET = 1.2
PROBE = "startup-probe"
PROBE_JOB = "startup_probe"


@dataclass(frozen=True)
class Sizes:
    blueprints: int
    nodes: int
    probe_steps: int
    repeats: int


FULL = Sizes(blueprints=200, nodes=20, probe_steps=2, repeats=2)
QUICK = Sizes(blueprints=10, nodes=20, probe_steps=1, repeats=1)


@dataclass(frozen=True)
class StepTimes:
    """Seconds from the launch of a step's process to its op starting, and the split."""

    total_s: float
    boot_s: float
    load_s: float


@dataclass(frozen=True)
class RunTimes:
    wall_s: float
    steps: list[StepTimes]


def make_project(root: Path, sizes: Sizes, blueprints: int) -> Path:
    documents = [common.chain_blueprint(PROBE, sizes.probe_steps)]
    documents += [
        common.graph_blueprint(f"filler-{i:03d}", sizes.nodes) for i in range(blueprints - 1)
    ]
    return common.write_project(root, documents, definitions=True)


def run_probe(project: Path, home: Path) -> RunTimes:
    """One run of the probe job with the multiprocess executor, in a subprocess."""
    config = home / "multiprocess.yaml"
    config.write_text("execution:\n  config:\n    multiprocess: {}\n")
    command = [sys.executable, "-m", "dagster", "job", "execute"]
    command += ["-f", str(project / "definitions.py"), "-j", PROBE_JOB, "-c", str(config)]
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    sample = common.measure(
        lambda: subprocess.run(command, cwd=project, env=env, capture_output=True, check=True)
    )
    with dg.DagsterInstance.from_config(str(home)) as instance:
        run = instance.get_runs(limit=1)[0]
        if run.status != dg.DagsterRunStatus.SUCCESS:
            raise RuntimeError(f"probe run {run.run_id} ended {run.status}")
        return RunTimes(sample.wall_s, step_times(instance, run.run_id))


def step_times(instance: dg.DagsterInstance, run_id: str) -> list[StepTimes]:
    marks: dict[str, dict[str, float]] = {}
    wanted = {"STEP_WORKER_STARTING", "STEP_WORKER_STARTED", "STEP_START"}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is not None and event.step_key and event.event_type_value in wanted:
            marks.setdefault(event.step_key, {})[event.event_type_value] = entry.timestamp
    times = []
    for key, seen in marks.items():
        if len(seen) != len(wanted):
            raise RuntimeError(f"step {key} lacks events: has {sorted(seen)}")
        launched, booted, started = (
            seen["STEP_WORKER_STARTING"],
            seen["STEP_WORKER_STARTED"],
            seen["STEP_START"],
        )
        times.append(StepTimes(started - launched, booted - launched, started - booted))
    return times


def summary(label: str, runs: Sequence[RunTimes]) -> None:
    steps = [s for r in runs for s in r.steps]
    common.note(
        f"{label}: per step {common.median(s.total_s for s in steps):.2f} s "
        f"(boot {common.median(s.boot_s for s in steps):.2f} s + code load "
        f"{common.median(s.load_s for s in steps):.2f} s; {len(steps)} steps), "
        f"run wall {common.median(r.wall_s for r in runs):.2f} s"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = common.parse_args(__doc__, argv)
    sizes = QUICK if args.quick else FULL
    repeats = args.repeats or sizes.repeats
    common.header(
        "startup",
        {
            "blueprints": sizes.blueprints,
            "nodes": sizes.nodes,
            "probe_steps": sizes.probe_steps,
            "repeats": repeats,
        },
    )
    large_runs: list[RunTimes] = []
    small_runs: list[RunTimes] = []
    with common.temp_dir("startup") as root, common.temp_home() as home:
        large = make_project(root / "large", sizes, sizes.blueprints)
        small = make_project(root / "small", sizes, 1)
        for index in range(repeats):
            order = [(large, large_runs), (small, small_runs)]
            for project, runs in order if index % 2 == 0 else order[::-1]:
                runs.append(run_probe(project, home))
    summary(f"{sizes.blueprints} blueprints", large_runs)
    summary("1 blueprint", small_runs)
    common.report(
        common.Comparison(
            "startup",
            common.median(s.total_s for r in large_runs for s in r.steps),
            common.median(s.total_s for r in small_runs for s in r.steps),
            TARGET,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
