"""Resume a failed or suspended run: ``resume_blueprint``.

The work (reaping a dead run, rebuilding its recorded job, claiming its one
decision or resume, creating and executing the child run) is the Dagster
layer's :func:`~neurocore_dagster.dagster_layer.approvals.reexecute.reexecute_run`,
which the UI's approve job calls too; this module resolves the instance and
reads the child's outcome back.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg

from neurocore_dagster.dagster_layer.approvals.reexecute import reexecute_run
from neurocore_dagster.dagster_layer.translation.translator import BlueprintTranslator
from neurocore_dagster.service.results import BlueprintRun, blueprint_run
from neurocore_dagster.service.run_request import resolve_instance
from neurocore_dagster.skills.registry import SkillRegistry


def resume_blueprint(
    run_id: str,
    *,
    instance: dg.DagsterInstance | None = None,
    registry: SkillRegistry | None = None,
    resume_data: Mapping[str, Any] | None = None,
    project_root: str | Path | None = None,
    force: bool = False,
    translator: BlueprintTranslator | None = None,
) -> BlueprintRun:
    """Continue a failed or suspended run in a new Dagster run whose parent it is.

    A failed run is re-executed from failure: ops that succeeded are not run
    again, their outputs load from the parent. It is resumed once: while a
    re-execution of it succeeded or is running, resuming again is refused unless
    ``force``. A run whose process died is marked failed first. A suspended run
    is re-executed from the op it stopped at, with ``resume_data`` (for an
    approval gate: ``{"approved": bool, "note": str, "by": str}``); it takes one
    decision only, even when several arrive at once (:mod:`reexecution_claims`).
    The job is the one the run ran, rebuilt from what it recorded (blueprint
    snapshot, translator, config overrides, ``neurocore.yaml`` values; see
    :mod:`~neurocore_dagster.dagster_layer.jobs.recorded_job`), or the resume is
    refused naming each difference. ``translator`` is needed only when the
    recorded translator class cannot be imported or created from its settings.
    """
    target = resolve_instance(instance, project_root)
    child = reexecute_run(
        target,
        run_id,
        registry=registry,
        project_root=project_root,
        resume_data=resume_data,
        force=force,
        translator=translator,
    )
    return blueprint_run(child.run_id, instance=target, warnings=child.warnings)
