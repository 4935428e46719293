"""The execution plan: what runs as which op, in which order, routed how.

Pure data (frozen dataclasses, no Dagster import). The Dagster layer renders
it; the runtime executes its units. Every semantic decision about a blueprint
is made when the plan is compiled and can be read here.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Literal

from flowengine.config.schema import FlowSettings

from neurocore_dagster.blueprint.model import Edge

OpKind = Literal["step", "router", "node", "loop"]
ErrorPolicy = Literal["fail", "skip", "continue"]


@dataclass(frozen=True)
class RetryPlan:
    """Exponential backoff with full jitter, capped; only ``retry_on`` types retried."""

    max_retries: int
    delay_base: float
    delay_max: float
    retry_on: tuple[type[BaseException], ...] = ()

    def allows(self, error: BaseException, attempt: int) -> bool:
        """True when a failure on attempt ``attempt`` (0-based) is to be retried."""
        if attempt >= self.max_retries:
            return False
        return not self.retry_on or isinstance(error, self.retry_on)

    def delay_seconds(self, attempt: int, rng: random.Random | None = None) -> float:
        ceiling = min(self.delay_base * (2**attempt), self.delay_max)
        return (rng or random).uniform(0, max(ceiling, 0.0))


@dataclass(frozen=True)
class Unit:
    """One place in the flow that runs a skill: a step, a graph node, a loop member."""

    key: str
    component: str
    skill: str
    skill_version: str
    description: str
    on_error: ErrorPolicy = "fail"
    condition: str | None = None
    step_index: int | None = None
    max_visits: int | None = None
    retry: RetryPlan | None = None
    is_async: bool = False
    condition_at: str | None = None
    """Where ``condition`` is written (``file:line (key path)``), named when it fails."""


@dataclass(frozen=True)
class Route:
    """An edge as a Dagster output: active when its port matches and its condition holds."""

    source: str
    target: str
    port: str | None = None
    condition: str | None = None
    edge_index: int | None = None
    condition_at: str | None = None
    """Where ``condition`` is written (``file:line (key path)``), named when it fails."""

    @property
    def label(self) -> str:
        parts = [f"{self.source} -> {self.target}"]
        if self.port is not None:
            parts.append(f"port={self.port}")
        if self.condition:
            parts.append(f"if {self.condition}")
        return " ".join(parts)


@dataclass(frozen=True)
class LoopRegion:
    """Nodes run by flowengine's loop executor inside one op.

    ``seed`` is the initial ready queue; the region covers the cycles and
    everything downstream of them, because flowengine re-runs a downstream node
    each time a loop visit activates it.
    """

    members: tuple[str, ...]
    seed: tuple[str, ...]
    edges: tuple[Edge, ...]
    back_edges: frozenset[tuple[str, str]]
    cycle_nodes: frozenset[str]
    condition_places: tuple[str | None, ...] = ()
    """Where each edge's condition is written (aligned with ``edges``)."""


@dataclass(frozen=True)
class PlanOp:
    """One Dagster op."""

    key: str
    kind: OpKind
    order: int
    description: str
    units: tuple[Unit, ...]
    inputs: tuple[Route, ...] = ()
    routes: tuple[Route, ...] = ()
    ancestors: frozenset[str] = frozenset()
    records_skip: bool = False
    loop_mode: bool = False
    region: LoopRegion | None = None
    blueprint_loc: tuple[str | int, ...] = ()

    @property
    def unit(self) -> Unit:
        return self.units[0]


@dataclass(frozen=True)
class ExecutionPlan:
    blueprint: str
    version: str
    flow_type: str
    settings: FlowSettings
    on_condition_error: str
    ops: tuple[PlanOp, ...]
    warnings: tuple[str, ...] = ()
    component_units: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def op(self, key: str) -> PlanOp:
        for op in self.ops:
            if op.key == key:
                return op
        raise KeyError(key)

    @property
    def ancestors(self) -> dict[str, frozenset[str]]:
        return {op.key: op.ancestors for op in self.ops}
