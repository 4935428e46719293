"""Run blueprints on a Dagster instance and read their results back.

``execute_blueprint`` runs the job in the calling process, so a registry built
in memory works. Results are read from the instance's event log: the final
context is rebuilt from the deltas each executed op stored, following a
re-executed run to its parents for the ops it did not run again.
"""

from __future__ import annotations

import copy
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import dagster as dg
from flowengine import FlowContext

from neurocore_dagster.blueprint.model import Blueprint
from neurocore_dagster.dagster_layer.io_manager import load_lineage
from neurocore_dagster.dagster_layer.job import PLAN_METADATA, build_job
from neurocore_dagster.dagster_layer.ops import CONTEXT_OUTPUT
from neurocore_dagster.dagster_layer.resources import RUN_RESOURCE_KEY
from neurocore_dagster.dagster_layer.translator import (
    DECIDED_IN_TAG,
    STATUS_TAG,
    SUSPENDED_OP_TAG,
)
from neurocore_dagster.errors import ExecutionError
from neurocore_dagster.runtime import delta as deltas
from neurocore_dagster.skills.registry import SkillRegistry

RunStatus = Literal["completed", "failed", "suspended"]
log = logging.getLogger("neurocore_dagster")
DECISION_TAG = "neurocore/decision"


@dataclass(frozen=True)
class BlueprintRun:
    """The outcome of a blueprint run: its Dagster run id, status and final context."""

    run_id: str
    status: RunStatus
    context: FlowContext
    error: str | None = None


def run_config(
    job: dg.JobDefinition,
    *,
    initial_data: Mapping[str, Any] | None = None,
    resources: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Run config for ``job``: initial data, and component config by the names in the blueprint."""
    keys = _component_resource_keys(job)
    config: dict[str, Any] = {"resources": {}}
    if initial_data is not None:
        config["resources"][RUN_RESOURCE_KEY] = {"config": {"initial_data": dict(initial_data)}}
    for component, values in (resources or {}).items():
        if component not in keys:
            raise ExecutionError(
                f"job {job.name!r} has no component {component!r}; "
                f"components: {', '.join(sorted(keys)) or '(none)'}"
            )
        config["resources"][keys[component]] = {"config": dict(values)}
    return config


def _component_resource_keys(job: dg.JobDefinition) -> dict[str, str]:
    blueprint = _job_blueprint(job.metadata)
    from neurocore_dagster.dagster_layer.translator import BlueprintTranslator

    names = {c["name"] for c in blueprint["components"]}
    by_default = {name: BlueprintTranslator().get_resource_key(name) for name in names}
    return {name: key for name, key in by_default.items() if key in job.resource_defs}


def _job_blueprint(metadata: Mapping[str, Any]) -> dict[str, Any]:
    from neurocore_dagster.dagster_layer.job import BLUEPRINT_METADATA

    value = metadata.get(BLUEPRINT_METADATA)
    if value is None:
        raise ExecutionError("not a neurocore-dagster job: its metadata has no blueprint")
    return value.value if hasattr(value, "value") else value


def resolve_instance(
    instance: dg.DagsterInstance | None, project_root: str | Path | None
) -> dg.DagsterInstance:
    """The given instance, else ``$DAGSTER_HOME``'s, else ``<project>/.dagster`` (sqlite)."""
    if instance is not None:
        return instance
    if os.environ.get("DAGSTER_HOME"):
        return dg.DagsterInstance.get()
    home = Path(project_root if project_root is not None else Path.cwd()).resolve() / ".dagster"
    home.mkdir(parents=True, exist_ok=True)
    return dg.DagsterInstance.from_config(str(home))


def execute_blueprint(
    blueprint: Blueprint,
    registry: SkillRegistry | None = None,
    *,
    initial_data: Mapping[str, Any] | None = None,
    instance: dg.DagsterInstance | None = None,
    project_root: str | Path | None = None,
    run_config: Mapping[str, Any] | None = None,
) -> BlueprintRun:
    """Run ``blueprint`` as a Dagster job in this process and return its outcome."""
    job = build_job(blueprint, registry, project_root=project_root)
    config = _merge_run_config(job, initial_data, run_config)
    target = resolve_instance(instance, project_root)
    result = job.execute_in_process(run_config=config, instance=target, raise_on_error=False)
    return blueprint_run(result.run_id, instance=target)


def _merge_run_config(
    job: dg.JobDefinition, initial_data: Mapping[str, Any] | None, extra: Mapping[str, Any] | None
) -> dict[str, Any]:
    config = globals()["run_config"](job, initial_data=initial_data)
    for section, value in (extra or {}).items():
        if section == "resources" and isinstance(value, Mapping):
            config["resources"].update(value)
        else:
            config[section] = value
    return config


def blueprint_run(run_id: str, *, instance: dg.DagsterInstance) -> BlueprintRun:
    run = instance.get_run_by_id(run_id)
    if run is None:
        raise ExecutionError(f"no run {run_id!r} in this Dagster instance")
    context = final_context(run, instance=instance)
    if is_suspended(run):
        return BlueprintRun(run_id, "suspended", context)
    if run.status == dg.DagsterRunStatus.SUCCESS:
        return BlueprintRun(run_id, "completed", context)
    return BlueprintRun(run_id, "failed", context, run_failure_message(instance, run_id))


def run_failure_message(instance: dg.DagsterInstance, run_id: str) -> str:
    """The first step failure's root cause, else the run failure's message."""
    records = instance.get_records_for_run(
        run_id, of_type={dg.DagsterEventType.STEP_FAILURE, dg.DagsterEventType.RUN_FAILURE}
    ).records
    for record in records:
        event = record.event_log_entry.dagster_event
        if event is None:
            continue
        if event.event_type == dg.DagsterEventType.STEP_FAILURE:
            error = event.step_failure_data.error
            cause = error.cause if error is not None and error.cause is not None else error
            text = cause.message.strip() if cause is not None else "unknown error"
            return f"step {event.step_key!r} failed: {text}"
    for record in records:
        event = record.event_log_entry.dagster_event
        if event is not None and event.message:
            return event.message
    return "the run failed"


def final_context(result_or_run: Any, *, instance: dg.DagsterInstance | None = None) -> FlowContext:
    """The context flowengine would end with, rebuilt from a run's stored deltas.

    Accepts an ``execute_in_process`` result, a ``DagsterRun`` or a run id (read
    from ``instance``, default ``DagsterInstance.get()``).
    """
    if isinstance(result_or_run, dg.ExecuteInProcessResult):
        plan_ops = result_or_run.job_def.metadata[PLAN_METADATA].value["ops"]  # type: ignore[union-attr]
        outputs, skipped, suspended = _scan_events(
            result_or_run.run_id, result_or_run.all_events, None
        )
        return _assemble(plan_ops, outputs, skipped, suspended)
    instance = instance or dg.DagsterInstance.get()
    if isinstance(result_or_run, str):
        found = instance.get_run_by_id(result_or_run)
        if found is None:
            raise ExecutionError(f"no run {result_or_run!r} in this Dagster instance")
        result_or_run = found
    if not isinstance(result_or_run, dg.DagsterRun):
        raise TypeError(
            "final_context takes an ExecuteInProcessResult, a DagsterRun or a run "
            f"id, not {type(result_or_run).__name__}"
        )
    outputs, skipped, suspended = _collect_steps(instance, result_or_run, None)
    return _assemble(_plan_ops(instance, result_or_run), outputs, skipped, suspended)


def _assemble(
    plan_ops: Mapping[str, Any],
    outputs: Mapping[str, tuple[str, str]],
    skipped: set[str],
    suspended: bool,
) -> FlowContext:
    lineages = [
        load_lineage(Path(path), _root_of(Path(path), run_id), {})
        for run_id, path in outputs.values()
    ]
    unreached = (
        []
        if suspended
        else [
            (op["key"], op["order"], op["component"])
            for name, op in plan_ops.items()
            if name in skipped and op["records_skip"]
        ]
    )
    return deltas.final_context(lineages, unreached)


def _plan_ops(instance: dg.DagsterInstance, run: dg.DagsterRun) -> dict[str, dict[str, Any]]:
    snapshot = instance.get_job_snapshot(run.job_snapshot_id) if run.job_snapshot_id else None
    value = snapshot.metadata.get(PLAN_METADATA) if snapshot is not None else None
    if value is None:
        raise ExecutionError(f"run {run.run_id} is not a run of a neurocore-dagster job")
    return value.value["ops"]


def _root_of(refs_path: Path, run_id: str) -> Path:
    """The IO manager's base folder: the parent of the ``<run_id>`` folder."""
    for parent in refs_path.parents:
        if parent.name == run_id:
            return parent.parent
    raise ExecutionError(f"unexpected output location {refs_path}")


def _scan_events(
    run_id: str, events: Any, wanted: set[str] | None
) -> tuple[dict[str, tuple[str, str]], set[str], bool]:
    """Stored context outputs and Dagster-skipped steps among a run's events."""
    outputs: dict[str, tuple[str, str]] = {}
    skipped: set[str] = set()
    suspended = False
    for event in events:
        if event is None or event.step_key is None:
            continue
        if wanted is not None and event.step_key not in wanted:
            continue
        if event.event_type == dg.DagsterEventType.STEP_SKIPPED:
            skipped.add(event.step_key)
        elif event.event_type == dg.DagsterEventType.STEP_OUTPUT:
            data = event.event_specific_data
            if data.step_output_handle.output_name == CONTEXT_OUTPUT:
                flag = data.metadata.get("suspended")
                suspended = suspended or bool(flag is not None and flag.value)
        elif event.event_type == dg.DagsterEventType.HANDLED_OUTPUT:
            data = event.event_specific_data
            if data.output_name == CONTEXT_OUTPUT:
                outputs[event.step_key] = (run_id, data.metadata["refs_path"].value)
    return outputs, skipped, suspended


def _collect_steps(
    instance: dg.DagsterInstance, run: dg.DagsterRun, wanted: set[str] | None
) -> tuple[dict[str, tuple[str, str]], set[str], bool]:
    """Per step key: where its context output is stored, or that Dagster skipped it.

    A re-executed run inherits, from its parent, the steps it did not run again.
    """
    records = instance.get_records_for_run(
        run.run_id,
        of_type={
            dg.DagsterEventType.HANDLED_OUTPUT,
            dg.DagsterEventType.STEP_SKIPPED,
            dg.DagsterEventType.STEP_OUTPUT,
        },
    ).records
    outputs, skipped, suspended = _scan_events(
        run.run_id, (r.event_log_entry.dagster_event for r in records), wanted
    )
    if run.parent_run_id and run.step_keys_to_execute is not None:
        parent = instance.get_run_by_id(run.parent_run_id)
        if parent is not None:
            rerun = set(run.step_keys_to_execute)
            inherited = None if wanted is None else wanted - rerun
            parent_outputs, parent_skipped, _ = _collect_steps(instance, parent, inherited)
            for key, value in parent_outputs.items():
                if key not in rerun:
                    outputs.setdefault(key, value)
            skipped |= {k for k in parent_skipped if k not in rerun}
    return outputs, skipped, suspended


def resume_blueprint(
    run_id: str,
    *,
    instance: dg.DagsterInstance | None = None,
    registry: SkillRegistry | None = None,
    resume_data: Mapping[str, Any] | None = None,
    project_root: str | Path | None = None,
) -> BlueprintRun:
    """Continue a failed or suspended run in a new Dagster run whose parent it is.

    A failed run is re-executed from failure: ops that succeeded are not run
    again, their outputs load from the parent. A suspended run is re-executed
    from the op it stopped at, with ``resume_data`` (for an approval gate:
    ``{"approved": bool, "note": str, "by": str}``); it takes one decision only.
    The job is rebuilt from the blueprint snapshot the run recorded.
    """
    target = resolve_instance(instance, project_root)
    run = target.get_run_by_id(run_id)
    if run is None:
        raise ExecutionError(f"no run {run_id!r} in this Dagster instance")
    blueprint, changed = recorded_blueprint(target, run)
    options = _reexecution_options(target, run, resume_data)
    config = copy.deepcopy(dict(run.run_config))
    resources = config.setdefault("resources", {})
    if resume_data is not None:
        run_resource = resources.setdefault(RUN_RESOURCE_KEY, {}).setdefault("config", {})
        run_resource["resume_data"] = dict(resume_data)
    config["execution"] = {"config": {"in_process": {}}}
    tags = decision_tags(resume_data)
    if changed:
        tags["neurocore/blueprint_changed"] = "true"
    from neurocore_dagster.dagster_layer.reconstruct import reconstructable_job

    job = reconstructable_job(blueprint, registry, project_root)
    result = dg.execute_job(job, target, run_config=config, tags=tags, reexecution_options=options)
    return blueprint_run(result.run_id, instance=target)


def decision_tags(resume_data: Mapping[str, Any] | None) -> dict[str, str]:
    if resume_data is None:
        return {}
    tags = {DECISION_TAG: "approved" if resume_data.get("approved") else "rejected"}
    if resume_data.get("by"):
        tags["neurocore/decided_by"] = str(resume_data["by"])[:200]
    if resume_data.get("note"):
        tags["neurocore/decision_note"] = str(resume_data["note"])[:200]
    return tags


def _reexecution_options(
    instance: dg.DagsterInstance, run: dg.DagsterRun, resume_data: Mapping[str, Any] | None
) -> dg.ReexecutionOptions:
    if is_suspended(run):
        decided = run.tags.get(DECIDED_IN_TAG)
        if decided:
            raise ExecutionError(
                f"run {run.run_id} was already decided in run {decided}; "
                "a suspended run takes one decision"
            )
        op_key = run.tags[SUSPENDED_OP_TAG]
        names = {op["key"]: name for name, op in _plan_ops(instance, run).items()}
        return dg.ReexecutionOptions(parent_run_id=run.run_id, step_selection=[f"{names[op_key]}*"])
    if run.status == dg.DagsterRunStatus.FAILURE:
        if resume_data is not None:
            raise ExecutionError(f"run {run.run_id} failed; resume_data is only for suspended runs")
        return dg.ReexecutionOptions.from_failure(run.run_id, instance)
    raise ExecutionError(
        f"run {run.run_id} is {run.status.value.lower()}; only failed or "
        "suspended runs can be resumed"
    )


def is_suspended(run: dg.DagsterRun) -> bool:
    return run.tags.get(STATUS_TAG) == "suspended" and run.status == dg.DagsterRunStatus.SUCCESS


def recorded_blueprint(instance: dg.DagsterInstance, run: dg.DagsterRun) -> tuple[Blueprint, bool]:
    """The blueprint a run ran (its snapshot), and whether its file has changed since."""
    snapshot = instance.get_job_snapshot(run.job_snapshot_id) if run.job_snapshot_id else None
    from neurocore_dagster.dagster_layer.job import BLUEPRINT_METADATA, SOURCE_METADATA

    metadata = snapshot.metadata if snapshot is not None else {}
    if BLUEPRINT_METADATA not in metadata:
        raise ExecutionError(f"run {run.run_id} is not a run of a neurocore-dagster job")
    blueprint = Blueprint.model_validate(metadata[BLUEPRINT_METADATA].value)
    source = metadata.get(SOURCE_METADATA)
    changed = False
    if source is not None:
        from neurocore_dagster.blueprint.loader import load_blueprint
        from neurocore_dagster.errors import BlueprintError

        path = Path(source.value)
        try:
            changed = (
                not path.exists() or load_blueprint(path).model_dump() != blueprint.model_dump()
            )
        except BlueprintError:
            changed = True
        if changed:
            log.warning(
                "blueprint file %s changed since run %s; resuming with the blueprint "
                "as that run recorded it",
                path,
                run.run_id,
            )
    return blueprint, changed
