"""What a caller asks to run: a blueprint with its registry, data, instance, project and config.

``execute_blueprint``, ``iter_blueprint_events`` and ``execute_blueprint_stream``
take the same six parameters; they travel together as one :class:`RunRequest`
from there on, and the instance is resolved once, by :func:`resolve_instance`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg

from neurocore_dagster.blueprint.model import Blueprint
from neurocore_dagster.dagster_layer.instance import project_instance
from neurocore_dagster.project.env import project_root_of
from neurocore_dagster.skills.registry import SkillRegistry


@dataclass(frozen=True)
class RunRequest:
    """A blueprint run as the caller asked for it, before anything is built or checked."""

    blueprint: Blueprint
    registry: SkillRegistry | None = None
    """None: skills are discovered from ``project_root``."""
    initial_data: Mapping[str, Any] | None = None
    instance: dg.DagsterInstance | None = None
    """None: :func:`resolve_instance` picks the project's."""
    project_root: str | Path | None = None
    run_config: Mapping[str, Any] | None = None
    """Sections that replace the job's defaults; ``resources`` are merged per resource."""


def resolve_instance(
    instance: dg.DagsterInstance | None, project_root: str | Path | None
) -> dg.DagsterInstance:
    """The given instance, else ``$DAGSTER_HOME``'s, else ``<project>/.dagster`` (sqlite).

    Without ``project_root``, the project is the nearest folder at or above the cwd
    that holds ``neurocore.yaml``.
    """
    if instance is not None:
        return instance
    return project_instance(project_root_of(project_root))
