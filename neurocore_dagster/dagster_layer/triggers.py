"""A blueprint's ``triggers:`` as Dagster schedules and sensors.

Every trigger's run config is validated against its job when definitions are
built, so a schedule can never produce a run Dagster would refuse. A file
sensor keeps a cursor (newest modification time and the files seen at it), so
no file runs twice; each run also carries a run key of path and mtime. An asset
sensor starts one run per materialization of its asset (:mod:`.asset_sensor`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg

from neurocore_dagster.blueprint.model import Blueprint
from neurocore_dagster.blueprint.triggers import (
    AssetSensorTrigger,
    FileSensorTrigger,
    RunStatusTrigger,
    ScheduleTrigger,
    Trigger,
    TriggerSpec,
)
from neurocore_dagster.dagster_layer.asset_sensor import AssetTrigger
from neurocore_dagster.dagster_layer.jobs.run_config import run_config
from neurocore_dagster.dagster_layer.metadata_inputs import SAMPLES
from neurocore_dagster.dagster_layer.storage.results import final_context
from neurocore_dagster.dagster_layer.translation.names import dagster_name
from neurocore_dagster.errors import BlueprintError, BlueprintIssue, issue

TriggerDef = dg.ScheduleDefinition | dg.SensorDefinition


def build_triggers(
    blueprint: Blueprint,
    job: dg.JobDefinition,
    jobs_by_blueprint: Mapping[str, dg.JobDefinition],
    project_root: Path,
) -> list[TriggerDef]:
    """The schedules and sensors of one blueprint; problems raise one located error."""
    problems: list[BlueprintIssue] = []
    built: list[TriggerDef] = []
    for index, trigger in enumerate(blueprint.triggers):
        loc = ("triggers", index, trigger.kind)
        spec = trigger.spec
        found = _check_run_config(job, _load_time_data(blueprint, spec), (*loc, "initial_data"))
        name = spec.name and dagster_name(spec.name)
        try:
            if isinstance(spec, AssetSensorTrigger):
                built.append(
                    _asset_sensor(blueprint, job, spec, name or f"{job.name}_asset_{index}")
                )
            elif isinstance(spec, ScheduleTrigger):
                built.append(_schedule(job, spec, name or f"{job.name}_schedule_{index}"))
            elif isinstance(spec, FileSensorTrigger):
                built.append(
                    _file_sensor(job, spec, name or f"{job.name}_files_{index}", project_root)
                )
            else:
                other = jobs_by_blueprint.get(spec.blueprint)
                if other is None:
                    found.append(
                        issue(
                            "trigger.unknown_blueprint",
                            f"no blueprint named {spec.blueprint!r} in this project",
                            (*loc, "blueprint"),
                            input=spec.blueprint,
                            expected=f"one of: {', '.join(sorted(jobs_by_blueprint))}",
                        )
                    )
                else:
                    built.append(
                        _run_status_sensor(
                            job, other, spec, name or f"{job.name}_after_{other.name}_{index}"
                        )
                    )
        except dg.DagsterInvalidDefinitionError as exc:
            found.append(
                issue(
                    "trigger.invalid",
                    str(exc).split("\n")[0],
                    loc,
                    input=getattr(spec, "cron", None) or spec.model_dump(),
                )
            )
        problems.extend(blueprint.source.locate(p) for p in found)
    if problems:
        raise BlueprintError(problems)
    return built


def _load_time_data(blueprint: Blueprint, spec: TriggerSpec) -> dict[str, Any]:
    """The initial data a trigger's runs are checked with when definitions are built: an
    asset sensor's metadata inputs are known only at run time, so a value of each one's
    declared type stands in for them."""
    data = dict(spec.initial_data)
    if isinstance(spec, AssetSensorTrigger):
        data.update(
            {n: SAMPLES[blueprint.inputs[n].type] for n in spec.inputs if n in blueprint.inputs}
        )
    return data


def _check_run_config(
    job: dg.JobDefinition, data: Mapping[str, Any], loc: tuple[str | int, ...]
) -> list[BlueprintIssue]:
    try:
        dg.validate_run_config(job, run_config(job, initial_data=data))
    except dg.DagsterInvalidConfigError as exc:
        return [
            issue(
                "trigger.run_config",
                f"run config refused by job {job.name!r}: "
                + "; ".join(e.message for e in exc.errors),
                loc,
                input=dict(data),
            )
        ]
    return []


def _status(value: str) -> Any:
    return (
        dg.DefaultScheduleStatus.RUNNING if value == "running" else dg.DefaultScheduleStatus.STOPPED
    )


def _sensor_status(value: str) -> dg.DefaultSensorStatus:
    return dg.DefaultSensorStatus.RUNNING if value == "running" else dg.DefaultSensorStatus.STOPPED


def _schedule(job: dg.JobDefinition, spec: ScheduleTrigger, name: str) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name=name,
        job=job,
        cron_schedule=spec.cron,
        execution_timezone=spec.timezone,
        run_config=run_config(job, initial_data=spec.initial_data),
        default_status=_status(spec.default_status),
        description=f"Runs {job.name} on '{spec.cron}' ({spec.timezone}).",
    )


def new_files(folder: Path, pattern: str, cursor: str | None) -> tuple[list[Path], str]:
    """Files newer than the cursor, oldest first, and the cursor that follows them."""
    latest: int = 0
    at_latest: list[str] = []
    if cursor:
        state = json.loads(cursor)
        latest, at_latest = state["mtime_ns"], state["at_mtime"]
    found: list[tuple[int, str]] = []
    for path in folder.glob(pattern):
        if not path.is_file():
            continue
        mtime = path.stat().st_mtime_ns
        if mtime > latest or (mtime == latest and str(path) not in at_latest):
            found.append((mtime, str(path)))
    found.sort()
    for mtime, name in found:
        if mtime > latest:
            latest, at_latest = mtime, [name]
        else:
            at_latest.append(name)
    cursor_after = json.dumps({"mtime_ns": latest, "at_mtime": at_latest})
    return [Path(p) for _, p in found], cursor_after


def _file_sensor(
    job: dg.JobDefinition, spec: FileSensorTrigger, name: str, project_root: Path
) -> dg.SensorDefinition:
    folder = Path(spec.path) if Path(spec.path).is_absolute() else project_root / spec.path

    def evaluate(context: dg.SensorEvaluationContext) -> Iterator[Any]:
        if not folder.is_dir():
            yield dg.SkipReason(f"folder {folder} does not exist")
            return
        files, cursor = new_files(folder, spec.pattern, context.cursor)
        for path in files:
            data = {**spec.initial_data, spec.key: str(path)}
            yield dg.RunRequest(
                run_key=f"{path}@{path.stat().st_mtime_ns}",
                run_config=run_config(job, initial_data=data),
            )
        if not files:
            yield dg.SkipReason(f"no new files matching {spec.pattern!r} in {folder}")
        context.update_cursor(cursor)

    return dg.SensorDefinition(
        name=name,
        evaluation_fn=evaluate,
        job=job,
        minimum_interval_seconds=spec.interval_seconds,
        default_status=_sensor_status(spec.default_status),
        description=f"Runs {job.name} once per new file matching {spec.pattern!r} in {folder}.",
    )


def _asset_sensor(
    blueprint: Blueprint, job: dg.JobDefinition, spec: AssetSensorTrigger, name: str
) -> dg.SensorDefinition:
    trigger = AssetTrigger(
        asset=spec.asset,
        job=job,
        inputs=dict(spec.inputs),
        types={n: blueprint.inputs[n].type for n in spec.inputs},
        initial_data=dict(spec.initial_data),
    )
    filled = ", ".join(f"{n} <- {k}" for n, k in spec.inputs.items()) or "no inputs"
    return dg.SensorDefinition(
        name=name,
        evaluation_fn=trigger.evaluate,
        job=job,
        minimum_interval_seconds=spec.interval_seconds,
        default_status=_sensor_status(spec.default_status),
        description=f"Runs {job.name} once per materialization of asset {spec.asset}"
        f" (inputs from its metadata: {filled}).",
    )


def _run_status_sensor(
    job: dg.JobDefinition, other: dg.JobDefinition, spec: RunStatusTrigger, name: str
) -> dg.SensorDefinition:
    status = (
        dg.DagsterRunStatus.SUCCESS if spec.status == "success" else dg.DagsterRunStatus.FAILURE
    )

    @dg.run_status_sensor(
        run_status=status,
        monitored_jobs=[other],
        request_job=job,
        name=name,
        default_status=_sensor_status(spec.default_status),
        description=f"Runs {job.name} when {other.name} ends with {spec.status}.",
    )
    def after_run(context: dg.RunStatusSensorContext) -> dg.RunRequest:
        data = dict(spec.initial_data)
        if spec.pass_keys:
            upstream = final_context(context.dagster_run, instance=context.instance)
            data.update({k: upstream.get(k) for k in spec.pass_keys if upstream.has(k)})
        return dg.RunRequest(
            run_key=f"after:{context.dagster_run.run_id}",
            run_config=run_config(job, initial_data=data),
        )

    return after_run


__all__ = ["Trigger", "build_triggers", "new_files"]
