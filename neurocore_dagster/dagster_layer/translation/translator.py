"""The one customisation point for how a blueprint looks in Dagster.

Modelled on dagster-dbt's ``DagsterDbtTranslator``: a few composite hooks, each
returning one spec of Dagster's own types, so a subclass overrides one hook,
takes ``super()``'s spec and changes what it wants::

    class MyTranslator(BlueprintTranslator):
        def get_job_spec(self, blueprint, plan):
            spec = super().get_job_spec(blueprint, plan)
            return spec.replace(name="nc_" + spec.name, executor_def=dg.in_process_executor)

        def get_op_spec(self, plan, op):
            return super().get_op_spec(plan, op).merge(tags={"team": "ml"})

Pass an instance as ``translator=`` wherever a job is built. Tags the package
relies on (``neurocore/blueprint``, ``neurocore/skill``, ...) are added after
the hooks, so an override cannot remove them. A job records its translator's
class and settings, and a resume rebuilds the job with that translator
(:mod:`~neurocore_dagster.dagster_layer.jobs.recorded_job`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import dagster as dg

from neurocore_dagster.blueprint.model import Blueprint
from neurocore_dagster.dagster_layer.translation.names import dagster_name
from neurocore_dagster.keys import BLUEPRINT_TAG, KIND_KEY, SKILL_TAG, SKILL_VERSION_TAG
from neurocore_dagster.plan.model import ExecutionPlan, PlanOp, UnitOp


@dataclass(frozen=True)
class TranslatorSettings:
    """Switches for the default hooks."""

    op_description_includes_skill: bool = True


@dataclass(frozen=True)
class JobSpec:
    """How one blueprint's job looks in Dagster: what ``GraphDefinition.to_job`` takes."""

    name: str
    description: str
    tags: Mapping[str, str] = field(default_factory=dict)
    """Job tags; the package's (``neurocore/blueprint``, ...) are added over them."""
    metadata: Mapping[str, Any] = field(default_factory=dict)
    """Job metadata (``dg.MetadataValue`` or plain values); the package's ``neurocore/...``
    keys are added over them."""
    executor_def: dg.ExecutorDefinition | None = None
    """None: the package's executor, Dagster's ``multi_or_in_process`` selector plus
    ``threads``, whose step processes build only this blueprint's job."""

    def replace(self, **changes: Any) -> JobSpec:
        """This spec with the given fields replaced (as ``AssetSpec.replace_attributes``)."""
        return replace(self, **changes)

    def merge(
        self,
        *,
        tags: Mapping[str, str] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> JobSpec:
        """This spec with ``tags`` and ``metadata`` added (as ``AssetSpec.merge_attributes``)."""
        return replace(
            self,
            tags={**self.tags, **(tags or {})},
            metadata={**self.metadata, **(metadata or {})},
        )


@dataclass(frozen=True)
class OpSpec:
    """How one plan op (step, router, graph node, loop) looks in Dagster: what its op takes."""

    name: str
    """The op's name in the job (its node alias); unique within the job."""
    description: str
    tags: Mapping[str, str] = field(default_factory=dict)
    """Op tags; the package's (``neurocore/blueprint``, ``neurocore/skill``, ...) are
    added over them. ``tag_concurrency_limits`` of the executors match them."""
    pool: str | None = None
    """Dagster's op concurrency pool (the instance's slots for it limit the op)."""

    def replace(self, **changes: Any) -> OpSpec:
        """This spec with the given fields replaced (as ``AssetSpec.replace_attributes``)."""
        return replace(self, **changes)

    def merge(self, *, tags: Mapping[str, str] | None = None) -> OpSpec:
        """This spec with ``tags`` added (as ``AssetSpec.merge_attributes``)."""
        return replace(self, tags={**self.tags, **(tags or {})})


class BlueprintTranslator:
    """Maps a blueprint and its plan to Dagster's job, op and resource specs.

    Override :meth:`get_job_spec`, :meth:`get_op_spec` or :meth:`get_resource_key`;
    start from ``super()``'s result to keep the defaults.
    """

    def __init__(self, settings: TranslatorSettings | None = None) -> None:
        self.settings = settings or TranslatorSettings()

    def get_job_spec(self, blueprint: Blueprint, plan: ExecutionPlan) -> JobSpec:
        """The job's name, description, tags, metadata and executor.

        Default: the blueprint name made a valid Dagster name (``greet-flow`` ->
        ``greet_flow``), the blueprint's description, no tags or metadata of its
        own, and the package's executor. Example override:
        ``return super().get_job_spec(blueprint, plan).replace(executor_def=celery_executor)``.
        """
        return JobSpec(
            name=dagster_name(plan.blueprint),
            description=blueprint.description or f"NeuroCore blueprint {blueprint.name!r}",
        )

    def get_op_spec(self, plan: ExecutionPlan, op: PlanOp) -> OpSpec:
        """One op's name, description, tags and pool.

        Default: the step's component name or the node id made a valid Dagster
        name; the step or node description (else the skill's) plus skill and
        version; the tag ``neurocore/kind`` (step, router, node or loop); no pool.
        Example override: ``return super().get_op_spec(plan, op).replace(pool="slow_api")``.
        """
        description = op.description
        if isinstance(op, UnitOp) and self.settings.op_description_includes_skill:
            description = f"{description}\n\nskill: {op.unit.skill} {op.unit.skill_version}"
        return OpSpec(name=dagster_name(op.key), description=description, tags={KIND_KEY: op.kind})

    def get_resource_key(self, component: str) -> str:
        """The resource key of a blueprint component. Default: its name made a valid Dagster name.

        Example override: ``return "skill_" + super().get_resource_key(component)``.
        """
        return dagster_name(component)


def package_op_tags(plan: ExecutionPlan, op: PlanOp) -> dict[str, str]:
    """The op tags the package owns, added over the translator's."""
    tags = {BLUEPRINT_TAG: plan.blueprint}
    if isinstance(op, UnitOp):
        tags[SKILL_TAG] = op.unit.skill
        tags[SKILL_VERSION_TAG] = op.unit.skill_version
    else:
        tags[SKILL_TAG] = ",".join(sorted({u.skill for u in op.units}))
    return tags


_REPLACED_HOOKS = {
    "get_job_name": "get_job_spec",
    "get_job_tags": "get_job_spec",
    "get_executor": "get_job_spec",
    "get_op_name": "get_op_spec",
    "get_op_description": "get_op_spec",
    "get_op_tags": "get_op_spec",
    "get_op_metadata": "get_op_spec",
}
"""Hooks of earlier releases; a subclass that still defines one is refused, not ignored."""


def validate_translator(translator: object) -> BlueprintTranslator:
    """``translator`` if it is a :class:`BlueprintTranslator` whose hooks all take effect."""
    if not isinstance(translator, BlueprintTranslator):
        raise TypeError(
            f"translator must be a BlueprintTranslator (or subclass), not "
            f"{type(translator).__name__}; pass BlueprintTranslator() or a subclass"
        )
    for cls in type(translator).__mro__:
        for old, new in _REPLACED_HOOKS.items():
            if old in vars(cls):
                raise TypeError(
                    f"{_where(vars(cls)[old])}: {cls.__qualname__}.{old} is no longer a "
                    f"translator hook and would be ignored; override {new} instead (its "
                    f"spec has the field: start from super().{new}(...) and .replace() it)"
                )
    return translator


Spec = TypeVar("Spec", JobSpec, OpSpec)


def checked_spec(translator: BlueprintTranslator, hook: str, kind: type[Spec], *args: Any) -> Spec:
    """What ``translator.<hook>(*args)`` returns, refused unless it is a ``kind``."""
    spec = getattr(translator, hook)(*args)
    if not isinstance(spec, kind):
        method = getattr(type(translator), hook)
        raise TypeError(
            f"{_where(method)}: {type(translator).__qualname__}.{hook} returned "
            f"{type(spec).__name__}, not {kind.__name__}; return super().{hook}(...) "
            "with .replace(...) or .merge(...) applied"
        )
    return spec


def _where(function: Any) -> str:
    """``file:line`` of a function's definition, where Python knows it."""
    code = getattr(function, "__code__", None)
    if code is None:
        return "<unknown file>"
    return f"{code.co_filename}:{code.co_firstlineno}"
