"""Step conditions and edge routing, with ``on_condition_error`` applied in one place."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from flowengine import FlowContext
from flowengine.errors import ConditionEvaluationError

from neurocore_dagster.plan.model import Route
from neurocore_dagster.runtime.expressions import evaluate
from neurocore_dagster.runtime.observer import Observer, OpWarning, StepSkipped

Decision = Literal["run", "skip"]


def step_decision(
    unit_key: str,
    component: str,
    condition: str | None,
    context: FlowContext,
    policy: str,
    observer: Observer,
    condition_at: str | None = None,
) -> Decision:
    """Whether a step runs; a skip is recorded in ``skipped_components`` as flowengine does.

    With the ``fail`` policy a condition that cannot be evaluated fails the step, its
    error naming where the condition is written (``condition_at``)."""
    if not condition:
        return "run"
    try:
        holds = evaluate(condition, context)
    except ConditionEvaluationError as exc:
        context.metadata.add_condition_error(component, exc, condition)
        if policy == "fail":
            raise located(exc, condition_at) from exc
        observer.on_warning(
            OpWarning(
                unit_key,
                "condition_error",
                f"condition of {unit_key!r} failed ({policy}): {exc}",
                {"condition": condition},
            )
        )
        holds = False
    if not holds:
        context.metadata.skipped_components.append(component)
        observer.on_skipped(StepSkipped(unit_key, "condition false", condition))
        return "skip"
    return "run"


def active_routes(
    routes: Sequence[Route],
    port: str | None,
    context: FlowContext,
    policy: str,
    observer: Observer,
) -> list[Route]:
    """The routes a node activates after it ran (flowengine's port-then-condition rule)."""
    has_port_edges = any(r.port is not None for r in routes)
    active = []
    for route in routes:
        if route.port is None or not has_port_edges:
            port_ok = True
        else:
            port_ok = port is not None and route.port == port
        if port_ok and _edge_condition_ok(route, context, policy, observer):
            active.append(route)
    return active


def _edge_condition_ok(route: Route, context: FlowContext, policy: str, observer: Observer) -> bool:
    if not route.condition:
        return True
    try:
        return evaluate(route.condition, context)
    except ConditionEvaluationError as exc:
        if policy == "fail":
            raise located(exc, route.condition_at) from exc
        context.metadata.add_condition_error(
            f"{route.source}->{route.target}", exc, route.condition
        )
        observer.on_warning(
            OpWarning(
                route.source,
                "condition_error",
                f"edge {route.label} condition failed, edge inactive ({policy}): {exc}",
                {"condition": route.condition, "policy": policy},
            )
        )
        return False


def located(exc: ConditionEvaluationError, condition_at: str | None) -> ConditionEvaluationError:
    """``exc`` (same type, so callers still catch it) naming where its condition is written."""
    if condition_at is None:
        return exc
    first = str(exc).split("\nCondition:", 1)[0]
    return ConditionEvaluationError(
        f"condition at {condition_at} failed: {first}", condition=exc.condition
    )
