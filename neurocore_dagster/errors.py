"""The package's exceptions.

Every problem a user can fix in a file is a :class:`BlueprintError` that holds a
list of :class:`BlueprintIssue` items, each with its coordinates (file, line, key
path), so that one pass over the input reports everything at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

_MAX_INPUT_CHARS = 80
MAX_RENDERED_ISSUES = 100
"""Issues shown in an error's text; ``BlueprintError.issues`` always holds all of them."""


class NeuroCoreDagsterError(Exception):
    """Base class of every error this package raises on purpose."""


class SkillError(NeuroCoreDagsterError):
    """A skill class is unusable: bad metadata, a clash of names, a failed import."""


class ExecutionError(NeuroCoreDagsterError):
    """A run could not be started, resumed or inspected."""


Loc = tuple[str | int, ...]


def format_loc(loc: Loc) -> str:
    """Render a key path with dots, quoting a segment that itself holds a dot."""
    parts = []
    for segment in loc:
        text = str(segment)
        parts.append(repr(text) if "." in text else text)
    return ".".join(parts) or "<document>"


def truncate_input(value: Any, limit: int = _MAX_INPUT_CHARS) -> str:
    """Show a bounded ``repr`` of an offending value: its start and end only."""
    try:
        text = repr(value)
    except ValueError:  # an int past Python's digit limit refuses to become text
        return f"<{type(value).__name__} too large to show>"
    if len(text) <= limit:
        return text
    keep = (limit - 5) // 2
    return f"{text[:keep]} ... {text[-keep:]}"


@dataclass(frozen=True)
class BlueprintIssue:
    """One problem in a blueprint or project file.

    ``type`` is a stable identifier tests and tools can match on (for example
    ``edge.unknown_target``); ``loc`` is the key path into the document.
    """

    type: str
    msg: str
    loc: Loc = ()
    file: str | None = None
    line: int | None = None
    input: Any = None
    expected: str | None = None
    has_input: bool = field(default=False, compare=False)

    def where(self) -> str:
        """``file:line`` (or whichever of them is known)."""
        place = self.file or "<blueprint>"
        return f"{place}:{self.line}" if self.line is not None else place

    def render(self) -> str:
        head = f"{self.where()}: {format_loc(self.loc)}: {self.msg}"
        details = [f"type={self.type}"]
        if self.has_input:
            details.append(f"input={truncate_input(self.input)}")
        if self.expected:
            details.append(f"expected={self.expected}")
        return f"{head}\n    [{', '.join(details)}]"

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "msg": self.msg,
            "loc": list(self.loc),
            "file": self.file,
            "line": self.line,
            "input": self.input if self.has_input else None,
            "expected": self.expected,
        }


def issue(
    type: str,
    msg: str,
    loc: Loc = (),
    *,
    input: Any = ...,
    expected: str | None = None,
    file: str | None = None,
    line: int | None = None,
) -> BlueprintIssue:
    """Build an issue; pass ``input`` only when there is an offending value to show."""
    has_input = input is not ...
    return BlueprintIssue(
        type=type,
        msg=msg,
        loc=tuple(loc),
        file=file,
        line=line,
        input=input if has_input else None,
        expected=expected,
        has_input=has_input,
    )


class BlueprintError(NeuroCoreDagsterError):
    """A blueprint, ``neurocore.yaml`` or project layout is invalid.

    Holds every problem found (``issues``); ``str()`` renders them under a count
    header so a user can fix their input in one pass.
    """

    def __init__(self, issues: Sequence[BlueprintIssue], subject: str | None = None) -> None:
        if not issues:
            raise ValueError("BlueprintError needs at least one issue")
        self.issues: tuple[BlueprintIssue, ...] = tuple(issues)
        files = sorted({i.file for i in self.issues if i.file})
        self.subject = subject or (", ".join(files) if files else "blueprint")
        super().__init__(self._render())

    def error_count(self) -> int:
        return len(self.issues)

    def errors(self) -> list[dict[str, Any]]:
        return [i.as_dict() for i in self.issues]

    def _render(self) -> str:
        count = len(self.issues)
        noun = "problem" if count == 1 else "problems"
        lines = [f"{count} {noun} in {self.subject}"]
        lines.extend("  " + i.render() for i in self.issues[:MAX_RENDERED_ISSUES])
        if count > MAX_RENDERED_ISSUES:
            lines.append(f"  ... and {count - MAX_RENDERED_ISSUES} more (see .issues)")
        return "\n".join(lines)

    @classmethod
    def combine(cls, errors: Iterable[BlueprintError]) -> BlueprintError:
        """One error holding the issues of several (for example, of several files)."""
        issues: list[BlueprintIssue] = []
        for error in errors:
            issues.extend(error.issues)
        return cls(issues)
