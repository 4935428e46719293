"""The set of skill classes a project can use, by skill name."""

from __future__ import annotations

from collections.abc import Iterator

from neurocore_dagster.errors import SkillError
from neurocore_dagster.skills.base import SkillMeta, skill_meta_of
from neurocore_dagster.skills.broken_files import BrokenSkillFile


class SkillRegistry:
    """Skill classes keyed by ``skill_meta.name``; an unknown name is an error, never ``None``.

    A new registry holds the built-in skills (``approval``) unless ``builtins=False``;
    register a class of the same name with ``replace=True`` to override one.
    """

    def __init__(self, *, builtins: bool = True) -> None:
        self._classes: dict[str, type] = {}
        self._origins: dict[str, str] = {}
        self.broken_files: tuple[BrokenSkillFile, ...] = ()
        """Skill files that failed to import (:func:`discover_usable_skills` keeps going)."""
        if builtins:
            from neurocore_dagster.skills.builtin import BUILTIN_SKILLS

            for cls in BUILTIN_SKILLS:
                self.register(cls, origin="built-in")

    def register(self, cls: type, *, replace: bool = False, origin: str | None = None) -> None:
        """Add ``cls``; a second class under one name needs ``replace=True``."""
        meta = skill_meta_of(cls)
        where = origin or f"{cls.__module__}.{cls.__qualname__}"
        if meta.name in self._classes and not replace and self._classes[meta.name] is not cls:
            raise SkillError(
                f"skill {meta.name!r} is defined twice: by {self._origins[meta.name]} "
                f"and by {where}; rename one, or register with replace=True"
            )
        self._classes[meta.name] = cls
        self._origins[meta.name] = where

    def get(self, name: str) -> type:
        try:
            return self._classes[name]
        except KeyError:
            raise SkillError(
                f"unknown skill {name!r}; known skills: {', '.join(self.names()) or '(none)'}"
            ) from None

    def meta(self, name: str) -> SkillMeta:
        return skill_meta_of(self.get(name))

    def origin(self, name: str) -> str:
        self.get(name)
        return self._origins[name]

    def names(self) -> list[str]:
        return sorted(self._classes)

    def copy(self) -> SkillRegistry:
        twin = SkillRegistry(builtins=False)
        twin._classes = dict(self._classes)
        twin._origins = dict(self._origins)
        twin.broken_files = self.broken_files
        return twin

    def __contains__(self, name: object) -> bool:
        return name in self._classes

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._classes)

    def __repr__(self) -> str:
        return f"SkillRegistry({', '.join(self.names())})"
