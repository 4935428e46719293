"""Shared helpers of the benchmark scripts: timing, temporary projects and instances, reports.

Every script compares a *subject* (this package) with a *baseline* (plain Dagster,
or the ideal) measured in the same process. The machine may be shared, so the
two are interleaved repetition by repetition, in alternating order, and the
script reports medians and their ratio on one line that ``run_all.py`` and the
smoke test read::

    build: subject 2.31 s, baseline 1.85 s, ratio 1.25x (target <= 1.3x) OK

Scripts report; they never assert. They exit 0 even when a ratio is over target.

Importing this module puts the checkout that contains it first on ``sys.path``
(and on ``PYTHONPATH`` for child processes), so a script always measures the
package next to it, never another installed copy.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
SKILLS_FILE = BENCH_DIR / "bench_skills.py"


def _use_this_checkout() -> None:
    """Measure the package of this checkout, in this process and in its children."""
    root = str(REPO_ROOT)
    if sys.path[:1] != [root]:
        sys.path.insert(0, root)
    parts = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if parts[:1] != [root]:
        os.environ["PYTHONPATH"] = os.pathsep.join([root, *parts])


_use_this_checkout()

QUIET_LOGGERS: dict[str, Any] = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
"""Run config that keeps Dagster's console logger quiet (events are still stored)."""

RESULT_LINE = re.compile(
    r"^(?P<name>\w+): subject (?P<subject>[\d.]+) (?P<unit>\S+), "
    r"baseline (?P<baseline>[\d.]+) \S+, ratio (?P<ratio>[\d.]+|inf)x "
    r"\(target <= (?P<target>[\d.]+)x\) (?P<verdict>OK|OVER)$",
    re.MULTILINE,
)


# --- measuring -------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """One measurement: wall-clock seconds, and CPU seconds of this process."""

    wall_s: float
    cpu_s: float


def measure(action: Callable[[], object]) -> Sample:
    """Time ``action``; garbage left by earlier repetitions is collected first, untimed."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return Sample(time.perf_counter() - wall, time.process_time() - cpu)


def interleave(
    subject: Callable[[], Sample], baseline: Callable[[], Sample], repeats: int
) -> tuple[list[Sample], list[Sample]]:
    """Run both ``repeats`` times, alternating which goes first, so drifting load hits both."""
    subjects: list[Sample] = []
    baselines: list[Sample] = []
    for index in range(repeats):
        if index % 2 == 0:
            subjects.append(subject())
            baselines.append(baseline())
        else:
            baselines.append(baseline())
            subjects.append(subject())
    return subjects, baselines


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def wall(samples: Sequence[Sample]) -> float:
    """Median wall-clock seconds."""
    return median(s.wall_s for s in samples)


def cpu(samples: Sequence[Sample]) -> float:
    """Median CPU seconds of this process (robust to other processes' load)."""
    return median(s.cpu_s for s in samples)


# --- reporting -------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """A benchmark's figure: subject and baseline medians, their ratio and its target."""

    name: str
    subject: float
    baseline: float
    target: float
    unit: str = "s"

    @property
    def ratio(self) -> float:
        return self.subject / self.baseline if self.baseline > 0 else math.inf

    @property
    def verdict(self) -> str:
        return "OK" if self.ratio <= self.target else "OVER"

    def line(self) -> str:
        return (
            f"{self.name}: subject {self.subject:.2f} {self.unit}, "
            f"baseline {self.baseline:.2f} {self.unit}, ratio {self.ratio:.2f}x "
            f"(target <= {self.target:g}x) {self.verdict}"
        )


def report(comparison: Comparison) -> None:
    """Print the result line (the one line other tools parse)."""
    print(comparison.line(), flush=True)


def note(text: str) -> None:
    """Print a detail line; indented, so it never reads as a result line."""
    print(f"  {text}", flush=True)


def note_samples(
    subjects: Sequence[Sample], baselines: Sequence[Sample], *, with_cpu: bool = True
) -> None:
    """The spread behind the medians, and the CPU-time ratio (steadier on a busy machine).

    ``with_cpu=False`` where CPU time says nothing (waiting, or work in child processes).
    """
    note("wall s, subject:  " + " ".join(f"{s.wall_s:.2f}" for s in subjects))
    note("wall s, baseline: " + " ".join(f"{s.wall_s:.2f}" for s in baselines))
    if not with_cpu:
        return
    base_cpu = cpu(baselines)
    ratio = cpu(subjects) / base_cpu if base_cpu > 0 else math.inf
    note(
        f"cpu (this process): subject {cpu(subjects):.2f} s, baseline {base_cpu:.2f} s, "
        f"ratio {ratio:.2f}x"
    )


def header(title: str, settings: Mapping[str, object]) -> None:
    shown = ", ".join(f"{k}={v}" for k, v in settings.items())
    print(f"== {title} ({shown})", flush=True)


def parse_args(description: str | None, argv: Sequence[str] | None = None) -> argparse.Namespace:
    """``--quick`` (a seconds-long smoke run) and ``--repeats N`` (override the default)."""
    parser = argparse.ArgumentParser(description=(description or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one repetition")
    parser.add_argument("--repeats", type=int, default=None, help="repetitions of each side")
    return parser.parse_args(argv)


# --- machine facts -----------------------------------------------------------------------


def cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown"
    found = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    return found.group(1).strip() if found else (platform.processor() or "unknown")


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "neurocore_dagster"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return out.stdout.strip() + ("+changes" if dirty else "")


def machine_facts() -> dict[str, str]:
    """What the figures were measured on."""
    import dagster

    import neurocore_dagster

    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return {
        "cores": str(os.cpu_count()),
        "cpu": cpu_model(),
        "python": platform.python_version(),
        "dagster": dagster.__version__,
        "package": str(Path(neurocore_dagster.__file__).parent),
        "commit": git_commit(),
        "load average (1/5/15 min)": load,
    }


# --- projects and instances ----------------------------------------------------------


@contextmanager
def temp_dir(prefix: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix=f"nc-bench-{prefix}-") as folder:
        yield Path(folder)


def write_dagster_home(home: Path) -> Path:
    """A DAGSTER_HOME with default (sqlite) storage and telemetry off."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return home


MEMORY_DIR = Path("/dev/shm")


def home_parent() -> Path | None:
    """Where Dagster homes go: a RAM-backed folder when there is one, else the temp folder.

    Dagster commits every event to sqlite; on a disk shared with other jobs the
    fsync latency varies by an order of magnitude and drowns what is compared.
    """
    if MEMORY_DIR.is_dir() and os.access(MEMORY_DIR, os.W_OK):
        return MEMORY_DIR
    return None


@contextmanager
def temp_home() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="nc-bench-home-", dir=home_parent()) as folder:
        yield write_dagster_home(Path(folder))


@contextmanager
def temp_instance() -> Iterator[Any]:
    """A sqlite instance in a fresh DAGSTER_HOME: the kind ``execute_blueprint`` makes itself."""
    import dagster as dg

    with temp_home() as home, dg.DagsterInstance.from_config(str(home)) as instance:
        yield instance


def write_project(
    root: Path, blueprints: Iterable[Mapping[str, Any]], *, definitions: bool = False
) -> Path:
    """A project folder: ``skills/`` with the benchmark skills, one YAML file per blueprint.

    ``definitions`` adds the ``definitions.py`` that ``dagster`` loads.
    """
    (root / "skills").mkdir(parents=True, exist_ok=True)
    (root / "blueprints").mkdir(exist_ok=True)
    shutil.copy(SKILLS_FILE, root / "skills" / SKILLS_FILE.name)
    for blueprint in blueprints:
        path = root / "blueprints" / f"{blueprint['name']}.yaml"
        path.write_text(yaml.safe_dump(dict(blueprint), sort_keys=False))
    if definitions:
        (root / "definitions.py").write_text(
            "from pathlib import Path\n\n"
            "from neurocore_dagster import build_definitions\n\n"
            "defs = build_definitions(project_root=Path(__file__).parent)\n"
        )
    return root


def tree_bytes(folder: Path) -> int:
    """Bytes of every file under ``folder`` (0 if it does not exist)."""
    if not folder.exists():
        return 0
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


# --- blueprints --------------------------------------------------------------------------


def graph_shape(nodes: int, width: int = 3) -> tuple[list[str], list[tuple[str, str]]]:
    """Node ids and edges: the first node forks into ``width`` chains that the last joins."""
    ids = [f"n{i:02d}" for i in range(nodes)]
    middle = ids[1:-1]
    edges = [(ids[0] if i < width else middle[i - width], node) for i, node in enumerate(middle)]
    edges += [(node, ids[-1]) for node in middle[-width:]]
    return ids, edges


def graph_blueprint(name: str, nodes: int, width: int = 3) -> dict[str, Any]:
    """A graph flow of ``nodes`` nodes, one configured ``bench_step`` component per node."""
    ids, edges = graph_shape(nodes, width)
    return {
        "name": name,
        "version": "1.0",
        "description": f"{nodes} nodes: a fork into {width} chains and a join.",
        "components": [
            {"name": f"c_{node}", "type": "bench_step", "config": {"key": f"k_{node}", "value": i}}
            for i, node in enumerate(ids)
        ],
        "flow": {
            "type": "graph",
            "nodes": [{"id": node, "component": f"c_{node}"} for node in ids],
            "edges": [{"source": a, "target": b} for a, b in edges],
        },
    }


def chain_blueprint(
    name: str, length: int, first: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A sequential flow of ``length`` ``bench_step`` steps; ``first`` replaces step 0."""
    components = [
        {"name": f"s{i:02d}", "type": "bench_step", "config": {"key": f"k{i:02d}", "value": i}}
        for i in range(length)
    ]
    if first is not None:
        components[0] = {"name": "s00", **first}
    return {
        "name": name,
        "version": "1.0",
        "components": components,
        "flow": {"type": "sequential", "steps": [{"component": c["name"]} for c in components]},
    }
