"""``Definitions`` for a whole project: one job per blueprint file."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg

from neurocore_dagster.blueprint.loader import read_blueprint
from neurocore_dagster.dagster_layer.job import job_for_project
from neurocore_dagster.dagster_layer.translator import BlueprintTranslator
from neurocore_dagster.errors import BlueprintError, issue
from neurocore_dagster.skills.discovery import discover_project_skills
from neurocore_dagster.skills.project import Project, load_project
from neurocore_dagster.skills.registry import SkillRegistry

log = logging.getLogger("neurocore_dagster")
BLUEPRINT_SUFFIXES = (".yaml", ".yml")


def blueprint_files(project: Project) -> list[Path]:
    """Every blueprint file under the project's blueprints folder, recursively, sorted."""
    folder = project.blueprints_dir
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.suffix in BLUEPRINT_SUFFIXES and p.is_file())


def display_path(project: Project, path: Path) -> str:
    try:
        return os.path.relpath(path, project.root)
    except ValueError:
        return str(path)


def build_definitions(
    project_root: str | Path = ".",
    *,
    registry: SkillRegistry | None = None,
    translator: BlueprintTranslator | None = None,
    strict: bool = False,
    config_overrides: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None,
) -> dg.Definitions:
    """A job per blueprint. A broken blueprint is logged and left out (``strict`` raises).

    ``config_overrides`` maps a blueprint name to ``{component: {key: value}}``; it
    wins over ``neurocore.yaml`` and the blueprint, and loses to run config.
    """
    overrides = dict(config_overrides or {})
    project = load_project(project_root)
    registry = registry if registry is not None else discover_project_skills(project)
    jobs: dict[str, tuple[dg.JobDefinition, str]] = {}
    errors: list[BlueprintError] = []
    for path in blueprint_files(project):
        shown = display_path(project, path)
        try:
            blueprint = read_blueprint(path, shown)
            job = job_for_project(
                blueprint, registry, project, translator, overrides.pop(blueprint.name, None)
            )
        except BlueprintError as error:
            errors.append(error)
            continue
        if job.name in jobs:
            errors.append(
                BlueprintError(
                    [
                        issue(
                            "job.name_clash",
                            f"blueprints {jobs[job.name][1]} and {shown} both become "
                            f"Dagster job {job.name!r}",
                            ("name",),
                            file=shown,
                            expected="blueprint names that differ after replacing "
                            "characters other than letters, digits and _",
                        )
                    ]
                )
            )
            continue
        jobs[job.name] = (job, shown)
    for name in sorted(overrides):
        errors.append(
            BlueprintError(
                [
                    issue(
                        "config.unknown_blueprint",
                        f"config_overrides name blueprint {name!r}, which is not in the project",
                        (name,),
                        file="<config_overrides>",
                        input=name,
                    )
                ]
            )
        )
    if errors and strict:
        raise BlueprintError.combine(errors)
    for error in errors:
        log.error("blueprint left out of the definitions:\n%s", error)
    return dg.Definitions(jobs=[job for job, _ in jobs.values()])
