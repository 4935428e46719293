"""What executing an op has to tell: runs, skips, visits, recorded errors, warnings.

The runtime only collects these; the Dagster layer turns each into an event
and op metadata through one helper.
"""

from __future__ import annotations

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
