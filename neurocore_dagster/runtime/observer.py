"""What happens inside an op, as typed reports to one observer (no Dagster here).

The runtime tells an :class:`Observer` each thing a run should show: a skill
started or finished, a loop visit, a retry, a skipped step, a suspension, a
warning. Each report is a frozen record with the fields a reader needs, and a
``text`` for people; readers use the fields, never the text. The Dagster layer
turns reports into events, logs and op metadata; the run's event stream reads
the records back field by field (:func:`report_fields`, :func:`report_from_fields`),
so changing a message's wording cannot change what a stream sees.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol

Mode = Literal["step", "node"]
WarningKind = Literal[
    "join_conflict", "condition_error", "error_recorded", "max_iterations", "visits_exhausted"
]


@dataclass(frozen=True)
class StepStarted:
    """A skill is about to run at ``node`` (a step, a graph node or a loop visit)."""

    kind: ClassVar[str] = "step_started"
    node: str
    mode: Mode

    @property
    def text(self) -> str:
        return f"{self.node} started"


@dataclass(frozen=True)
class StepFinished:
    """The skill at ``node`` returned (its own time, not the op's)."""

    kind: ClassVar[str] = "step_finished"
    node: str
    duration_ms: float

    @property
    def text(self) -> str:
        return f"{self.node} ran in {self.duration_ms:.1f} ms"


@dataclass(frozen=True)
class LoopVisit:
    """One visit of a loop node: its count, the loop's iteration, the port it set."""

    kind: ClassVar[str] = "loop_visit"
    node: str
    visit: int
    iteration: int
    port: str | None
    duration_ms: float

    @property
    def text(self) -> str:
        return f"visit {self.visit} of {self.node} (iteration {self.iteration}, port {self.port})"


@dataclass(frozen=True)
class RetryScheduled:
    """The skill at ``node`` failed in a way its retry policy covers; ``op`` runs again.

    (A loop region is one op: a node's failure retries the whole region.)
    """

    kind: ClassVar[str] = "retry_scheduled"
    op: str
    node: str
    attempt: int
    """The attempt that failed, counted from 0."""
    error_type: str
    error: str
    delay_seconds: float
    max_retries: int

    @property
    def text(self) -> str:
        return (
            f"{self.op}: attempt {self.attempt + 1} failed with {self.error_type}: "
            f"{self.error}; retrying in {self.delay_seconds:.2f}s "
            f"({self.max_retries} retries allowed)"
        )


@dataclass(frozen=True)
class StepSkipped:
    """The step at ``node`` did not run: its condition is false."""

    kind: ClassVar[str] = "step_skipped"
    node: str
    reason: str
    condition: str | None

    @property
    def text(self) -> str:
        return f"{self.node} skipped: condition is false"


@dataclass(frozen=True)
class RunSuspended:
    """A gate at ``node`` suspended the run; ``message`` is what it asks the decider."""

    kind: ClassVar[str] = "run_suspended"
    node: str
    message: str

    @property
    def text(self) -> str:
        return f"run suspended at {self.node!r}: {self.message}"


@dataclass(frozen=True)
class OpWarning:
    """Something the run goes on past but a person should know (``warning_kind`` says what)."""

    kind: ClassVar[str] = "warning"
    node: str
    warning_kind: WarningKind
    text: str
    details: Mapping[str, Any] = field(default_factory=dict)


Report = (
    StepStarted | StepFinished | LoopVisit | RetryScheduled | StepSkipped | RunSuspended | OpWarning
)
REPORT_TYPES: Mapping[str, type[Report]] = {
    cls.kind: cls
    for cls in (
        StepStarted,
        StepFinished,
        LoopVisit,
        RetryScheduled,
        StepSkipped,
        RunSuspended,
        OpWarning,
    )
}


class Observer(Protocol):
    """Receives an op's reports as they happen (a loop's visits while the loop runs).

    Modelled on flowengine's ``ExecutionHook``: one method per kind of report.
    An observer must not raise: the run does not catch what it raises.
    """

    def on_step_started(self, report: StepStarted) -> None: ...
    def on_step_finished(self, report: StepFinished) -> None: ...
    def on_loop_visit(self, report: LoopVisit) -> None: ...
    def on_retry(self, report: RetryScheduled) -> None: ...
    def on_skipped(self, report: StepSkipped) -> None: ...
    def on_suspended(self, report: RunSuspended) -> None: ...
    def on_warning(self, report: OpWarning) -> None: ...


class Silent:
    """An observer that ignores every report (for callers that only want the outcome)."""

    def on_step_started(self, report: StepStarted) -> None:
        pass

    def on_step_finished(self, report: StepFinished) -> None:
        pass

    def on_loop_visit(self, report: LoopVisit) -> None:
        pass

    def on_retry(self, report: RetryScheduled) -> None:
        pass

    def on_skipped(self, report: StepSkipped) -> None:
        pass

    def on_suspended(self, report: RunSuspended) -> None:
        pass

    def on_warning(self, report: OpWarning) -> None:
        pass


class Recorder:
    """Keeps every report of one op, in order, and passes each on to ``observer``.

    The op's outcome holds what it kept (its output metadata is read from there).
    """

    def __init__(self, observer: Observer | None = None) -> None:
        self.reports: list[Report] = []
        self._observer: Observer = observer if observer is not None else Silent()

    def on_step_started(self, report: StepStarted) -> None:
        self.reports.append(report)
        self._observer.on_step_started(report)

    def on_step_finished(self, report: StepFinished) -> None:
        self.reports.append(report)
        self._observer.on_step_finished(report)

    def on_loop_visit(self, report: LoopVisit) -> None:
        self.reports.append(report)
        self._observer.on_loop_visit(report)

    def on_retry(self, report: RetryScheduled) -> None:
        self.reports.append(report)
        self._observer.on_retry(report)

    def on_skipped(self, report: StepSkipped) -> None:
        self.reports.append(report)
        self._observer.on_skipped(report)

    def on_suspended(self, report: RunSuspended) -> None:
        self.reports.append(report)
        self._observer.on_suspended(report)

    def on_warning(self, report: OpWarning) -> None:
        self.reports.append(report)
        self._observer.on_warning(report)


def report_fields(report: Report) -> dict[str, Any]:
    """The report as plain JSON values: its fields by name (``text`` is not a field
    except on a warning, whose text is all it has to say)."""
    return dataclasses.asdict(report)


def report_from_fields(kind: str, fields: Mapping[str, Any]) -> Report:
    """The report of ``kind`` that :func:`report_fields` gave ``fields`` for.

    Raises ``ValueError`` naming the valid kinds, or the missing or unexpected fields.
    """
    if kind not in REPORT_TYPES:
        raise ValueError(f"unknown report kind {kind!r}; known: {', '.join(sorted(REPORT_TYPES))}")
    cls = REPORT_TYPES[kind]
    names = {f.name for f in dataclasses.fields(cls)}
    required = {
        f.name
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }
    missing, unexpected = required - set(fields), set(fields) - names
    if missing or unexpected:
        raise ValueError(
            f"a {kind!r} report has fields {', '.join(sorted(names))}; "
            f"missing: {sorted(missing)}, unexpected: {sorted(unexpected)}"
        )
    return cls(**fields)
