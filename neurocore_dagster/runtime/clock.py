"""The flow's time budget (``settings.timeout_seconds``), counted from the first step's start."""

from __future__ import annotations

import time
from dataclasses import dataclass

from flowengine.errors import FlowTimeoutError


@dataclass(frozen=True)
class FlowClock:
    started_at: float
    timeout_seconds: float | None

    def remaining(self, flow_id: str, step: str) -> float | None:
        """Seconds left; raises ``FlowTimeoutError`` (as flowengine does) when none are."""
        if not self.timeout_seconds:
            return None
        elapsed = time.time() - self.started_at
        remaining = self.timeout_seconds - elapsed
        if remaining <= 0:
            raise FlowTimeoutError(
                f"Flow timeout exceeded: {elapsed:.2f}s > {self.timeout_seconds}s",
                timeout=self.timeout_seconds,
                elapsed=elapsed,
                flow_id=flow_id,
                step=step,
            )
        return remaining
