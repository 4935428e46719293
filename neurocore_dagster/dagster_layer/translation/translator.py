"""The one customisation point for how a blueprint looks in Dagster.

Subclass :class:`BlueprintTranslator`, override a ``get_*`` hook, call
``super()`` where you want the default, and pass an instance as
``translator=`` wherever a job is built. Tags the package relies on
(``neurocore/blueprint``, ``neurocore/skill``) are added after the hooks, so an
override cannot remove them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import dagster as dg

from neurocore_dagster.dagster_layer.translation.names import dagster_name
from neurocore_dagster.keys import (
    BLUEPRINT_TAG,
    COMPONENT_METADATA,
    KIND_KEY,
    LOOP_MEMBERS_METADATA,
    ORDER_METADATA,
    SKILL_TAG,
    SKILL_VERSION_TAG,
)
from neurocore_dagster.plan.model import ExecutionPlan, LoopOp, PlanOp, UnitOp


@dataclass(frozen=True)
class TranslatorSettings:
    """Switches for the default hooks."""

    op_description_includes_skill: bool = True


@dataclass(frozen=True)
class OpSpec:
    """Everything Dagster needs to know about one op, assembled from the hooks."""

    name: str
    description: str
    tags: dict[str, str]
    metadata: dict[str, Any]


def default_job_name(plan: ExecutionPlan) -> str:
    return dagster_name(plan.blueprint)


def default_job_tags(plan: ExecutionPlan) -> dict[str, str]:
    return {}


def default_executor(plan: ExecutionPlan) -> dg.ExecutorDefinition | None:
    return None


def default_op_name(op: PlanOp) -> str:
    return dagster_name(op.key)


def default_op_description(op: PlanOp, settings: TranslatorSettings) -> str:
    if not isinstance(op, UnitOp) or not settings.op_description_includes_skill:
        return op.description
    return f"{op.description}\n\nskill: {op.unit.skill} {op.unit.skill_version}"


def default_op_tags(op: PlanOp) -> dict[str, str]:
    return {KIND_KEY: op.kind}


def default_op_metadata(op: PlanOp) -> dict[str, Any]:
    meta: dict[str, Any] = {KIND_KEY: op.kind, ORDER_METADATA: op.order}
    if isinstance(op, UnitOp):
        meta[COMPONENT_METADATA] = op.unit.component
    if isinstance(op, LoopOp):
        meta[LOOP_MEMBERS_METADATA] = ", ".join(op.region.members)
    return meta


def default_resource_key(component: str) -> str:
    return dagster_name(component)


class BlueprintTranslator:
    """Maps plan objects to Dagster names, descriptions, tags and metadata."""

    def __init__(self, settings: TranslatorSettings | None = None) -> None:
        self.settings = settings or TranslatorSettings()

    def get_job_name(self, plan: ExecutionPlan) -> str:
        """Default: the blueprint name made a valid Dagster name (``greet-flow`` -> ``greet_flow``).

        Example override: ``return "nc_" + super().get_job_name(plan)``.
        """
        return default_job_name(plan)

    def get_job_tags(self, plan: ExecutionPlan) -> dict[str, str]:
        """Default: none. Package-owned tags (``neurocore/blueprint``, ...) are added after.

        Example override: ``return {**super().get_job_tags(plan), "team": "ml"}``.
        """
        return default_job_tags(plan)

    def get_executor(self, plan: ExecutionPlan) -> dg.ExecutorDefinition | None:
        """Default: ``None``, the package's executor: Dagster's ``multi_or_in_process``
        executor whose step processes build only this blueprint's job.

        Example override: ``return dg.in_process_executor``.
        """
        return default_executor(plan)

    def get_op_name(self, op: PlanOp) -> str:
        """Default: the step's component name or the node id, made a valid Dagster name.

        Example override: ``return super().get_op_name(op).lower()``.
        """
        return default_op_name(op)

    def get_op_description(self, op: PlanOp) -> str:
        """Default: the step or node description (else the skill's), plus skill and version.

        Example override: ``return op.description``.
        """
        return default_op_description(op, self.settings)

    def get_op_tags(self, op: PlanOp) -> dict[str, str]:
        """Default: ``{KIND_KEY: <step|router|node|loop>}`` (``neurocore/kind``).

        Example override: ``return {**super().get_op_tags(op), "team": "ml"}``.
        """
        return default_op_tags(op)

    def get_op_metadata(self, op: PlanOp) -> dict[str, Any]:
        """Default: kind, position in flowengine's order, component, loop members.

        Example override: ``return {**super().get_op_metadata(op), "owner": "me"}``.
        """
        return default_op_metadata(op)

    def get_resource_key(self, component: str) -> str:
        """Default: the component name made a valid Dagster name.

        Example override: ``return "skill_" + super().get_resource_key(component)``.
        """
        return default_resource_key(component)

    def get_op_spec(self, plan: ExecutionPlan, op: PlanOp) -> OpSpec:
        """Assemble the hooks; package-owned tags are merged last."""
        tags = {str(k): str(v) for k, v in self.get_op_tags(op).items()}
        tags[BLUEPRINT_TAG] = plan.blueprint
        if isinstance(op, UnitOp):
            tags[SKILL_TAG] = op.unit.skill
            tags[SKILL_VERSION_TAG] = op.unit.skill_version
        else:
            tags[SKILL_TAG] = ",".join(sorted({u.skill for u in op.units}))
        return OpSpec(
            name=self.get_op_name(op),
            description=self.get_op_description(op),
            tags=tags,
            metadata=self.get_op_metadata(op),
        )


def validate_translator(translator: object) -> BlueprintTranslator:
    if not isinstance(translator, BlueprintTranslator):
        raise TypeError(
            f"translator must be a BlueprintTranslator (or subclass), not "
            f"{type(translator).__name__}; pass BlueprintTranslator() or a subclass"
        )
    return translator
