"""Find the skills a project can use.

Order (later wins): built-in skills, then every ``<skills folder>/*.py`` (files
starting with ``_`` are private helpers), then installed packages' entry points
in the ``neurocore.skills`` group, then in ``neurocore_ai.skills`` (the group
some NeuroCore skill packages use). A file that fails to import, or an entry
point that does not load to a skill class, is an error naming it: a skill never
goes missing silently.

Discovery first installs the ``neurocore`` import hook
(:mod:`neurocore_dagster.skills.neurocore_compat`), so skill files and packages
written for NeuroCore import without neurocore-ai installed.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
import traceback
from collections.abc import Iterable
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Protocol

from neurocore_dagster.errors import SkillError
from neurocore_dagster.project.config import Project, load_project
from neurocore_dagster.skills import neurocore_compat
from neurocore_dagster.skills.base import is_skill_class, skill_meta_of
from neurocore_dagster.skills.broken_files import BrokenSkillFile
from neurocore_dagster.skills.registry import SkillRegistry

ENTRY_POINT_GROUP = "neurocore.skills"
ENTRY_POINT_GROUPS = (ENTRY_POINT_GROUP, "neurocore_ai.skills")
"""Searched in this order; a later group's skill replaces an earlier one of the same name."""


def discover_skills(project_root: str | Path | None = None) -> SkillRegistry:
    """Build the registry of built-in, project and installed skills."""
    return discover_project_skills(load_project(project_root))


def discover_project_skills(project: Project) -> SkillRegistry:
    """The project's skills; a skill file that fails to import raises its :class:`SkillError`."""
    registry = discover_usable_skills(project)
    if registry.broken_files:
        raise registry.broken_files[0].error
    return registry


def discover_usable_skills(project: Project) -> SkillRegistry:
    """The project's skills, skipping skill files that fail to import.

    Each such file is recorded in ``registry.broken_files`` (file, line, error), so
    that a blueprint using one of its skills is refused naming it
    (:mod:`~neurocore_dagster.skills.broken_files`) while the others build.
    """
    registry = SkillRegistry()
    folder_registry = SkillRegistry(builtins=False)
    broken: list[BrokenSkillFile] = []
    for path in sorted(project.skills_dir.glob("*.py")):
        if path.name.startswith("_"):
            continue
        try:
            classes = skill_classes_in_file(path)
        except SkillError as error:
            broken.append(BrokenSkillFile.of(path, _line_of(path, error.__cause__), error))
            continue
        for cls in classes:
            folder_registry.register(cls, origin=str(path))
    for name in folder_registry:
        registry.register(
            folder_registry.get(name), replace=True, origin=folder_registry.origin(name)
        )
    register_entry_points(registry, entry_points())
    registry.broken_files = tuple(broken)
    return registry


class InstalledEntryPoints(Protocol):
    """What ``importlib.metadata.entry_points()`` returns on every Python this supports
    (``SelectableGroups`` on 3.11, ``EntryPoints`` from 3.12): entry points by group."""

    def select(self, *, group: str) -> Iterable[EntryPoint]: ...


def register_entry_points(registry: SkillRegistry, installed: InstalledEntryPoints) -> None:
    """Add the skill of every entry point in :data:`ENTRY_POINT_GROUPS`, replacing same names."""
    neurocore_compat.install()
    for group in ENTRY_POINT_GROUPS:
        for ep in installed.select(group=group):
            registry.register(
                _load_entry_point(ep, group),
                replace=True,
                origin=f"entry point {ep.name} = {ep.value} (group {group})",
            )


def skill_classes_in_file(path: Path) -> list[type]:
    """Import ``path`` as a module and return the skill classes it defines."""
    neurocore_compat.install()
    digest = hashlib.sha1(str(path.parent.resolve()).encode()).hexdigest()[:10]
    module_name = f"neurocore_project_skills_{digest}.{path.stem}"
    module = sys.modules.get(module_name)
    if module is None or getattr(module, "__file__", None) != str(path):
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise SkillError(f"cannot import skill file {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            sys.modules.pop(module_name, None)
            raise SkillError(
                f"skill file {_where(path, exc)} failed to import: {type(exc).__name__}: {exc}"
            ) from exc
    found = [
        obj
        for obj in vars(module).values()
        if is_skill_class(obj) and obj.__module__ == module_name
    ]
    for cls in found:
        skill_meta_of(cls)
    return sorted(found, key=lambda c: c.__qualname__)


def _where(path: Path, exc: BaseException) -> str:
    """``path:line`` of the skill file's line that raised (through any calls it made)."""
    line = _line_of(path, exc)
    return f"{path}:{line}" if line is not None else str(path)


def _line_of(path: Path, exc: BaseException | None) -> int | None:
    """The skill file's line that raised, or that holds its syntax error."""
    if exc is None:
        return None
    if isinstance(exc, SyntaxError) and exc.filename == str(path) and exc.lineno:
        return exc.lineno
    lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(path)]
    return lines[-1] if lines else None


def _load_entry_point(ep: object, group: str) -> type:
    name = getattr(ep, "name", "?")
    value = getattr(ep, "value", "?")
    try:
        loaded = ep.load()  # type: ignore[attr-defined]
    except Exception as exc:
        raise SkillError(
            f"entry point {name} = {value} (group {group}) failed "
            f"to load: {type(exc).__name__}: {exc}"
        ) from exc
    if not isinstance(loaded, type) or not (
        is_skill_class(loaded) or hasattr(loaded, "skill_meta")
    ):
        raise SkillError(
            f"entry point {name} = {value} (group {group}) is {loaded!r}, not a skill class"
        )
    skill_meta_of(loaded)
    return loaded
