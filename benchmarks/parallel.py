"""parallel: six branches that each wait 1 s on I/O, between a fork and a join.

Subject: ``execute_blueprint`` with its default settings (only the console log
level is lowered; the instance is a fresh sqlite one, ``common.temp_instance``)
on a graph blueprint: ``fork`` -> six branch nodes -> ``join``.
Each branch is its own Dagster step and waits 1 s: ``parallel`` uses a skill
that blocks its thread (``time.sleep``), ``parallel_async`` an async skill that
awaits ``asyncio.sleep``. Baseline: ``asyncio.gather`` of the same six waits,
i.e. the wall time if the waits overlapped perfectly (about 1 s).

The script checks from the event log that every node ran as its own step, and
prints how many branch steps were ever running at the same time: with a
sequential executor that is 1 and the ratio is about 6. Target: <= 1.5x.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import common
import dagster as dg

from neurocore_dagster import Blueprint, SkillRegistry, discover_skills, execute_blueprint

TARGET = 1.5
BRANCHES = 6


@dataclass(frozen=True)
class Sizes:
    wait_s: float
    repeats: int


FULL = Sizes(wait_s=1.0, repeats=3)
QUICK = Sizes(wait_s=0.1, repeats=1)


def fork_join_blueprint(name: str, skill: str, wait_s: float) -> dict[str, Any]:
    branches = [f"b{i}" for i in range(1, BRANCHES + 1)]
    components = [
        {"name": "fork", "type": "bench_step", "config": {"key": "forked", "value": 1}},
        {"name": "join", "type": "bench_step", "config": {"key": "joined", "value": 1}},
        *({"name": b, "type": skill, "config": {"seconds": wait_s}} for b in branches),
    ]
    return {
        "name": name,
        "components": components,
        "flow": {
            "type": "graph",
            "nodes": [
                {"id": "fork", "component": "fork"},
                *({"id": b, "component": b} for b in branches),
                {"id": "join", "component": "join"},
            ],
            "edges": [
                *({"source": "fork", "target": b} for b in branches),
                *({"source": b, "target": "join"} for b in branches),
            ],
        },
    }


async def _gather(wait_s: float) -> None:
    await asyncio.gather(*(asyncio.sleep(wait_s) for _ in range(BRANCHES)))


@dataclass(frozen=True)
class StepReport:
    steps: int
    max_overlap: int


def step_report(instance: dg.DagsterInstance, run_id: str) -> StepReport:
    """How many steps ran, and the most branch steps that were running at one moment."""
    spans: dict[str, list[float]] = {}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type == dg.DagsterEventType.STEP_START:
            spans[event.step_key] = [entry.timestamp, entry.timestamp]
        elif event.event_type == dg.DagsterEventType.STEP_SUCCESS and event.step_key in spans:
            spans[event.step_key][1] = entry.timestamp
    branches = [span for key, span in spans.items() if key.startswith("b")]
    overlap = max(
        (sum(1 for s, e in branches if s <= start < e) for start, _ in branches), default=0
    )
    return StepReport(len(spans), overlap)


def run_subject(
    blueprint: Blueprint, registry: SkillRegistry, project: Path, instance: dg.DagsterInstance
) -> str:
    run = execute_blueprint(
        blueprint,
        registry,
        instance=instance,
        project_root=project,
        run_config=common.QUIET_LOGGERS,
    )
    slept = [k for k in run.context.data.to_dict() if k.startswith("slept_")]
    if run.status != "completed" or len(slept) != BRANCHES:
        raise RuntimeError(f"the subject run ended {run.status}: {run.error}")
    return run.run_id


def compare(name: str, skill: str, sizes: Sizes, repeats: int, project: Path) -> None:
    document = fork_join_blueprint(f"parallel-{skill.replace('_', '-')}", skill, sizes.wait_s)
    blueprint = Blueprint.model_validate(document)
    registry = discover_skills(project)
    with common.temp_instance() as instance:
        runs: list[str] = []
        subjects, baselines = common.interleave(
            lambda: common.measure(
                lambda: runs.append(run_subject(blueprint, registry, project, instance))
            ),
            lambda: common.measure(lambda: asyncio.run(_gather(sizes.wait_s))),
            repeats,
        )
        steps = step_report(instance, runs[-1])
    common.note(
        f"{name}: {steps.steps} Dagster steps (fork, {BRANCHES} branches, join); "
        f"at most {steps.max_overlap} branch step(s) running at once"
    )
    common.note_samples(subjects, baselines, with_cpu=False)
    common.report(common.Comparison(name, common.wall(subjects), common.wall(baselines), TARGET))


def main(argv: Sequence[str] | None = None) -> int:
    args = common.parse_args(__doc__, argv)
    sizes = QUICK if args.quick else FULL
    repeats = args.repeats or sizes.repeats
    common.header("parallel", {"branches": BRANCHES, "wait_s": sizes.wait_s, "repeats": repeats})
    with common.temp_dir("parallel") as project:
        common.write_project(project, [])
        compare("parallel", "bench_sleep", sizes, repeats, project)
        compare("parallel_async", "bench_async_sleep", sizes, repeats, project)
    return 0


if __name__ == "__main__":
    sys.exit(main())
