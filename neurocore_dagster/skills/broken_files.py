"""Skill files that failed to import, kept as errors instead of stopping every command.

A skill file with a syntax error (or any import failure) defines no skill, so
only the blueprints that use its skills can fail because of it. Which skills
those are cannot be known from a file that does not import; the names written
in it as string literals (``name="summarize"``) are what it would likely have
defined. A blueprint whose component uses an unregistered skill that a broken
file names gets a located error naming that file and line; every other
blueprint builds as usual.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from neurocore_dagster.errors import BlueprintError, SkillError, issue

_QUOTED = re.compile(r"""["']([A-Za-z_][\w.-]*)["']""")


@dataclass(frozen=True)
class BrokenSkillFile:
    """One skill file that failed to import: where, why, and the names it writes."""

    path: Path
    line: int | None
    error: SkillError
    names: frozenset[str]

    @classmethod
    def of(cls, path: Path, line: int | None, error: SkillError) -> BrokenSkillFile:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            text = ""
        return cls(path, line, error, frozenset(_QUOTED.findall(text)))

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.line is not None else str(self.path)

    @property
    def reason(self) -> str:
        """The import failure itself (exception type and message), without the file name."""
        cause = self.error.__cause__
        if cause is None:
            return str(self.error)
        return f"{type(cause).__name__}: {cause}"

    def may_define(self, skill: str) -> bool:
        return skill in self.names

    def as_error(self, shown: str) -> BlueprintError:
        """The file's own error, as ``validate`` lists it."""
        return BlueprintError(
            [
                issue(
                    "skill_file.import_failed",
                    f"skill file failed to import: {self.reason}; blueprints using its "
                    "skills cannot be built, the others are not affected",
                    file=shown,
                    line=self.line,
                    expected="a Python file that imports",
                )
            ]
        )


def broken_file_issues(skill: str, broken: tuple[BrokenSkillFile, ...]) -> list[str]:
    """Why ``skill`` may be missing: each broken file that names it (``file:line: reason``)."""
    return [f"{f.where} ({f.reason})" for f in broken if f.may_define(skill)]
