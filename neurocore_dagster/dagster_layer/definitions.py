"""``Definitions`` for a whole project: one job per blueprint file, with its triggers,
and the approve job that decides suspended runs from the UI (:mod:`approve_job`).

A broken blueprint never hides the others. By default each one is logged and
shown in the Dagster UI as a job named ``broken__<file stem>``, whose
description is the error (file, line, key, what would be valid) and whose only
op fails with that error if launched; ``strict=True`` raises instead.
"""

from __future__ import annotations

import gc
import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg

from neurocore_dagster.blueprint.loader import read_blueprint
from neurocore_dagster.dagster_layer.approvals.approve_job import approve_job
from neurocore_dagster.dagster_layer.assets.project import BlueprintJob, project_assets
from neurocore_dagster.dagster_layer.checking import ProjectCheck, check_project
from neurocore_dagster.dagster_layer.executors.selection import step_blueprint_hint
from neurocore_dagster.dagster_layer.jobs.build import job_for_project
from neurocore_dagster.dagster_layer.translation.names import dagster_name
from neurocore_dagster.dagster_layer.translation.translator import BlueprintTranslator
from neurocore_dagster.errors import BlueprintError
from neurocore_dagster.keys import BROKEN_PREFIX, BROKEN_TAG, ERROR_METADATA, SOURCE_METADATA
from neurocore_dagster.plan.names import unique_name
from neurocore_dagster.project.config import Project, load_project
from neurocore_dagster.skills.discovery import discover_usable_skills
from neurocore_dagster.skills.registry import SkillRegistry

log = logging.getLogger("neurocore_dagster")
BLUEPRINT_SUFFIXES = (".yaml", ".yml")


def blueprint_files(project: Project) -> list[Path]:
    """Every blueprint file under the project's blueprints folder, recursively, sorted."""
    folder = project.blueprints_dir
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.suffix in BLUEPRINT_SUFFIXES and p.is_file())


def display_path(project: Project, path: Path, root: Path | None = None) -> str:
    """``path`` as errors show it: relative to ``root`` (default: the project root)."""
    try:
        return os.path.relpath(path, root or project.root)
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
    """A job per blueprint, plus its schedules and sensors, and ``neurocore__approve_run``.

    ``config_overrides`` maps a blueprint name to ``{component: {key: value}}``; it
    wins over ``neurocore.yaml`` and the blueprint, and loses to run config.
    """
    return project_definitions(
        load_project(project_root),
        registry=registry,
        translator=translator,
        strict=strict,
        config_overrides=config_overrides,
    )


def project_definitions(
    project: Project,
    *,
    registry: SkillRegistry | None = None,
    translator: BlueprintTranslator | None = None,
    strict: bool = False,
    config_overrides: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None,
    display_root: Path | None = None,
    warnings_fail: bool | None = None,
) -> dg.Definitions:
    """:func:`build_definitions` for a loaded project; every entry point ends here.

    Files are named in errors relative to ``display_root`` (default: the project
    root), so a tool running elsewhere (``dg``) can print paths its user can open.
    ``warnings_fail`` (default: ``strict``) says whether ``strict`` raises on warnings
    too, or only on broken files (``dg check defs`` by default, like ``validate``).
    """
    overrides = dict(config_overrides or {})
    approve = approve_job(project, registry)  # resumes with the registry given, as the CLI
    registry = registry if registry is not None else discover_usable_skills(project)
    step_blueprint = _step_blueprint(project)
    if step_blueprint is not None:
        return _step_definitions(step_blueprint, registry, project, translator, overrides)
    with _collector_paused():
        strictness = (strict, strict if warnings_fail is None else warnings_fail)
        defs = _definitions(project, registry, translator, strictness, overrides, display_root)
    return dg.Definitions.merge(defs, dg.Definitions(jobs=[approve]))


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector does not run while a project's jobs are built.

    Building allocates hundreds of thousands of objects (op, config and resource
    definitions) that live on, so each full collection re-scans the whole heap and
    finds almost nothing: about a quarter of the time of a 100-blueprint project. Reference
    counting still frees everything else at once, and the collector resumes as it
    was (off stays off); that it was paused changes no result.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _definitions(
    project: Project,
    registry: SkillRegistry,
    translator: BlueprintTranslator | None,
    strictness: tuple[bool, bool],
    overrides: dict[str, Mapping[str, Mapping[str, Any]]],
    display_root: Path | None,
) -> dg.Definitions:
    """Every blueprint file's job and triggers; a broken one as a placeholder job (or raised,
    ``strictness[0]``, with the warnings when ``strictness[1]``)."""
    files = [(p, display_path(project, p, display_root)) for p in blueprint_files(project)]
    check = check_project(project, registry, files, translator=translator, overrides=overrides)
    strict, warnings_fail = strictness
    failing = check.warnings if strict and warnings_fail else []
    broken = [*check.broken_skill_files.values(), *check.broken.values()]
    if strict and (broken or failing):
        warned = [BlueprintError(failing)] if failing else []
        raise BlueprintError.combine([*warned, *broken])
    for found in check.warnings:
        log.warning("%s", found.render())
    for error in check.broken_skill_files.values():
        log.error("skill file left out (its skills are not registered):\n%s", error)
    for error in check.broken.values():
        log.error("blueprint left out of the definitions:\n%s", error)
    jobs = [item.job for item in check.loaded.values()]
    names = placeholder_names(sorted(check.broken), {job.name for job in jobs})
    jobs.extend(broken_job(shown, error, names[shown]) for shown, error in check.broken.items())
    triggers = check.triggers
    schedules = [t for t in triggers if isinstance(t, dg.ScheduleDefinition)]
    sensors = [t for t in triggers if isinstance(t, dg.SensorDefinition)]
    specs, checks = project_assets(
        [BlueprintJob(s, i.blueprint, i.job) for s, i in check.loaded.items()],
        registry,
        project.root,
    )
    return dg.Definitions(
        jobs=jobs, schedules=schedules, sensors=sensors, assets=specs, asset_checks=checks
    )


def validate_project(
    project: Project, registry: SkillRegistry, paths: Sequence[Path] = ()
) -> ProjectCheck:
    """What :func:`build_definitions` finds (the same :func:`check_project` on the same
    files, in the same order), narrowed to ``paths`` when given.

    Files named in ``paths`` outside the blueprints folder are checked with the project's
    files, so a ``run_status`` trigger or a job name clash is judged against the project.
    """
    files = [(p, display_path(project, p)) for p in blueprint_files(project)]
    shown_as = {p.resolve(): shown for p, shown in files}
    for path in paths:  # a file outside the blueprints folder is named as given
        if path.resolve() not in shown_as:
            shown_as[path.resolve()] = str(path)
            files.append((path, str(path)))
    check = check_project(project, registry, files)
    if not paths:
        return check
    wanted = {shown_as[p.resolve()] for p in paths}
    others = set(shown_as.values()) - wanted  # the project's own warnings stay
    return ProjectCheck(
        loaded={k: v for k, v in check.loaded.items() if k in wanted},
        broken={k: v for k, v in check.broken.items() if k in wanted},
        warnings=[w for w in check.warnings if w.file not in others],
        broken_skill_files=check.broken_skill_files,
    )


def _step_blueprint(project: Project) -> Path | None:
    """The blueprint a step process runs, when the executor said so (and it is ours)."""
    hint = step_blueprint_hint()
    if not hint:
        return None
    path = Path(hint)
    blueprints = project.blueprints_dir.resolve()
    if not path.is_file() or blueprints not in path.resolve().parents:
        return None
    return path


def _step_definitions(
    path: Path,
    registry: SkillRegistry,
    project: Project,
    translator: BlueprintTranslator | None,
    overrides: dict[str, Mapping[str, Mapping[str, Any]]],
) -> dg.Definitions:
    """Only the job a step process needs: its blueprint's (no triggers, no other jobs)."""
    blueprint = read_blueprint(path, display_path(project, path))
    job = job_for_project(blueprint, registry, project, translator, overrides.get(blueprint.name))
    return dg.Definitions(jobs=[job])


def broken_job_name(shown: str) -> str:
    """``broken__<file stem>``, the placeholder job of a broken blueprint file."""
    return BROKEN_PREFIX + dagster_name(Path(shown).stem)


def placeholder_names(broken: list[str], taken: set[str]) -> dict[str, str]:
    """Each broken file's placeholder job name: ``broken__<file stem>``.

    Healthy jobs never start with ``broken__`` (such a blueprint name is refused), so
    a placeholder always gets its documented name unless another broken file has the
    same stem; those get ``_2``, ``_3`` ... in path order, after every exact name is
    given out.
    """
    names: dict[str, str] = {}
    used = set(taken)
    for shown in broken:
        wanted = broken_job_name(shown)
        if wanted not in used:
            names[shown] = wanted
            used.add(wanted)
    for shown in broken:
        if shown in names:
            continue
        names[shown] = unique_name(broken_job_name(shown), used)
    return names


def broken_job(shown: str, error: BlueprintError, name: str | None = None) -> dg.JobDefinition:
    """A job that shows a broken blueprint's error in the UI and fails if launched.

    Its op is defined per job (Dagster refuses two op definitions of one name in a
    repository) and shown under the alias ``report_blueprint_error``.
    """
    text = str(error)
    job_name = name or broken_job_name(shown)

    @dg.op(name=f"{job_name}__report_blueprint_error", description=text)
    def report_blueprint_error() -> None:
        raise error

    @dg.job(
        name=job_name,
        description=f"Blueprint {shown} could not be loaded.\n\n```\n{text}\n```",
        tags={BROKEN_TAG: "true"},
        metadata={SOURCE_METADATA: shown, ERROR_METADATA: text},
    )
    def broken() -> None:
        report_blueprint_error.alias("report_blueprint_error")()

    return broken
