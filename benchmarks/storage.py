"""storage: bytes a run stores when the first of 20 chained steps writes a 5 MiB value.

Subject: ``execute_blueprint`` on a sequential blueprint whose first step
(``bench_payload``) writes 5 MiB of random bytes and whose 19 other steps each
set one small key. Its IO manager writes under ``<instance storage>/neurocore/<run
id>/``; the figure is the bytes of every file there, divided by the value's size
(the result line's baseline is the value itself). Target: <= 1.5x.

For comparison, the same chain of plain Dagster ops passing the whole dict
through ``FilesystemIOManager`` (files under ``<instance storage>/<run id>/``),
which stores the context after every op: about 20x. Each side runs once on its
own fresh sqlite instance (``common.temp_instance``); the whole DAGSTER_HOME
(event log included) is printed too.
Sizes are deterministic, so one run each suffices.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import common
import dagster as dg

from neurocore_dagster import Blueprint, discover_skills, execute_blueprint

TARGET = 1.5
MIB = 1024 * 1024


@dataclass(frozen=True)
class Sizes:
    steps: int
    value_bytes: int


FULL = Sizes(steps=20, value_bytes=5 * MIB)
QUICK = Sizes(steps=5, value_bytes=1 * MIB)


@dataclass(frozen=True)
class Stored:
    io_bytes: int
    io_files: int
    home_bytes: int


def stored(instance: dg.DagsterInstance, io_folder: Path) -> Stored:
    files = [p for p in io_folder.rglob("*") if p.is_file()] if io_folder.exists() else []
    home = Path(instance.root_directory)
    return Stored(sum(p.stat().st_size for p in files), len(files), common.tree_bytes(home))


def subject_run(project: Path, sizes: Sizes) -> Stored:
    document = common.chain_blueprint(
        "storage-chain",
        sizes.steps,
        first={"type": "bench_payload", "config": {"size_bytes": sizes.value_bytes}},
    )
    common.write_project(project, [document])
    registry = discover_skills(project)
    with common.temp_instance() as instance:
        run = execute_blueprint(
            Blueprint.model_validate(document),
            registry,
            instance=instance,
            project_root=project,
            run_config=common.QUIET_LOGGERS,
        )
        payload = run.context.data.to_dict().get("payload")
        if run.status != "completed" or len(payload or b"") != sizes.value_bytes:
            raise RuntimeError(f"the subject run ended {run.status}: {run.error}")
        folder = Path(instance.storage_directory()) / "neurocore" / run.run_id
        return stored(instance, folder)


def plain_chain(sizes: Sizes) -> dg.JobDefinition:
    """Plain ops passing the whole context dict; the first adds the large value."""

    @dg.op(name="s00")
    def first() -> dict[str, Any]:
        return {"payload": os.urandom(sizes.value_bytes)}

    def step(index: int) -> dg.OpDefinition:
        @dg.op(name=f"s{index:02d}")
        def add_key(data: dict[str, Any]) -> dict[str, Any]:
            return {**data, f"k{index:02d}": index}

        return add_key

    rest = [step(i) for i in range(1, sizes.steps)]

    @dg.job(name="plain_storage_chain", resource_defs={"io_manager": dg.FilesystemIOManager()})
    def chain() -> None:
        value = first()
        for op in rest:
            value = op(value)

    return chain


def baseline_run(sizes: Sizes) -> Stored:
    with common.temp_instance() as instance:
        result = plain_chain(sizes).execute_in_process(
            run_config=common.QUIET_LOGGERS, instance=instance
        )
        if not result.success:
            raise RuntimeError("the baseline run failed")
        return stored(instance, Path(instance.storage_directory()) / result.run_id)


def main(argv: Sequence[str] | None = None) -> int:
    args = common.parse_args(__doc__, argv)
    sizes = QUICK if args.quick else FULL
    common.header("storage", {"steps": sizes.steps, "value_MiB": sizes.value_bytes / MIB})
    with common.temp_dir("storage") as project:
        subject = subject_run(project, sizes)
    baseline = baseline_run(sizes)
    value_mib = sizes.value_bytes / MIB
    common.note(
        f"subject IO manager: {subject.io_files} files, {subject.io_bytes / MIB:.2f} MiB; "
        f"whole DAGSTER_HOME {subject.home_bytes / MIB:.2f} MiB"
    )
    common.note(
        f"plain ops + FilesystemIOManager passing the whole dict: {baseline.io_files} files, "
        f"{baseline.io_bytes / MIB:.2f} MiB = {baseline.io_bytes / sizes.value_bytes:.1f}x "
        f"the value; whole DAGSTER_HOME {baseline.home_bytes / MIB:.2f} MiB"
    )
    common.report(
        common.Comparison("storage", subject.io_bytes / MIB, value_mib, TARGET, unit="MiB")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
