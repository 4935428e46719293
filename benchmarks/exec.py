"""exec: a 40-step chain run in process vs the same chain of plain Dagster ops.

Subject: ``build_job(blueprint).execute_in_process(...)`` for a sequential
blueprint of 40 ``bench_step`` components (each sets one key); the job is built
once, outside the timing. Baseline: 40 plain ``@op`` functions chained in a
``@job`` with ``FilesystemIOManager``, each copying the dict it receives and
adding its key. Both run on one sqlite instance in a temporary DAGSTER_HOME (the
kind ``execute_blueprint`` creates by default; in RAM-backed ``/dev/shm`` when
there is one, so a shared disk's fsync latency does not drown the comparison)
with the console logger at ERROR; events are stored as usual. Much of a run is
Dagster storing events, so the events each run stores are printed too.

A detail line also reports ``execute_blueprint`` end to end (build the job, run
it, read the final context back) against the plain run plus reading its last
output. Target: subject <= 1.3x baseline.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import common
import dagster as dg

from neurocore_dagster import (
    Blueprint,
    SkillRegistry,
    build_job,
    discover_skills,
    execute_blueprint,
    run_config,
)

TARGET = 1.3


@dataclass(frozen=True)
class Sizes:
    steps: int
    repeats: int


FULL = Sizes(steps=40, repeats=7)
QUICK = Sizes(steps=5, repeats=1)


def plain_chain(steps: int) -> dg.JobDefinition:
    """``steps`` plain ops passing a dict, each adding one key, through the filesystem."""
    ops = [_plain_step(i) for i in range(steps)]

    @dg.job(name="plain_chain", resource_defs={"io_manager": dg.FilesystemIOManager()})
    def chain() -> None:
        value = ops[0]()
        for op in ops[1:]:
            value = op(value)

    return chain


def _plain_step(index: int) -> dg.OpDefinition:
    key = f"k{index:02d}"
    if index == 0:

        @dg.op(name=f"s{index:02d}")
        def first() -> dict[str, Any]:
            return {key: index}

        return first

    @dg.op(name=f"s{index:02d}")
    def step(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, key: index}

    return step


@dataclass(frozen=True)
class Setup:
    blueprint: Blueprint
    registry: SkillRegistry
    project: Path
    job: dg.JobDefinition
    config: dict[str, Any]
    plain: dg.JobDefinition
    last_step: str
    last_key: str


def prepare(project: Path, steps: int) -> Setup:
    document = common.chain_blueprint("exec-chain", steps)
    common.write_project(project, [document])
    registry = discover_skills(project)
    blueprint = Blueprint.model_validate(document)
    job = build_job(blueprint, registry, project_root=project)
    config = {**run_config(job, initial_data={}), **common.QUIET_LOGGERS}
    last = f"{steps - 1:02d}"
    return Setup(
        blueprint, registry, project, job, config, plain_chain(steps), f"s{last}", f"k{last}"
    )


def run_subject(setup: Setup, instance: dg.DagsterInstance) -> str:
    result = setup.job.execute_in_process(run_config=setup.config, instance=instance)
    if not result.success:
        raise RuntimeError("the subject run failed")
    return result.run_id


def run_baseline(setup: Setup, instance: dg.DagsterInstance) -> str:
    result = setup.plain.execute_in_process(run_config=common.QUIET_LOGGERS, instance=instance)
    if not result.success:
        raise RuntimeError("the baseline run failed")
    return result.run_id


def end_to_end_subject(setup: Setup, instance: dg.DagsterInstance) -> None:
    run = execute_blueprint(
        setup.blueprint,
        setup.registry,
        instance=instance,
        project_root=setup.project,
        run_config=common.QUIET_LOGGERS,
    )
    if run.status != "completed" or setup.last_key not in run.context.data.to_dict():
        raise RuntimeError(f"execute_blueprint ended {run.status}: {run.error}")


def end_to_end_baseline(setup: Setup, instance: dg.DagsterInstance) -> None:
    result = setup.plain.execute_in_process(run_config=common.QUIET_LOGGERS, instance=instance)
    if setup.last_key not in result.output_for_node(setup.last_step):
        raise RuntimeError("the baseline run has no result")


def main(argv: Sequence[str] | None = None) -> int:
    args = common.parse_args(__doc__, argv)
    sizes = QUICK if args.quick else FULL
    repeats = args.repeats or sizes.repeats
    common.header("exec", {"steps": sizes.steps, "repeats": repeats})
    with common.temp_dir("exec") as project, common.temp_instance() as instance:
        setup = prepare(project, sizes.steps)
        subject_run, baseline_run = run_subject(setup, instance), run_baseline(setup, instance)
        common.note(
            f"events per run: subject {len(instance.all_logs(subject_run))}, "
            f"baseline {len(instance.all_logs(baseline_run))}"
        )
        subjects, baselines = common.interleave(
            lambda: common.measure(lambda: run_subject(setup, instance)),
            lambda: common.measure(lambda: run_baseline(setup, instance)),
            repeats,
        )
        common.note_samples(subjects, baselines)
        whole, plain = common.interleave(
            lambda: common.measure(lambda: end_to_end_subject(setup, instance)),
            lambda: common.measure(lambda: end_to_end_baseline(setup, instance)),
            repeats,
        )
        common.note(
            f"execute_blueprint end to end: {common.wall(whole):.2f} s vs plain run + "
            f"output read {common.wall(plain):.2f} s, "
            f"ratio {common.wall(whole) / common.wall(plain):.2f}x"
        )
    common.report(common.Comparison("exec", common.wall(subjects), common.wall(baselines), TARGET))
    return 0


if __name__ == "__main__":
    sys.exit(main())
