"""large_project: a project of 1,000 blueprints, loaded cold, reloaded, and served by Dagster.

The project mixes what real projects hold: sequential flows (some steps with a
condition), conditional flows and graphs (a fork into chains and a join, some
edges with a condition), 5 to 20 steps or nodes each, every 20th blueprint with
a schedule; one configured ``bench_step`` component per step or node.

Measured in three rounds (medians reported), each build in a fresh Python
process as a code server loads the project (``build_definitions``, resolved into
a repository as Dagster does; seconds, CPU seconds and the process's peak memory):

* **load**: every file read, parsed, validated and built into a job; in the first
  round, also the time Dagster then takes to snapshot the repository and every job
  (what a code server sends the webserver);
* **parsing**: in the same process, before the load, reading and parsing every
  blueprint file alone, which is all a parse cache could ever save. The
  ``large_parse_share`` line compares its CPU time with the load's;
* **webserver**: a real ``dagster-webserver -f definitions.py`` on 127.0.0.1
  (which starts its own code server process): seconds from its start until
  GraphQL lists every job, then seconds for a ``reloadRepositoryLocation`` after
  one blueprint changed.

The package kept a parse cache of blueprint files until 2026-11-29 (#13). Measured
in one run (1,000 blueprints, five interleaved rounds, each load in a fresh
process, CPU seconds of the whole process), it saved 5.5% of a reload after one
change and 6.7% with nothing changed, and filling it cost 3.6% (:data:`PARSE_CACHE`);
it was removed, as it saved far less than a fifth (:data:`CACHE_WORTH`) of a
reload. ``large_parse_share`` keeps measuring the most any cache of parsed files
could save.

Dagster 1.13 gives a local code server 180 s to start
(``code_servers.local_startup_timeout`` in ``dagster.yaml``), 60 s for each
ordinary gRPC call (``DAGSTER_GRPC_TIMEOUT_SECONDS``) and 180 s to send the
repository's snapshot (``DAGSTER_REPOSITORY_GRPC_TIMEOUT_SECONDS``). The
``large_webserver_*`` lines compare the webserver's load and reload with those
180 s. Scripts report; they never fail on a figure.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import common
import yaml
from webserver import STARTUP_TIMEOUT_S, Webserver

TARGET = 1.0
CACHE_WORTH = 0.2
"""A cache of parsed files would be worth its code only above this share of a load."""
PARSE_CACHE = (
    "measured 2026-11-29 before its removal, medians of 5 rounds of 1,000 blueprints, CPU s "
    "of a fresh process: without it 13.03 (cold) and 13.04 (again); with it 13.51 (cold, "
    "filling it), 12.16 (nothing changed, -6.7%), 12.32 (one file changed, -5.5%)"
)
"""The parse cache's figures, printed with every run of this script."""


@dataclass(frozen=True)
class Sizes:
    blueprints: int
    repeats: int


FULL = Sizes(blueprints=1000, repeats=3)
QUICK = Sizes(blueprints=20, repeats=1)


# --- the project ---------------------------------------------------------------------


def project_blueprints(count: int, seed: int = 6) -> list[dict[str, Any]]:
    """``count`` blueprints: 40% sequential, 20% conditional, 40% graph, 5 to 20 units."""
    rng = random.Random(seed)
    documents = []
    for index in range(count):
        name = f"flow-{index:04d}"
        size = rng.randint(5, 20)
        kind = index % 5
        if kind in (0, 1):
            document = sequential_blueprint(name, size, rng)
        elif kind == 2:
            document = conditional_blueprint(name, min(size, 8), rng)
        else:
            document = graph_blueprint(name, size, rng)
        if index % 20 == 0:
            document["triggers"] = [{"schedule": {"cron": f"{index % 60} 6 * * *"}}]
        documents.append(document)
    return documents


def _components(prefix: str, count: int) -> list[dict[str, Any]]:
    return [
        {"name": f"{prefix}{i:02d}", "type": "bench_step", "config": {"key": f"k{i}", "value": i}}
        for i in range(count)
    ]


def sequential_blueprint(name: str, steps: int, rng: random.Random) -> dict[str, Any]:
    components = _components("s", steps)
    flow_steps: list[dict[str, Any]] = []
    for i, component in enumerate(components):
        step: dict[str, Any] = {"component": component["name"]}
        if i > 0 and rng.random() < 0.25:
            step["condition"] = f"context.data.k{i - 1} >= {rng.randint(0, i)}"
        flow_steps.append(step)
    return {
        "name": name,
        "version": "1.0",
        "description": f"{steps} sequential steps.",
        "inputs": {"ticket": {"type": "string", "default": "hello"}},
        "components": components,
        "flow": {"type": "sequential", "steps": flow_steps},
    }


def conditional_blueprint(name: str, steps: int, rng: random.Random) -> dict[str, Any]:
    components = _components("c", steps)
    flow_steps = [
        {"component": c["name"], "condition": f"context.data.priority <= {i + rng.randint(0, 2)}"}
        for i, c in enumerate(components[:-1])
    ]
    flow_steps.append({"component": components[-1]["name"]})
    return {
        "name": name,
        "version": "1.0",
        "description": "First matching step wins.",
        "inputs": {"priority": {"type": "integer", "default": 3}},
        "components": components,
        "flow": {"type": "conditional", "steps": flow_steps},
    }


def graph_blueprint(name: str, nodes: int, rng: random.Random) -> dict[str, Any]:
    document = common.graph_blueprint(name, nodes, width=rng.randint(1, 3))
    for edge in document["flow"]["edges"]:
        if rng.random() < 0.15:
            edge["condition"] = f"context.data.k_{edge['source']} >= 0"
    return document


def change_one(project: Path, index: int) -> Path:
    """Rewrite one blueprint file with a new description (a real edit, still valid YAML:
    a description may be quoted, so it is changed in the data, not in the text)."""
    path = sorted((project / "blueprints").glob("*.yaml"))[index]
    document = yaml.safe_load(path.read_text())
    document["description"] = f"edited {time.time_ns()}: {document.get('description', '')}"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


# --- building in a fresh process -----------------------------------------------------

_BUILD = """
import json, pathlib, resource, sys, time
started = time.perf_counter()
import dagster
from neurocore_dagster import build_definitions
from neurocore_dagster.blueprint.source import read_yaml_file
imported = time.perf_counter()
parse_cpu = time.process_time()
for path in sorted(pathlib.Path(sys.argv[1], "blueprints").glob("*.yaml")):
    read_yaml_file(path)
parse_cpu_s = time.process_time() - parse_cpu
build_cpu = time.process_time()
loaded = time.perf_counter()
defs = build_definitions(sys.argv[1])
repository = defs.get_repository_def()
jobs = repository.get_all_jobs()
built = time.perf_counter()
build_cpu_s = time.process_time() - build_cpu
snapshot_s = None
if sys.argv[2:] == ["--snapshot"]:
    from dagster._core.remote_representation.external_data import JobDataSnap, RepositorySnap
    from dagster._serdes import serialize_value
    serialize_value(RepositorySnap.from_def(repository, defer_snapshots=True))
    for job in jobs:
        serialize_value(JobDataSnap.from_job_def(job, include_parent_snapshot=True))
    snapshot_s = time.perf_counter() - built
print(json.dumps({
    "import_s": imported - started,
    "build_s": built - loaded,
    "build_cpu_s": build_cpu_s,
    "parse_cpu_s": parse_cpu_s,
    "snapshot_s": snapshot_s,
    "jobs": len(jobs),
    "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


@dataclass(frozen=True)
class BuildRun:
    import_s: float
    build_s: float
    build_cpu_s: float
    parse_cpu_s: float
    """CPU seconds of reading and parsing every blueprint file alone (before the build)."""
    snapshot_s: float | None
    """Seconds Dagster then takes to snapshot and serialize the repository and every
    job, as a code server does for the webserver (when asked for)."""
    jobs: int
    max_rss_mib: float


def build_in_process(project: Path, *, snapshot: bool = False) -> BuildRun:
    """``build_definitions`` of ``project`` in a fresh interpreter; its figures."""
    completed = subprocess.run(
        [sys.executable, "-c", _BUILD, str(project), *(["--snapshot"] if snapshot else [])],
        capture_output=True,
        text=True,
        check=True,
    )
    return BuildRun(**json.loads(completed.stdout.strip().splitlines()[-1]))


def note_build(label: str, run: BuildRun) -> None:
    memory = "max RSS" if run.snapshot_s is None else "max RSS (snapshot included)"
    common.note(
        f"{label}: build {run.build_s:.2f} s, {run.build_cpu_s:.2f} s CPU (+ imports "
        f"{run.import_s:.2f} s), {run.jobs} jobs, {memory} {run.max_rss_mib:.0f} MiB; "
        f"parsing the files alone {run.parse_cpu_s:.2f} s CPU"
    )
    if run.snapshot_s is not None:
        common.note(
            f"  then Dagster's snapshot of the repository and its {run.jobs} jobs (what a "
            f"code server sends the webserver): {run.snapshot_s:.2f} s"
        )


@dataclass(frozen=True)
class WebserverRun:
    load_s: float
    reload_s: float


def webserver_run(project: Path, jobs: int) -> WebserverRun:
    with common.temp_home() as home:
        server = Webserver(project, home)
        server.start()
        try:
            started = time.perf_counter()
            server.wait_for_jobs(jobs, timeout_s=2 * STARTUP_TIMEOUT_S)
            load_s = time.perf_counter() - started
            change_one(project, 1)
            reload_s = server.reload()
        finally:
            server.stop()
    return WebserverRun(load_s, reload_s)


# --- main --------------------------------------------------------------------------------


def build_round(project: Path, index: int) -> BuildRun:
    """One load in a fresh process; the first round also snapshots."""
    run = build_in_process(project, snapshot=index == 0)
    note_build(f"round {index + 1}", run)
    return run


def report_webserver(project: Path, jobs: int) -> None:
    served = webserver_run(project, jobs)
    common.note(
        f"webserver: {served.load_s:.1f} s from start to {jobs} jobs "
        f"listed; reloadRepositoryLocation after one change {served.reload_s:.1f} s"
    )
    for name, seconds in (
        ("large_webserver_load", served.load_s),
        ("large_webserver_reload", served.reload_s),
    ):
        common.report(common.Comparison(name, seconds, STARTUP_TIMEOUT_S, TARGET))


def main(argv: Sequence[str] | None = None) -> int:
    args = common.parse_args(__doc__, argv)
    sizes = QUICK if args.quick else FULL
    repeats = args.repeats or sizes.repeats
    common.header("large_project", {"blueprints": sizes.blueprints, "repeats": repeats})
    documents = project_blueprints(sizes.blueprints)
    with common.temp_dir("large") as root:
        project = common.write_project(root / "project", documents, definitions=True)
        rounds = [build_round(project, index) for index in range(repeats)]
        build_s = common.median(r.build_s for r in rounds)
        build_cpu_s = common.median(r.build_cpu_s for r in rounds)
        parse_cpu_s = common.median(r.parse_cpu_s for r in rounds)
        common.note(
            f"median over {repeats} rounds: load {build_s:.2f} s, {build_cpu_s:.2f} s CPU; "
            f"parsing alone {parse_cpu_s:.2f} s CPU"
        )
        common.note(f"the parse cache: {PARSE_CACHE}")
        report_webserver(project, len(documents))
    common.report(common.Comparison("large_parse_share", parse_cpu_s, build_cpu_s, CACHE_WORTH))
    return 0


if __name__ == "__main__":
    sys.exit(main())
