"""The NeuroCore names this package has no direct equivalent for, shaped as NeuroCore's.

Each is a thin adapter over this package's own classes, so what NeuroCore code
builds or raises is what the rest of the package understands: NeuroCore's
``BlueprintError("message")`` is a :class:`neurocore_dagster.BlueprintError`,
its registry is a :class:`neurocore_dagster.SkillRegistry`.
"""

from __future__ import annotations

import inspect
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from neurocore_dagster import errors
from neurocore_dagster.skills.base import SkillMeta
from neurocore_dagster.skills.registry import SkillRegistry as _Registry


class ConfigError(errors.NeuroCoreDagsterError):
    """NeuroCore's configuration error (raised by NeuroCore-written code)."""


class BlueprintError(errors.BlueprintError):
    """NeuroCore's ``BlueprintError(message)``: one issue of type ``neurocore.blueprint``."""

    def __init__(self, message: str) -> None:
        super().__init__([errors.issue("neurocore.blueprint", str(message))])


def is_async_skill(skill_instance: Any) -> bool:
    """True when the skill's ``process`` is a coroutine function (NeuroCore's test)."""
    return inspect.iscoroutinefunction(skill_instance.process)


class SkillRegistry(_Registry):
    """This package's registry with NeuroCore's method names added.

    One difference: ``get`` of an unknown name raises ``SkillError`` (listing the
    known names) where NeuroCore's returns ``None``.
    """

    def get_or_raise(self, name: str) -> type:
        return self.get(name)

    def list_skills(self) -> list[str]:
        return self.names()

    def list_skill_metas(self) -> list[SkillMeta]:
        return [self.meta(name) for name in self.names()]

    def create(self, name: str, *, instance_name: str | None = None) -> Any:
        return self.get(name)(instance_name)


def discover_directory(skills_dir: Path, *, registry: SkillRegistry | None = None) -> SkillRegistry:
    """The skills of ``skills_dir/*.py`` added to ``registry`` (a new one by default)."""
    from neurocore_dagster.skills.discovery import skill_classes_in_file

    target = registry if registry is not None else SkillRegistry()
    for path in sorted(Path(skills_dir).glob("*.py")):
        if not path.name.startswith("_"):
            for cls in skill_classes_in_file(path):
                target.register(cls, replace=True, origin=str(path))
    return target


def discover_entry_points(*, registry: SkillRegistry | None = None) -> SkillRegistry:
    """The installed packages' skills (both entry-point groups) added to ``registry``."""
    from neurocore_dagster.skills.discovery import register_entry_points

    target = registry if registry is not None else SkillRegistry()
    register_entry_points(target, entry_points())
    return target


def discover_skills(config: Any = None, *, registry: SkillRegistry | None = None) -> SkillRegistry:
    """Built-ins, a project's skills folder, then entry points, as NeuroCore orders them.

    ``config`` is NeuroCore's loaded config (anything with ``skills_dir``), a
    project root, or None for the working directory.
    """
    from neurocore_dagster.project.config import load_project
    from neurocore_dagster.skills.discovery import discover_project_skills

    skills_dir = getattr(config, "skills_dir", None)
    found: _Registry
    if skills_dir is not None:
        found = discover_entry_points(registry=discover_directory(Path(skills_dir)))
    else:
        found = discover_project_skills(load_project(config))
    target = registry if registry is not None else SkillRegistry()
    for name in found:
        target.register(found.get(name), replace=True, origin=found.origin(name))
    return target


__all__ = [
    "BlueprintError",
    "ConfigError",
    "SkillRegistry",
    "discover_directory",
    "discover_entry_points",
    "discover_skills",
    "is_async_skill",
]
