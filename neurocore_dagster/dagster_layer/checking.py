"""Check every blueprint of a project the one way ``validate`` and ``build_definitions`` share.

A file is *loaded* when it parses, validates, builds a job, and its job and
trigger names are its own; otherwise it is *broken*, with a located error for
that file alone. The whole project is considered at once, because some problems
exist only between files: two blueprints that become one job name, a
``run_status`` trigger naming a blueprint no file defines, two triggers of one
name. Of two files that clash, the later one (in sorted path order) is broken;
the earlier keeps its job.

Problems that do not stop a job from being built (a ``neurocore.yaml``
``skills:`` entry naming no known skill, a section or key NeuroCore ignores, a
blueprint key NeuroCore ignores or a value it converts) are warnings; ``strict``
callers turn them into errors.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg

from neurocore_dagster.blueprint.loader import read_blueprint
from neurocore_dagster.blueprint.model import Blueprint
from neurocore_dagster.dagster_layer.assets.project import BlueprintJob, asset_key_clashes
from neurocore_dagster.dagster_layer.jobs.build import job_for_project
from neurocore_dagster.dagster_layer.translation.translator import BlueprintTranslator
from neurocore_dagster.dagster_layer.triggers import TriggerDef, build_triggers
from neurocore_dagster.errors import BlueprintError, BlueprintIssue, issue
from neurocore_dagster.project.config import Project
from neurocore_dagster.skills.registry import SkillRegistry

Overrides = Mapping[str, Mapping[str, Mapping[str, Any]]]


@dataclass
class Loaded:
    """A blueprint file that became a job (and its triggers)."""

    blueprint: Blueprint
    job: dg.JobDefinition
    shown: str
    triggers: list[TriggerDef] = field(default_factory=list)


@dataclass
class ProjectCheck:
    """What checking a project found: jobs by file, errors by file, and warnings."""

    loaded: dict[str, Loaded] = field(default_factory=dict)
    broken: dict[str, BlueprintError] = field(default_factory=dict)
    warnings: list[BlueprintIssue] = field(default_factory=list)
    broken_skill_files: dict[str, BlueprintError] = field(default_factory=dict)
    """Skill files that failed to import, by the name errors show (no job of their own:
    the blueprints that use their skills are broken, naming them)."""

    @property
    def triggers(self) -> list[TriggerDef]:
        return [t for item in self.loaded.values() for t in item.triggers]


def check_project(
    project: Project,
    registry: SkillRegistry,
    files: list[tuple[Path, str]],
    *,
    translator: BlueprintTranslator | None = None,
    overrides: Overrides | None = None,
) -> ProjectCheck:
    """Every file of ``files`` (path, name shown in errors) loaded or broken; see the module."""
    check = ProjectCheck(warnings=[*project.warnings, *unknown_skill_warnings(project, registry)])
    for broken in registry.broken_files:
        shown = _shown(project, broken.path)
        check.broken_skill_files[shown] = broken.as_error(shown)
    remaining = dict(overrides or {})
    by_job_name: dict[str, Loaded] = {}
    for path, shown in files:
        try:
            blueprint = read_blueprint(path, shown)
            job = job_for_project(
                blueprint, registry, project, translator, remaining.pop(blueprint.name, None)
            )
        except BlueprintError as error:
            check.broken[shown] = error
            continue
        clash = by_job_name.get(job.name)
        if clash is not None:
            check.broken[shown] = _job_name_clash(clash.shown, shown, job.name, blueprint)
            continue
        check.loaded[shown] = by_job_name[job.name] = Loaded(blueprint, job, shown)
        check.warnings.extend(blueprint.warnings)
    _check_asset_keys(check)
    _check_triggers(check, project)
    for name in sorted(remaining):
        check.broken["<config_overrides>"] = BlueprintError(
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
    return check


def _shown(project: Project, path: Path) -> str:
    try:
        return os.path.relpath(path, project.root)
    except ValueError:
        return str(path)


def _check_asset_keys(check: ProjectCheck) -> None:
    """A file declaring an asset key an earlier file declared is broken."""
    items = [BlueprintJob(s, i.blueprint, i.job) for s, i in check.loaded.items()]
    for shown, error in asset_key_clashes(items).items():
        check.broken[shown] = error
        del check.loaded[shown]


def _job_name_clash(first: str, shown: str, job_name: str, blueprint: Blueprint) -> BlueprintError:
    return BlueprintError(
        [
            blueprint.source.locate(
                issue(
                    "job.name_clash",
                    f"blueprints {first} and {shown} both become Dagster job {job_name!r}",
                    ("name",),
                    file=shown,
                    input=blueprint.name,
                    expected="blueprint names that differ after replacing characters other "
                    "than letters, digits and _",
                )
            )
        ]
    )


def _check_triggers(check: ProjectCheck, project: Project) -> None:
    """Build each loaded file's triggers; a file whose triggers fail, or reuse a trigger
    name an earlier file took, is broken. Repeated until nothing more breaks, since a
    ``run_status`` trigger may name a blueprint that just broke."""
    while True:
        broke = _trigger_round(check, project)
        if not broke:
            return


def _trigger_round(check: ProjectCheck, project: Project) -> bool:
    """One pass over the loaded files' triggers; whether a file broke."""
    by_name = {item.blueprint.name: item.job for item in check.loaded.values()}
    taken: dict[str, str] = {}
    broke = False
    for shown, item in list(check.loaded.items()):
        try:
            built = build_triggers(item.blueprint, item.job, by_name, project.root)
            _refuse_taken_names(item, built, taken)
        except BlueprintError as error:
            check.broken[shown] = error
            del check.loaded[shown]
            broke = True
            continue
        taken.update((t.name, shown) for t in built)
        item.triggers = built
    return broke


def _refuse_taken_names(item: Loaded, built: list[TriggerDef], taken: Mapping[str, str]) -> None:
    clashes = [t.name for t in built if t.name in taken]
    if clashes:
        raise BlueprintError(
            [
                item.blueprint.source.locate(
                    issue(
                        "trigger.name_clash",
                        f"trigger {name!r} is already a trigger of {taken[name]}",
                        ("triggers",),
                        file=item.shown,
                        input=name,
                        expected="a trigger name no other blueprint uses",
                    )
                )
                for name in clashes
            ]
        )


def unknown_skill_warnings(project: Project, registry: SkillRegistry) -> list[BlueprintIssue]:
    """A located warning for each ``neurocore.yaml`` ``skills:`` entry no skill has."""
    known = registry.names()
    found = []
    for name in project.config.skills:
        if name in registry:
            continue
        close = difflib.get_close_matches(name, known, n=3)
        hint = f"did you mean {', '.join(close)}?" if close else "no skill has a similar name"
        found.append(
            project.source.locate(
                issue(
                    "project.unknown_skill",
                    f"skills.{name}: no skill named {name!r} ({hint}); its config is unused",
                    ("skills", name),
                    input=name,
                    expected=f"a skill name: {', '.join(close or known)}",
                )
            )
        )
    return found
