"""Render flow events in a terminal: live lines with a spinner, plain lines, or JSON.

On a terminal, the running step's line shows a spinner until it ends; when
output is not a terminal each event is one plain line; ``--json`` prints one
JSON object per event. A summary table closes the run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TextIO

from neurocore_dagster.service.events import FlowEvent, FlowEventType

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
_SYMBOLS = {
    FlowEventType.STEP_COMPLETED: "✓",
    FlowEventType.STEP_FAILED: "✗",
    FlowEventType.STEP_SKIPPED: "⊘",
    FlowEventType.STEP_RETRY: "↻",
    FlowEventType.LOOP_VISIT: "⟳",
}


@dataclass
class _StepRow:
    status: str = "running"
    duration_ms: float | None = None
    port: str = ""
    retries: int = 0
    visits: int = 0


@dataclass
class ProgressRenderer:
    stream: TextIO
    live: bool
    as_json: bool = False
    rows: dict[str, _StepRow] = field(default_factory=dict)
    running: list[str] = field(default_factory=list)
    frame: int = 0
    outcome: FlowEvent | None = None

    def tick(self) -> None:
        """Advance the spinner of the running step (terminal mode only)."""
        if self.live and not self.as_json and self.running:
            self.frame += 1
            self._spin()

    def handle(self, event: FlowEvent) -> None:
        self._record(event)
        if self.as_json:
            self.stream.write(json.dumps(event.as_dict(), default=str) + "\n")
        else:
            self._line(event)
        self.stream.flush()

    def _record(self, event: FlowEvent) -> None:
        kind, name = event.event_type, event.step_name
        if kind == FlowEventType.STEP_STARTED:
            self.rows[name] = _StepRow()
            self.running.append(name)
            return
        row = self.rows.setdefault(name, _StepRow()) if name else None
        if (
            kind
            in (FlowEventType.STEP_COMPLETED, FlowEventType.STEP_FAILED, FlowEventType.STEP_SKIPPED)
            and row is not None
        ):
            row.status = {
                FlowEventType.STEP_COMPLETED: "completed",
                FlowEventType.STEP_FAILED: "failed",
            }.get(kind, "skipped")
            row.duration_ms = event.duration_ms
            row.port = str(event.data.get("port") or "")
            if name in self.running:
                self.running.remove(name)
        elif kind == FlowEventType.STEP_RETRY and row is not None:
            row.retries += 1
        elif kind == FlowEventType.LOOP_VISIT and row is not None:
            row.visits += 1
            row.status = "visited"
            row.port = str(event.data.get("port") or "")
        elif kind in (
            FlowEventType.FLOW_COMPLETED,
            FlowEventType.FLOW_FAILED,
            FlowEventType.FLOW_SUSPENDED,
        ):
            self.outcome = event

    def _line(self, event: FlowEvent) -> None:
        kind, name = event.event_type, event.step_name
        if kind == FlowEventType.STEP_STARTED:
            if self.live:
                self._spin()
            else:
                self.stream.write(f"▶ {name} started\n")
            return
        if self.live:
            self.stream.write("\r\033[K")
        text = self._describe(event)
        if text:
            self.stream.write(text + "\n")
        if self.live and self.running:
            self._spin()

    def _describe(self, event: FlowEvent) -> str:
        kind, name = event.event_type, event.step_name
        took = f" {event.duration_ms:.1f} ms" if event.duration_ms is not None else ""
        if kind == FlowEventType.FLOW_STARTED:
            return f"run {event.run_id} started"
        if kind == FlowEventType.STEP_COMPLETED:
            port = f"  port={event.data['port']}" if event.data.get("port") else ""
            keys = ", ".join(event.data.get("keys") or {})
            return f"✓ {name}{took}{port}" + (f"  wrote {keys}" if keys else "")
        if kind == FlowEventType.STEP_FAILED:
            return f"✗ {name}{took}  {event.error}"
        if kind == FlowEventType.STEP_SKIPPED:
            return f"⊘ {name} skipped ({event.data.get('reason', '')})"
        if kind == FlowEventType.STEP_RETRY:
            return (
                f"↻ {name} retrying in {event.data.get('seconds_to_wait') or 0:.2f} s: "
                f"{event.error or ''}"
            )
        if kind == FlowEventType.LOOP_VISIT:
            return (
                f"⟳ {name} visit {event.data['visit']} (iteration "
                f"{event.data['iteration']}, port {event.data['port']})"
            )
        if kind == FlowEventType.FLOW_SUSPENDED:
            return f"⏸ suspended at {name}{took}: {event.data.get('message', '')}"
        if kind == FlowEventType.FLOW_COMPLETED:
            return f"run completed{took}"
        if kind == FlowEventType.FLOW_FAILED:
            return f"run failed{took}: {event.error}"
        return ""

    def _spin(self) -> None:
        names = ", ".join(self.running)
        self.stream.write(f"\r\033[K{SPINNER[self.frame % len(SPINNER)]} {names}")
        self.stream.flush()

    def summary(self) -> None:
        if self.as_json or not self.rows:
            return
        self.stream.write(
            f"\n{'step':24} {'status':10} {'ms':>9} {'port':10} {'retries':>7} {'visits':>6}\n"
        )
        for name, row in self.rows.items():
            duration = f"{row.duration_ms:.1f}" if row.duration_ms is not None else ""
            self.stream.write(
                f"{name:24} {row.status:10} {duration:>9} {row.port:10} "
                f"{row.retries:>7} {row.visits:>6}\n"
            )
        if self.outcome is not None:
            self.stream.write(
                f"\n{self.outcome.event_type.value}"
                + (f": {self.outcome.error}" if self.outcome.error else "")
                + "\n"
            )
        self.stream.flush()
