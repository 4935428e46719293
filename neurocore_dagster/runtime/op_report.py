"""What executing an op has to tell: runs, skips, visits, recorded errors, warnings.

The runtime only collects these; the Dagster layer turns each into an event
and op metadata through one helper.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

ReportKind = Literal[
    "ran", "skipped", "error_recorded", "condition_error", "visit", "warning", "suspended"
]


@dataclass(frozen=True)
class Report:
    kind: ReportKind
    unit: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)


_VISIT = re.compile(
    r"^visit (?P<visit>\d+) of (?P<node>.+) \(iteration (?P<iteration>\d+), "
    r"port (?P<port>.*)\)$"
)


def visit_message(node: str, visit: int, iteration: int, port: str | None) -> str:
    """The log line of a loop visit (parsed back by :func:`parse_visit`)."""
    return f"visit {visit} of {node} (iteration {iteration}, port {port})"


def parse_visit(message: str) -> dict[str, Any] | None:
    match = _VISIT.match(message)
    if match is None:
        return None
    port = match["port"]
    return {
        "node": match["node"],
        "visit": int(match["visit"]),
        "iteration": int(match["iteration"]),
        "port": None if port == "None" else port,
    }


class ReportLog(list[Report]):
    """The reports of one op, handed to ``listener`` as they happen (so loop visits
    show while the loop runs, not when it ends)."""

    def __init__(self, listener: Callable[[Report], None] | None = None) -> None:
        super().__init__()
        self._listener = listener

    def append(self, report: Report) -> None:
        super().append(report)
        if self._listener is not None:
            self._listener(report)
