"""Rebuild a blueprint's job in any process, for re-execution (resume).

Dagster re-executes a run through a ``ReconstructableJob``: a module-level
function and its arguments. Ours rebuilds the job from the blueprint snapshot
the run recorded, with the skills of ``project_root``, or with a registry held in
this process (only usable by in-process execution).
"""

from __future__ import annotations

import uuid
from pathlib import Path

import dagster as dg

from neurocore_dagster.blueprint.model import Blueprint
from neurocore_dagster.dagster_layer.job import build_job
from neurocore_dagster.errors import ExecutionError
from neurocore_dagster.skills.registry import SkillRegistry

_REGISTRIES: dict[str, SkillRegistry] = {}


def reconstructable_job(
    blueprint: Blueprint, registry: SkillRegistry | None, project_root: str | Path | None
) -> dg.ReconstructableJob:
    token = None
    if registry is not None:
        token = uuid.uuid4().hex
        _REGISTRIES[token] = registry
    root = str(Path(project_root).resolve()) if project_root is not None else None
    return dg.build_reconstructable_job(
        __name__,
        rebuild_job.__name__,
        reconstructable_args=(blueprint.model_dump_json(), root, token),  # type: ignore[arg-type]
    )


def rebuild_job(
    blueprint_json: str, project_root: str | None, registry_token: str | None
) -> dg.JobDefinition:
    registry = None
    if registry_token is not None:
        registry = _REGISTRIES.get(registry_token)
        if registry is None:
            raise ExecutionError(
                "this job was rebuilt with a skill registry held in another process; "
                "resume in process (the default) or pass project_root so skills are "
                "discovered"
            )
    blueprint = Blueprint.model_validate_json(blueprint_json)
    return build_job(blueprint, registry, project_root=project_root)
