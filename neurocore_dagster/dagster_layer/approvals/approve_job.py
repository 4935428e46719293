"""``neurocore__approve_run``: decide a run suspended at an approval gate from the Dagster UI.

Every project's definitions hold this one job (its name cannot clash: job names
starting with ``neurocore__`` are refused for blueprints). Its launchpad config
names the suspended run (a full id or a unique prefix) and the decision; its one
op re-executes the run with :func:`~.reexecute.reexecute_run`, exactly as
``resume_blueprint`` (``neurocore-dagster runs approve``) does,
so the decision is claimed once in run storage (a second one, from here, the CLI
or a launchpad re-execution, is refused naming who decided) and the child run
carries the decision tags. The child runs in the approve run's process, on the
instance that launched it (the run worker's ``DAGSTER_HOME``), with the skills of
the project whose blueprints folder holds the decided run's blueprint file. One job
object serves every project built in the process (Dagster refuses two jobs of one
name in a code location, as two ``dg`` components would give).

The decider (``by``) is, in order: the config value; the ``user`` tag Dagster+
puts on runs launched by a signed-in user (Dagster's ``USER_TAG``); the OS user
the run worker runs as (for a local ``dagster dev``, whoever started it).
"""

from __future__ import annotations

import getpass
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
from dagster._core.storage.runs.schema import RunsTable
from dagster._core.storage.runs.sql_run_storage import SqlRunStorage

# Dagster+ tags a run with its creator's e-mail under this key (open source sets none).
from dagster._core.storage.tags import USER_TAG

from neurocore_dagster.dagster_layer.approvals.reexecute import reexecute_run
from neurocore_dagster.dagster_layer.approvals.suspensions import ended_at_gate
from neurocore_dagster.dagster_layer.executors.reaping import reap_if_dead
from neurocore_dagster.dagster_layer.storage.run_outcome import outcome_status, run_failure_message
from neurocore_dagster.errors import ExecutionError
from neurocore_dagster.keys import (
    APPROVE_JOB_NAME,
    APPROVE_OP_NAME,
    DECIDES_TAG,
    RESUMED_IN_TAG,
    SOURCE_METADATA,
    STATUS_TAG,
)
from neurocore_dagster.project.config import Project
from neurocore_dagster.skills.registry import SkillRegistry

_RUN_ID_CHARS = re.compile(r"[0-9a-f-]+")
_SHOWN_MATCHES = 5
PENDING_HINT = (
    "pending runs: filter runs by tag neurocore/status=suspended in the UI, or "
    "`neurocore-dagster runs list --pending`"
)

CONFIG_SCHEMA = {
    "run_id": dg.Field(str, description="The suspended run: its full id or a unique prefix."),
    "approved": dg.Field(bool, description="true approves, false rejects."),
    "note": dg.Field(str, is_required=False, description="Why; the child run carries it."),
    "by": dg.Field(
        str,
        is_required=False,
        description="Who decides. Default: the launching user (Dagster+'s `user` run tag), "
        "else the OS user of the run worker.",
    ),
}


@dataclass(frozen=True)
class ServedProject:
    """A project whose definitions hold the approve job, with the registry they were given."""

    root: Path
    blueprints: Path
    registry: SkillRegistry | None
    """None: skills are discovered from ``root``, as the CLI does."""


_SERVED: dict[Path, ServedProject] = {}
"""Every project whose definitions this process built, by root. Dagster accepts one job
per name in a code location, so projects that share one (two ``dg`` components) share
the job, and its op picks the project of the run it decides."""


@dg.op(
    name=APPROVE_OP_NAME,
    config_schema=CONFIG_SCHEMA,
    out=dg.Out(dg.Nothing),
    description="Takes the suspended run's one decision and re-executes it from its gate.",
)
def decide_suspended_run(context) -> dg.Output[None]:  # type: ignore[no-untyped-def]
    return decide_run(context, context.op_config)


@dg.job(
    name=APPROVE_JOB_NAME,
    executor_def=dg.in_process_executor,
    description="Approve or reject a run suspended at an approval gate (as `neurocore-"
    "dagster runs approve`). Pending runs carry the tag neurocore/status=suspended.",
)
def approve_run() -> None:
    decide_suspended_run()


def approve_job(project: Project, registry: SkillRegistry | None) -> dg.JobDefinition:
    """The approve job, now serving ``project`` too (``registry``: the definitions' own)."""
    root = project.root.resolve()
    _SERVED[root] = ServedProject(root, project.blueprints_dir.resolve(), registry)
    return approve_run


def served_project(instance: dg.DagsterInstance, run: dg.DagsterRun) -> ServedProject:
    """The project whose blueprints folder holds the file ``run`` ran, else the only one."""
    snapshot = instance.get_job_snapshot(run.job_snapshot_id) if run.job_snapshot_id else None
    source = snapshot.metadata.get(SOURCE_METADATA) if snapshot is not None else None
    path = Path(str(source.value)).resolve() if source is not None else None
    holding = [p for p in _SERVED.values() if path is not None and p.blueprints in path.parents]
    if holding:
        return max(holding, key=lambda p: len(p.blueprints.parts))
    if len(_SERVED) == 1:
        return next(iter(_SERVED.values()))
    roots = ", ".join(str(p.root) for p in _SERVED.values())
    raise ExecutionError(
        f"run {run.run_id} ran {path or 'a blueprint given without a file'}, which is in none "
        f"of the projects this code location serves ({roots}); decide it with "
        "`neurocore-dagster runs approve` in its project"
    )


def decide_run(context: dg.OpExecutionContext, config: Mapping[str, Any]) -> dg.Output[None]:
    """Resume the named run with the decision; the approve run names it and its child."""
    instance = context.instance
    target = gated_run(instance, find_run(instance, config["run_id"]))
    project = served_project(instance, target)
    decision = {
        "approved": config["approved"],
        "note": config.get("note", ""),
        "by": decider(config, context.run),
    }
    instance.add_run_tags(context.run_id, {DECIDES_TAG: target.run_id})
    child = reexecute_run(
        instance,
        target.run_id,
        registry=project.registry,
        project_root=project.root,
        resume_data=decision,
    )
    instance.add_run_tags(context.run_id, {RESUMED_IN_TAG: child.run_id})
    word = "approved" if decision["approved"] else "rejected"
    child_run = instance.get_run_by_id(child.run_id)
    assert child_run is not None, child.run_id  # execute_job created it
    status = outcome_status(child_run)
    if status == "failed":
        raise ExecutionError(
            f"run {target.run_id} was {word} by {decision['by']!r}; its re-execution, run "
            f"{child.run_id}, failed: {run_failure_message(instance, child.run_id)}"
        )
    return dg.Output(
        None,
        metadata={
            "decided_run": target.run_id,
            "child_run": child.run_id,
            "decision": word,
            "by": decision["by"],
            "child_status": status,
        },
    )


def find_run(instance: dg.DagsterInstance, text: str) -> dg.DagsterRun:
    """The run whose id is ``text``, or the one run whose id starts with it."""
    wanted = text.strip().lower()
    if not _RUN_ID_CHARS.fullmatch(wanted):
        raise ExecutionError(
            f"run_id {text!r} is not a run id: expected a full run id or a prefix of one "
            f"(hex digits and '-'); {PENDING_HINT}"
        )
    run = instance.get_run_by_id(wanted)
    if run is not None:
        return run
    matches = _ids_starting_with(instance, wanted)
    if not matches:
        raise ExecutionError(
            f"run_id {text!r}: no run in this Dagster instance has it; {PENDING_HINT}"
        )
    if len(matches) > 1:
        shown = ", ".join(matches[:_SHOWN_MATCHES])
        more = " ..." if len(matches) > _SHOWN_MATCHES else ""
        raise ExecutionError(
            f"run_id {text!r} is ambiguous: runs {shown}{more} start with it; give more of the id"
        )
    found = instance.get_run_by_id(matches[0])
    assert found is not None, matches[0]
    return found


def _ids_starting_with(instance: dg.DagsterInstance, prefix: str) -> list[str]:
    """Run ids that start with ``prefix`` (hex and '-', so nothing to escape in LIKE)."""
    storage = instance.run_storage
    if not isinstance(storage, SqlRunStorage):
        raise ExecutionError(
            f"run_id {prefix!r}: a prefix needs SQL run storage; give the full run id"
        )
    query = (
        RunsTable.select()
        .with_only_columns(RunsTable.c.run_id)
        .where(RunsTable.c.run_id.like(f"{prefix}%"))
        .limit(_SHOWN_MATCHES + 1)
    )
    with storage.connect() as conn:
        return sorted(str(row[0]) for row in conn.execute(query))


def gated_run(instance: dg.DagsterInstance, run: dg.DagsterRun) -> dg.DagsterRun:
    """``run`` if it ended at a gate; whether its decision is still free the claim decides."""
    run = reap_if_dead(instance, run)
    if ended_at_gate(run):
        return run
    status = run.tags.get(STATUS_TAG) or run.status.value.lower()
    raise ExecutionError(
        f"run {run.run_id} ({run.job_name}) is {status}, not suspended at an approval gate; "
        f"only a pending run takes a decision; {PENDING_HINT}"
    )


def decider(config: Mapping[str, Any], run: dg.DagsterRun) -> str:
    """Who decides: ``by``, else the launching user Dagster+ recorded, else the OS user."""
    given = config.get("by")
    if given:
        return str(given)
    launched_by = run.tags.get(USER_TAG)
    if launched_by:
        return launched_by
    try:
        return getpass.getuser()
    except (KeyError, OSError) as exc:
        raise ExecutionError(
            f"no decider: config `by` is not set, the run has no {USER_TAG!r} tag, and the "
            f"run worker's OS user is unknown ({exc}); set `by` in the launchpad config"
        ) from exc
