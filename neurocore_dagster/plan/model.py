"""The execution plan: what runs as which op, in which order, routed how.

Pure data (frozen dataclasses, no Dagster import). The Dagster layer renders
it; the runtime executes its units. Every semantic decision about a blueprint
is made when the plan is compiled and can be read here.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from flowengine.config.schema import FlowSettings

from neurocore_dagster.blueprint.model import Edge

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


@dataclass(frozen=True, kw_only=True)
class OpBase:
    """What every Dagster op of a plan has: its place, its routes in and out."""

    kind: ClassVar[str]
    """The op's variant as a word (``step``, ``router``, ``node``, ``loop``), for people
    and records only: code tells variants apart by type."""

    key: str
    order: int
    description: str
    inputs: tuple[Route, ...] = ()
    routes: tuple[Route, ...] = ()
    ancestors: frozenset[str] = frozenset()
    blueprint_loc: tuple[str | int, ...] = ()

    @property
    def units(self) -> tuple[Unit, ...]:
        """Every place in the flow this op stands for."""
        raise NotImplementedError

    @property
    def runs_skills(self) -> tuple[Unit, ...]:
        """The units whose skills this op calls (so whose components it needs)."""
        return self.units

    @property
    def records_skip(self) -> bool:
        """Whether Dagster skipping this op is recorded in ``skipped_components``."""
        return False


@dataclass(frozen=True, kw_only=True)
class StepOp(OpBase):
    """A step of a sequential or conditional flow; a false condition is a recorded skip
    that passes the context on (in a conditional flow the router has decided already)."""

    kind: ClassVar[str] = "step"
    unit: Unit

    @property
    def units(self) -> tuple[Unit, ...]:
        return (self.unit,)


@dataclass(frozen=True, kw_only=True)
class RouterOp(OpBase):
    """A conditional flow's chooser: the first candidate whose condition holds gets the
    one active route; it runs no skill."""

    kind: ClassVar[str] = "router"
    candidates: tuple[Unit, ...]

    @property
    def units(self) -> tuple[Unit, ...]:
        return self.candidates

    @property
    def runs_skills(self) -> tuple[Unit, ...]:
        return ()


@dataclass(frozen=True, kw_only=True)
class NodeOp(OpBase):
    """A graph node run as its own op.

    In an acyclic graph Dagster skips it when no incoming route is active, and that
    skip is recorded. In a cyclic graph it is on the single-entry chain before the
    loop region (``before_loop``): its visit is counted, as flowengine's loop
    executor counts it, and a skip of it is not recorded.
    """

    kind: ClassVar[str] = "node"
    unit: Unit
    before_loop: bool = False

    @property
    def units(self) -> tuple[Unit, ...]:
        return (self.unit,)

    @property
    def records_skip(self) -> bool:
        return not self.before_loop


@dataclass(frozen=True, kw_only=True)
class LoopOp(OpBase):
    """A loop region run in one op by flowengine's loop executor."""

    kind: ClassVar[str] = "loop"
    members: tuple[Unit, ...]
    region: LoopRegion

    @property
    def units(self) -> tuple[Unit, ...]:
        return self.members


PlanOp = StepOp | RouterOp | NodeOp | LoopOp
"""One Dagster op of the plan: tell the variants apart with ``isinstance`` or ``match``."""
UnitOp = StepOp | NodeOp
"""The variants that run exactly one unit (``op.unit``)."""


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
