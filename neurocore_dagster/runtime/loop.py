"""A loop region, run with flowengine's loop executor rules.

A FIFO ready queue starts from the region's seed. A node whose visit count has
reached its ``max_visits`` (default ``max_iterations``) is passed over; entering
a back-edge target again starts a new iteration, and going past
``max_iterations`` applies ``on_max_iterations`` (``fail`` raises, ``warn`` and
``exit`` stop the loop). Each visit is reported with its node, iteration, port
and duration.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Mapping

from flowengine import BaseComponent, FlowContext
from flowengine.errors import MaxIterationsError

from neurocore_dagster.plan.model import LoopRegion, Route, Unit
from neurocore_dagster.runtime.observer import LoopVisit, Observer, OpWarning
from neurocore_dagster.runtime.routing import active_routes
from neurocore_dagster.runtime.runner import RunParams, run_unit


def run_region(
    region: LoopRegion,
    units: Mapping[str, Unit],
    components: Mapping[str, BaseComponent],
    context: FlowContext,
    params: RunParams,
    observer: Observer,
    start: str | None = None,
) -> FlowContext:
    """Run the region from its seed, or from ``start`` (the node a resumed run suspended at)."""
    settings = params.settings
    outgoing: dict[str, list[Route]] = {}
    places = region.condition_places or (None,) * len(region.edges)
    for index, edge in enumerate(region.edges):
        outgoing.setdefault(edge.source, []).append(
            Route(edge.source, edge.target, edge.port, edge.condition, index, places[index])
        )
    back_targets = {target for _, target in region.back_edges}
    visits = dict(context.metadata.node_visit_counts)
    iteration = context.metadata.iteration_count
    queue = deque([start] if start is not None else region.seed)
    exhausted: set[str] = set()
    while queue:
        node = queue.popleft()
        unit = units[node]
        if visits.get(node, 0) >= (unit.max_visits or settings.max_iterations):
            if unit.max_visits is None and node not in exhausted:
                exhausted.add(node)
                observer.on_warning(_visits_exhausted(region, node, settings.max_iterations))
            continue
        if node in back_targets and visits.get(node, 0) > 0:
            iteration += 1
            context.metadata.iteration_count = iteration
            if iteration > settings.max_iterations:
                _max_iterations(context, node, iteration, params, observer)
                break
        started = time.perf_counter()
        context = run_unit(unit, components[unit.component], context, params, "node", observer)
        visits[node] = visits.get(node, 0) + 1
        context.metadata.node_visit_counts = dict(visits)
        port = context.get_active_port()
        observer.on_loop_visit(
            LoopVisit(node, visits[node], iteration, port, (time.perf_counter() - started) * 1000)
        )
        if context.metadata.suspended:
            return context
        if node not in region.cycle_nodes:
            context.metadata.completed_nodes.append(node)
        for route in active_routes(
            outgoing.get(node, []), port, context, settings.on_condition_error, observer
        ):
            queue.append(route.target)
    return context


def _max_iterations(
    context: FlowContext, node: str, iteration: int, params: RunParams, observer: Observer
) -> None:
    settings = params.settings
    context.metadata.max_iterations_reached = True
    if settings.on_max_iterations == "fail":
        raise MaxIterationsError(
            f"Cycle at node '{node}' reached max_iterations={settings.max_iterations}",
            max_iterations=settings.max_iterations,
            actual_iterations=iteration,
            cycle_entry_node=node,
            flow_id=context.metadata.flow_id,
        )
    if settings.on_max_iterations == "warn":
        observer.on_warning(
            OpWarning(
                node,
                "max_iterations",
                f"max_iterations={settings.max_iterations} reached at {node!r}; "
                "the loop stops here (on_max_iterations=warn)",
                {"iteration": iteration},
            )
        )


def _visits_exhausted(region: LoopRegion, node: str, max_iterations: int) -> OpWarning:
    """A node passed over at its default visit limit: the loop ended without an exit.

    flowengine ends such a loop the same way, silently, even with
    ``on_max_iterations: fail``; the result is kept, and this warning says so.
    """
    loop = ", ".join(sorted(region.cycle_nodes)) or node
    return OpWarning(
        node,
        "visits_exhausted",
        f"loop through {loop}: node {node!r} reached max_iterations={max_iterations} "
        "visits and the loop stopped there, without taking an exit edge "
        "(on_max_iterations does not apply: as in flowengine, a node's visit limit ends "
        "the loop first; set max_visits on the node, or give the loop an exit)",
        {"node": node, "visits": max_iterations, "loop_nodes": sorted(region.cycle_nodes)},
    )
