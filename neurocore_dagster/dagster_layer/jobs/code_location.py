"""The code location that serves a blueprint's job in the Dagster UI, for runs started elsewhere.

The UI re-executes a run (from failure, or from chosen steps) in the code
location its run record names. Runs the UI launches carry that origin; runs
started by the CLI or ``execute_blueprint`` are given the one ``dagster dev``
loads for the project: ``<project root>/definitions.py`` (as the example
project's ``definitions.py`` calls ``build_definitions``), served as location
``definitions.py`` (Dagster's name for ``dagster dev -f definitions.py``),
repository ``__repository__``, the job of the same name (Dagster then tags the
run ``dagster/code_location``).

A run has no such location when its blueprint was built in memory, its file
lies outside the project's blueprints folder (``definitions.py`` builds jobs
only from there), or the project has no ``definitions.py``. Such a run is
tagged :data:`~neurocore_dagster.keys.NO_CODE_LOCATION_TAG` with the reason;
``resume_blueprint`` (``runs resume``) still resumes it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from dagster._core.definitions.repository_definition import SINGLETON_REPOSITORY_NAME
from dagster._core.remote_origin import (
    ManagedGrpcPythonEnvCodeLocationOrigin,
    RemoteJobOrigin,
    RemoteRepositoryOrigin,
)
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin

from neurocore_dagster.blueprint.model import Blueprint
from neurocore_dagster.errors import BlueprintError
from neurocore_dagster.keys import NO_CODE_LOCATION_TAG
from neurocore_dagster.project.config import load_project
from neurocore_dagster.project.env import project_root_of

DEFINITIONS_FILE = "definitions.py"
"""The file ``dagster dev -f`` loads in a project root (what ``neurocore-dagster new`` writes)."""


@dataclass(frozen=True)
class ProjectLocation:
    """Where the UI finds a blueprint's job (``python_file``), or why it cannot (``reason``)."""

    python_file: Path | None
    reason: str | None = None

    @property
    def name(self) -> str | None:
        """The location name Dagster gives ``dagster dev -f <python_file>``."""
        return self.python_file.name if self.python_file is not None else None

    def job_origin(self, job_name: str) -> RemoteJobOrigin | None:
        """The origin a run of ``job_name`` records so the UI can re-execute it."""
        if self.python_file is None:
            return None
        target = LoadableTargetOrigin(
            executable_path=sys.executable,
            python_file=str(self.python_file),
            working_directory=str(self.python_file.parent),
        )
        location = ManagedGrpcPythonEnvCodeLocationOrigin(target, self.name)
        return RemoteJobOrigin(
            RemoteRepositoryOrigin(location, SINGLETON_REPOSITORY_NAME), job_name
        )

    @property
    def tags(self) -> dict[str, str]:
        """The run tag that says why no location serves the run (none when one does)."""
        if self.reason is None:
            return {}
        return {NO_CODE_LOCATION_TAG: self.reason}


def project_location(blueprint: Blueprint, project_root: str | Path | None) -> ProjectLocation:
    """The location serving ``blueprint``'s job in the project at ``project_root`` (see module)."""
    root = project_root_of(project_root)
    source = blueprint.source.path
    if source is None:
        return ProjectLocation(
            None,
            "blueprint built in memory (no file): no code location serves its job; "
            "resume with runs resume / resume_blueprint",
        )
    definitions = root / DEFINITIONS_FILE
    if not definitions.is_file():
        return ProjectLocation(None, f"no {DEFINITIONS_FILE} in project {root}")
    try:
        blueprints = load_project(root).blueprints_dir.resolve()
    except BlueprintError:
        return ProjectLocation(None, f"the neurocore.yaml of {root} does not load")
    if blueprints not in Path(source).resolve().parents:
        return ProjectLocation(
            None, f"blueprint file {source} is outside the blueprints folder {blueprints}"
        )
    return ProjectLocation(definitions.resolve())
