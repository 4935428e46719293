"""Rebuild the job a run ran, from what the run recorded, for a resume.

The job is rebuilt from the run's blueprint snapshot with the recorded config
overrides, the recorded ``neurocore.yaml`` values (``{env: NAME}`` references
are read again when the resumed run starts) and the recorded translator class,
imported and created with its recorded settings (or the ``translator`` the
caller passes, which must be of that class). Skills are discovered again, so a
fixed skill runs fixed. The executor is not part of the shape: a resume runs in
the calling process.

Afterwards the rebuilt job's shape must equal the recorded one; otherwise the
resume is refused with an error naming every difference (a translator whose
code now names ops differently, a literal API key that changed). That
``neurocore.yaml`` changed since the run is not a difference: the recorded
values are used, and the resume says so (a warning and a run tag).
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import dagster as dg

from neurocore_dagster.blueprint.loader import load_blueprint
from neurocore_dagster.blueprint.model import Blueprint
from neurocore_dagster.blueprint.source import SourceMap
from neurocore_dagster.dagster_layer.executors.selection import blueprint_executor
from neurocore_dagster.dagster_layer.jobs.build import build_job, job_for_project
from neurocore_dagster.dagster_layer.jobs.job_shape import (
    DIGEST_KEY,
    ShapeMismatchError,
    differences,
    digest,
    mismatch,
    project_values,
    translator_path,
)
from neurocore_dagster.dagster_layer.translation.translator import (
    BlueprintTranslator,
    TranslatorSettings,
    validate_translator,
)
from neurocore_dagster.errors import BlueprintError, ExecutionError
from neurocore_dagster.keys import (
    BLUEPRINT_CHANGED_TAG,
    BLUEPRINT_METADATA,
    PROJECT_CHANGED_TAG,
    SHAPE_METADATA,
    SHAPE_UNRECORDED_TAG,
    SOURCE_METADATA,
)
from neurocore_dagster.project.config import LLMSettings, Project, load_project
from neurocore_dagster.skills.discovery import discover_usable_skills
from neurocore_dagster.skills.registry import SkillRegistry

log = logging.getLogger("neurocore_dagster")


@dataclass(frozen=True)
class RecordedJob:
    """The job a run ran, rebuilt; what the resume must tell its caller."""

    blueprint: Blueprint
    job: dg.JobDefinition
    warnings: tuple[str, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)

    def noting(self, warning: str, tags: dict[str, str]) -> RecordedJob:
        return replace(self, warnings=(*self.warnings, warning), tags={**self.tags, **tags})


def rebuild_recorded_job(
    instance: dg.DagsterInstance,
    run: dg.DagsterRun,
    registry: SkillRegistry | None,
    project_root: str | Path | None,
    translator: BlueprintTranslator | None,
) -> RecordedJob:
    """``run``'s job, rebuilt from its record, or :class:`ShapeMismatchError`."""
    metadata = _snapshot_metadata(instance, run)
    blueprint, changed_file = _blueprint(metadata, run)
    rebuilt = _rebuild(metadata, run, blueprint, registry, project_root, translator)
    # A resume runs in the calling process: the package's executor (threads or
    # in_process), whatever executor the translator gave the job (Celery, k8s).
    in_process = rebuilt.job.with_executor_def(blueprint_executor(blueprint.source.path))
    rebuilt = replace(rebuilt, job=in_process)
    if changed_file is None:
        return rebuilt
    return rebuilt.noting(_changed_text(changed_file, run), {BLUEPRINT_CHANGED_TAG: "true"})


def recorded_blueprint(instance: dg.DagsterInstance, run: dg.DagsterRun) -> tuple[Blueprint, bool]:
    """The blueprint a run ran (its snapshot), and whether its file has changed since."""
    blueprint, changed_file = _blueprint(_snapshot_metadata(instance, run), run)
    return blueprint, changed_file is not None


def _snapshot_metadata(instance: dg.DagsterInstance, run: dg.DagsterRun) -> Mapping[str, Any]:
    snapshot = instance.get_job_snapshot(run.job_snapshot_id) if run.job_snapshot_id else None
    metadata = snapshot.metadata if snapshot is not None else {}
    if BLUEPRINT_METADATA not in metadata:
        raise ExecutionError(f"run {run.run_id} is not a run of a neurocore-dagster job")
    return metadata


def _blueprint(metadata: Mapping[str, Any], run: dg.DagsterRun) -> tuple[Blueprint, Path | None]:
    """The recorded blueprint (with its file's path), and that file if it changed since."""
    blueprint = Blueprint.model_validate(metadata[BLUEPRINT_METADATA].value)
    source = metadata.get(SOURCE_METADATA)
    if source is None:
        return blueprint, None
    path = Path(source.value)
    blueprint.with_source(SourceMap(path=str(path)))
    try:
        changed = not path.exists() or load_blueprint(path).model_dump() != blueprint.model_dump()
    except BlueprintError:
        changed = True
    if changed:
        log.warning(_changed_text(path, run))
    return blueprint, path if changed else None


def _changed_text(path: Path, run: dg.DagsterRun) -> str:
    return (
        f"blueprint file {path} changed since run {run.run_id}; using the blueprint as that "
        "run recorded it"
    )


def _rebuild(
    metadata: Mapping[str, Any],
    run: dg.DagsterRun,
    blueprint: Blueprint,
    registry: SkillRegistry | None,
    project_root: str | Path | None,
    translator: BlueprintTranslator | None,
) -> RecordedJob:
    value = metadata.get(SHAPE_METADATA)
    if value is None:
        text = (
            f"run {run.run_id} predates recorded job shapes; resuming it with the current "
            "neurocore.yaml and the given (else the default) translator"
        )
        log.warning(text)
        job = build_job(blueprint, registry, project_root=project_root, translator=translator)
        return RecordedJob(blueprint, job, (text,), {SHAPE_UNRECORDED_TAG: "true"})
    recorded: dict[str, Any] = value.value
    project = load_project(project_root)
    problems: list[str] = []
    chosen = _translator(recorded["translator"], translator, project.root, problems)
    replayed = _replayed_project(project, recorded["neurocore_yaml"], run.run_id, problems)
    if problems:
        raise _mismatch(run, problems)
    registry = registry if registry is not None else discover_usable_skills(project)
    job = job_for_project(blueprint, registry, replayed, chosen, recorded["config_overrides"])
    problems = differences(recorded, job.metadata[SHAPE_METADATA].value)
    if problems:
        raise _mismatch(run, problems)
    return _with_project_changes(job, project, blueprint, recorded, run.run_id)


def _with_project_changes(
    job: dg.JobDefinition,
    project: Project,
    blueprint: Blueprint,
    recorded: dict[str, Any],
    run_id: str,
) -> RecordedJob:
    """Say which ``neurocore.yaml`` values changed since the run (the recorded ones were used)."""
    was = recorded["neurocore_yaml"]
    now = project_values(project, {c.type for c in blueprint.components}, "llm" in was)
    changed = differences(was, now)
    if not changed:
        return RecordedJob(blueprint, job)
    text = (
        f"{project.config_file} changed since run {run_id} ("
        + "; ".join(changed)
        + "); resuming with the values that run recorded"
    )
    log.warning(text)
    keys = ", ".join(line.split(":", 1)[0] for line in changed)
    return RecordedJob(blueprint, job, (text,), {PROJECT_CHANGED_TAG: keys[:200]})


def _translator(
    recorded: dict[str, Any],
    given: BlueprintTranslator | None,
    project_root: Path,
    problems: list[str],
) -> BlueprintTranslator | None:
    """The given translator if it is of the recorded class, else one created from the record."""
    path = recorded["class"]
    if given is not None:
        given = validate_translator(given)
        if translator_path(given) != path:
            problems.append(
                f"translator: the run was built with {path}, the translator given is "
                f"{translator_path(given)}"
            )
        return given
    try:
        cls = _import(path, project_root)
    except (ImportError, AttributeError) as exc:
        problems.append(
            f"translator: the run was built with {path}, which cannot be imported here "
            f"({type(exc).__name__}: {exc}); pass translator=<an instance of it>"
        )
        return None
    try:
        settings = recorded["settings"]
        made = cls() if settings == _default_settings() else cls(TranslatorSettings(**settings))
        return validate_translator(made)
    except TypeError as exc:
        problems.append(
            f"translator: {path} cannot be created from its recorded settings {settings} "
            f"({exc}); pass translator=<an instance of it>"
        )
        return None


def _default_settings() -> dict[str, Any]:
    return asdict(TranslatorSettings())


def _import(path: str, project_root: Path) -> Any:
    """``module:QualName``; the project folder is importable too (a ``definitions.py``)."""
    module_name, _, qualname = path.partition(":")
    if "<locals>" in qualname.split("."):
        raise ImportError(f"{qualname} is defined inside a function")
    added = str(project_root) not in sys.path
    if added:
        sys.path.append(str(project_root))
    try:
        found: Any = importlib.import_module(module_name)
    finally:
        if added:
            sys.path.remove(str(project_root))
    for part in qualname.split("."):
        found = getattr(found, part)
    return found


def _replayed_project(
    project: Project, recorded: dict[str, Any], run_id: str, problems: list[str]
) -> Project:
    """``project`` with the ``neurocore.yaml`` values the run recorded in place of the file's."""
    config = project.config.model_copy(update={"skills": dict(recorded["skills"])})
    if "llm" in recorded:
        llm = dict(recorded["llm"])
        key = llm["api_key"]
        if isinstance(key, dict) and DIGEST_KEY in key:
            current = project.config.llm.api_key
            if isinstance(current, str) and digest(current) == key[DIGEST_KEY]:
                llm["api_key"] = current
            else:
                problems.append(
                    "llm.api_key: the run used a key written in neurocore.yaml, which has "
                    "changed since (only its digest is recorded); restore it, or write "
                    "api_key_env / {env: NAME} for future runs"
                )
        config = config.model_copy(update={"llm": LLMSettings.model_validate(llm)})
    source = SourceMap(file=f"<neurocore.yaml as run {run_id} recorded it>")
    return replace(project, config=config, source=source)


def _mismatch(run: dg.DagsterRun, problems: list[str]) -> ShapeMismatchError:
    return mismatch(
        run.run_id, problems, "A resume runs the job its parent ran, never other config."
    )
