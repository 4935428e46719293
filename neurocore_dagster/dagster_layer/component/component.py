"""NeuroCore blueprints as a Dagster component, for projects managed with ``dg``.

A ``defs.yaml`` with ``type: neurocore_dagster.BlueprintsComponent`` builds what
:func:`~neurocore_dagster.build_definitions` builds for the same project, through
the same function: one job per blueprint with its resources, schedules and
sensors, and a ``broken__<stem>`` job per blueprint that does not load. On top,
``defs.yaml`` may name the folders and give each job tags, an executor and
config overrides.

Paths in ``defs.yaml`` are relative to the folder that holds it. The project
root (where ``neurocore.yaml`` lives; its own paths and file sensors resolve
against it) is the folder of ``neurocore_yaml`` when given, else the
component's folder.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import dagster as dg
from pydantic import Field, field_validator

from neurocore_dagster.blueprint.model import Blueprint
from neurocore_dagster.dagster_layer.component.scaffold import BlueprintsScaffolder
from neurocore_dagster.dagster_layer.definitions import project_definitions
from neurocore_dagster.dagster_layer.executors.threaded import threads_executor
from neurocore_dagster.dagster_layer.translation.translator import BlueprintTranslator, JobSpec
from neurocore_dagster.errors import BlueprintError, issue
from neurocore_dagster.keys import PACKAGE_PREFIX
from neurocore_dagster.plan.model import ExecutionPlan
from neurocore_dagster.project.config import Project, load_project_file
from neurocore_dagster.project.env import CONFIG_FILE

VALIDATION_ENV_VAR = "DAGSTER_IS_DEFS_VALIDATION_CLI"
"""Set to ``1`` by ``dg check defs`` and ``dagster definitions validate`` (Dagster documents it)."""


EXECUTORS: Mapping[str, dg.ExecutorDefinition] = {
    "in_process": dg.in_process_executor,
    "multiprocess": dg.multiprocess_executor,
    "threads": threads_executor,
}
CELERY_EXECUTOR = "celery"
"""dagster-celery's ``celery_executor``; imported only when a ``defs.yaml`` names it."""


def named_executor(name: str) -> dg.ExecutorDefinition:
    """The executor ``defs.yaml`` names: one of :data:`EXECUTORS`, or ``celery``."""
    if name != CELERY_EXECUTOR:
        return EXECUTORS[name]
    from dagster_celery import celery_executor

    return celery_executor


class BlueprintOverrides(dg.Resolvable, dg.Model):
    """Settings for one blueprint's job that do not belong in the blueprint file."""

    tags: dict[str, str] = Field(
        default_factory=dict,
        description="Job tags (tags under neurocore/ belong to the package and are refused).",
    )
    executor: Literal["in_process", "multiprocess", "threads", "celery"] | None = Field(
        default=None,
        description="The job's executor; default: the package's, as build_definitions gives. "
        "threads: ready steps at once in threads of the run's process. "
        "celery: dagster-celery's, which needs neurocore-dagster[celery] and the broker in "
        "run config (execution.config.broker).",
    )
    config: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="{component: {key: value}}; wins over neurocore.yaml and the blueprint, "
        "loses to run config. Write secrets as {env: NAME}.",
    )

    @field_validator("executor")
    @classmethod
    def _executor_installed(cls, executor: str | None) -> str | None:
        if executor == CELERY_EXECUTOR and importlib.util.find_spec("dagster_celery") is None:
            raise ValueError(
                "executor celery needs dagster-celery: pip install 'neurocore-dagster[celery]'"
            )
        return executor

    @field_validator("tags")
    @classmethod
    def _no_package_tags(cls, tags: dict[str, str]) -> dict[str, str]:
        owned = sorted(key for key in tags if key.startswith(PACKAGE_PREFIX))
        if owned:
            raise ValueError(
                f"tags {', '.join(owned)} are set by neurocore-dagster; "
                f"choose keys outside {PACKAGE_PREFIX}"
            )
        return tags


class OverridesTranslator(BlueprintTranslator):
    """The default translator, plus each blueprint's tags and executor from ``defs.yaml``.

    Created without overrides when a resume rebuilds a run's job from its record:
    the recorded config overrides are replayed, and a job whose tags came from
    ``defs.yaml`` is refused there, naming them (a resume runs in process, so the
    executor does not matter).
    """

    def __init__(self, overrides: Mapping[str, BlueprintOverrides] | None = None) -> None:
        super().__init__()
        self.overrides = dict(overrides or {})

    def get_job_spec(self, blueprint: Blueprint, plan: ExecutionPlan) -> JobSpec:
        spec = super().get_job_spec(blueprint, plan)
        override = self.overrides.get(plan.blueprint)
        if override is None:
            return spec
        spec = spec.merge(tags=override.tags)
        if override.executor is None:
            return spec
        return spec.replace(executor_def=named_executor(override.executor))


def _path_resolver(kind: Literal["folder", "file"], description: str) -> dg.Resolver:
    """A resolver that refuses a path (relative to the defs.yaml) that does not exist.

    Raising here, while the attributes are resolved, lets Dagster name the
    ``defs.yaml`` line in its error; :meth:`BlueprintsComponent.load_project`
    checks again for components built in Python.
    """

    def resolve(context: dg.ResolutionContext, value: str | None) -> str | None:
        resolved = context.resolve_value(value, as_type=object)
        if resolved is None:
            return None
        here = _folder_of(Path(dg.ComponentLoadContext.from_resolution_context(context).path))
        problem = _path_problem(here, str(resolved), kind)
        if problem:
            raise ValueError(problem)
        return str(resolved)

    return dg.Resolver(resolve, model_field_type=str | None, description=description)


def _folder_of(component_path: Path) -> Path:
    """Where relative paths start: the folder of ``defs.yaml`` (or of ``component.py``)."""
    return component_path if component_path.is_dir() else component_path.parent


def _path_problem(here: Path, value: str, kind: Literal["folder", "file"]) -> str | None:
    path = (here / value).resolve()
    exists = path.is_dir() if kind == "folder" else path.is_file()
    return None if exists else f"no {kind} {value!r} in {here} (the folder of defs.yaml)"


BlueprintsPath = Annotated[
    str | None,
    _path_resolver(
        "folder",
        "Folder of blueprint files (*.yaml, *.yml, searched recursively), relative to this "
        "defs.yaml. Default: neurocore.yaml's paths.blueprints, else blueprints/.",
    ),
]
SkillsPath = Annotated[
    str | None,
    _path_resolver(
        "folder",
        "Folder of skill modules (*.py), relative to this defs.yaml. Default: neurocore.yaml's "
        "paths.skills, else skills/ (may be absent). Skills of installed packages (entry "
        "points 'neurocore.skills') are always found.",
    ),
]
NeuroCoreYamlPath = Annotated[
    str | None,
    _path_resolver(
        "file",
        "Project config file, relative to this defs.yaml; its folder is the project root. "
        "Default: neurocore.yaml beside this defs.yaml, if present.",
    ),
]


@dg.scaffold_with(BlueprintsScaffolder)
class BlueprintsComponent(dg.Component, dg.Resolvable, dg.Model):
    """NeuroCore blueprints as Dagster jobs, with their resources, schedules and sensors.

    Builds what ``neurocore_dagster.build_definitions`` builds: one job per
    blueprint file in the blueprints folder, and a ``broken__<file stem>`` job
    showing the error of each file that does not load (unless strict).
    """

    blueprints: BlueprintsPath = None
    skills: SkillsPath = None
    neurocore_yaml: NeuroCoreYamlPath = None
    strict: bool | None = Field(
        default=None,
        description="true: a broken blueprint stops the code location from loading. false: it "
        "becomes a broken__<stem> job. Default: strict under `dg check defs` (and `dagster "
        "definitions validate`), not strict otherwise.",
    )
    overrides: dict[str, BlueprintOverrides] = Field(
        default_factory=dict,
        description="Per blueprint name: job tags, executor, component config.",
    )

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        """The project's definitions; errors name files relative to the dg project root."""
        display_root = Path(context.project_root)
        project = self.load_project(_folder_of(Path(context.path)), display_root)
        return project_definitions(
            project,
            translator=OverridesTranslator(self.overrides),
            strict=self.is_strict(),
            warnings_fail=self.strict is True,  # a check by default fails on errors only
            config_overrides={name: o.config for name, o in self.overrides.items()},
            display_root=display_root,
        )

    def is_strict(self) -> bool:
        """``strict`` when set, else whether a definitions check is running."""
        if self.strict is not None:
            return self.strict
        return os.environ.get(VALIDATION_ENV_VAR, "") not in ("", "0")

    def load_project(self, here: Path, display_root: Path) -> Project:
        """The project these attributes describe; every named path must exist."""
        defs_file = os.path.relpath(here / "defs.yaml", display_root)
        named: dict[str, tuple[str | None, Literal["folder", "file"]]] = {
            "neurocore_yaml": (self.neurocore_yaml, "file"),
            "blueprints": (self.blueprints, "folder"),
            "skills": (self.skills, "folder"),
        }
        problems = [
            issue(
                f"component.missing_{kind}",
                problem,
                ("attributes", attribute),
                file=defs_file,
                input=value,
                expected=f"an existing {kind}, relative to this defs.yaml",
            )
            for attribute, (value, kind) in named.items()
            if value is not None and (problem := _path_problem(here, value, kind))
        ]
        if problems:
            raise BlueprintError(problems)
        config = (here / (self.neurocore_yaml or CONFIG_FILE)).resolve()
        if config.is_file():
            project = load_project_file(config, display=os.path.relpath(config, display_root))
        else:
            project = Project(root=here.resolve())
        project = project.with_folders(
            blueprints=here / self.blueprints if self.blueprints is not None else None,
            skills=here / self.skills if self.skills is not None else None,
        )
        if not project.blueprints_dir.is_dir():
            raise BlueprintError(
                [
                    issue(
                        "component.missing_folder",
                        f"{project.blueprints_dir} is not an existing folder (the default "
                        "blueprints folder; name one with `blueprints:`)",
                        ("attributes", "blueprints"),
                        file=defs_file,
                        expected="an existing folder, relative to this defs.yaml",
                    )
                ]
            )
        return project
