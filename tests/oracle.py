"""flowengine run directly on a blueprint's components: the reference results."""

from __future__ import annotations

import asyncio
import copy
import inspect
from dataclasses import dataclass
from typing import Any

from flowengine import FlowContext, FlowEngine, GraphExecutor
from flowengine.config.schema import ComponentConfig, FlowConfig, FlowDefinition

from neurocore_dagster import Blueprint, SkillRegistry


@dataclass
class Outcome:
    failed: bool
    context: FlowContext
    error: BaseException | None = None


def run_flowengine(
    blueprint: Blueprint, registry: SkillRegistry, initial_data: dict[str, Any] | None = None
) -> Outcome:
    components = {}
    configs = []
    for component in blueprint.components:
        cls = registry.get(component.type)
        components[component.name] = cls(component.name)
        configs.append(
            ComponentConfig(
                name=component.name, type=f"test.{component.type}", config=dict(component.config)
            )
        )
    flow = FlowDefinition.model_validate(blueprint.flow.model_dump())
    config = FlowConfig(name=blueprint.name, components=configs, flow=flow)
    engine = FlowEngine(config, components, validate_types=False)
    context = FlowContext()
    # A copy: skills mutate lists in place, and the caller runs the same data on Dagster next.
    for key, value in copy.deepcopy(dict(initial_data or {})).items():
        context.set(key, value)
    has_async = any(inspect.iscoroutinefunction(type(c).process) for c in components.values())
    try:
        if has_async:
            assert blueprint.flow.type == "graph", "async oracle runs graph flows only"
            executor = GraphExecutor(flow.nodes or [], flow.edges or [], components, flow.settings)
            context = asyncio.run(executor.execute_async(context))
        else:
            context = engine.execute(context)
    except Exception as exc:
        return Outcome(True, context, exc)
    return Outcome(False, context)


def comparable(context: FlowContext) -> dict[str, Any]:
    """The parts of a context both executors must agree on."""
    meta = context.metadata
    return {
        "data": context.data.to_dict(),
        "skipped_components": list(meta.skipped_components),
        "errors": [(e["component"], e["error_type"], e["message"]) for e in meta.errors],
        "condition_errors": [(e["component"], e["error_type"]) for e in meta.condition_errors],
        "completed_nodes": list(meta.completed_nodes),
        "node_visit_counts": dict(meta.node_visit_counts),
        "iteration_count": meta.iteration_count,
        "max_iterations_reached": meta.max_iterations_reached,
    }
