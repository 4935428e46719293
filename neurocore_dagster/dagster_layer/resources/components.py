"""Resources of a blueprint job: one per component, plus the run's inputs.

A component's resource builds and ``init``s its skill once per step process,
from config merged as ``neurocore.yaml`` < blueprint < run config. The
``neurocore`` resource carries the run's initial data (run config, editable in
the launchpad) and, for approvals, the decision to resume with.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import dagster as dg
from flowengine import BaseComponent

from neurocore_dagster.blueprint.model import Blueprint
from neurocore_dagster.dagster_layer.jobs.config_types import config_field
from neurocore_dagster.dagster_layer.resources.flow_clock import FirstStepStart
from neurocore_dagster.dagster_layer.resources.initial_data import (
    FREE_FORM_DATA,
    INITIAL_DATA,
    UNDECLARED_DATA,
    UNDECLARED_DATA_FIELD,
    initial_data_field,
    run_initial_data,
)
from neurocore_dagster.errors import SkillError
from neurocore_dagster.keys import LLM_RESOURCE_KEY
from neurocore_dagster.runtime.event_loop import RunLoop
from neurocore_dagster.skills.registry import SkillRegistry


@dataclass(frozen=True)
class RunInputs:
    """The run's initial data and, when resuming an approval, the decision."""

    initial_data: dict[str, Any] = field(default_factory=dict)
    resume_data: dict[str, Any] | None = None
    first_step: FirstStepStart = field(default_factory=FirstStepStart, compare=False)
    """When the run's first step started: the zero of the flow's clock (:mod:`.flow_clock`)."""
    loop: RunLoop = field(default_factory=RunLoop, compare=False)
    """The run's event loop for async skills (closed when the resource is torn down)."""


_RESUME_DATA = dg.Field(
    dg.Noneable(
        dg.Permissive(
            {
                "approved": dg.Field(dg.Bool, is_required=False),
                "note": dg.Field(dg.String, is_required=False),
                "by": dg.Field(dg.String, is_required=False),
            }
        )
    ),
    is_required=False,
    default_value=None,
    description="Decision for a suspended approval gate: {approved: bool, note: str, by: str}. "
    "A non-boolean 'approved' is refused before the run starts.",
)
_FREE_FORM_CONFIG = dg.Field(dg.Shape({INITIAL_DATA: FREE_FORM_DATA, "resume_data": _RESUME_DATA}))
"""The run config of every blueprint without ``inputs``: built once, as Dagster config is
immutable and costly to build (a project of 1,000 blueprints would build it 1,000 times)."""


def run_inputs_resource(
    blueprint: Blueprint, on_start: Callable[[dg.InitResourceContext], None] | None = None
) -> dg.ResourceDefinition:
    """The run's inputs; ``on_start`` may refuse the run first (it raises)."""

    def build(init_context: dg.InitResourceContext) -> Iterator[RunInputs]:
        if on_start is not None:
            on_start(init_context)
        config = init_context.resource_config or {}
        data = run_initial_data(config)
        inputs = RunInputs(initial_data=data, resume_data=config.get("resume_data"))
        try:
            yield inputs
        finally:
            inputs.loop.close()

    config_schema: Any = _FREE_FORM_CONFIG
    if blueprint.inputs:
        config_schema = {
            INITIAL_DATA: initial_data_field(blueprint),
            UNDECLARED_DATA: UNDECLARED_DATA_FIELD,
            "resume_data": _RESUME_DATA,
        }
    return dg.ResourceDefinition(
        resource_fn=build,
        config_schema=config_schema,
        description=f"Initial data of a run of blueprint {blueprint.name!r}.",
    )


def component_resource(
    blueprint: Blueprint,
    component_name: str,
    registry: SkillRegistry,
    values: dict[str, Any],
    resource_key: str,
) -> dg.ResourceDefinition:
    """Builds, injects the LLM into, ``init``s and health-checks the component's skill."""
    component = blueprint.component(component_name)
    cls = registry.get(component.type)
    meta = registry.meta(component.type)

    def build(init_context: dg.InitResourceContext) -> BaseComponent:
        config = dict(init_context.resource_config or {})
        instance: BaseComponent = cls(component_name)
        if meta.requires_llm:
            # Any BaseComponent with skill_meta may ask for an LLM (NeuroCore's Skill
            # and ours declare the attribute; flowengine's base class does not).
            instance.llm = init_context.resources.llm.for_component(resource_key)  # type: ignore[attr-defined]
        try:
            instance.init(config)
        except Exception as error:
            raise SkillError(
                f"component {component_name!r} (skill {meta.name!r}) failed to start: "
                f"{type(error).__name__}: {error}"
            ) from error
        problems = instance.validate_config()
        if problems:
            raise SkillError(
                f"component {component_name!r} (skill {meta.name!r}) refused its "
                f"config: {'; '.join(problems)}"
            )
        # A failed health check is a warning, as in NeuroCore, not an error; a passed
        # one is silent (one event per component per run would be noise).
        if not instance.health_check() and init_context.log is not None:
            init_context.log.warning(
                f"component {component_name!r} (skill {meta.name} {meta.version}): "
                "health_check FAILED"
            )
        return instance

    return dg.ResourceDefinition(
        resource_fn=build,
        config_schema=config_field(meta.config_schema or {}, values, resource_key, component_name),
        required_resource_keys={LLM_RESOURCE_KEY} if meta.requires_llm else None,
        description=f"Component {component_name!r}: skill {meta.name} {meta.version}. "
        f"{meta.description}".strip(),
    )
