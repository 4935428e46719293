"""Build the Dagster job of one blueprint."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg

from neurocore_dagster.blueprint.model import Blueprint
from neurocore_dagster.blueprint.source import SourceMap
from neurocore_dagster.dagster_layer.assets.specs import job_assets
from neurocore_dagster.dagster_layer.executors.selection import blueprint_executor
from neurocore_dagster.dagster_layer.jobs.job_shape import (
    SameJobAsParent,
    fingerprint,
    job_shape,
    project_values,
)
from neurocore_dagster.dagster_layer.jobs.op_rendering import (
    RenderedOp,
    passes_context_on,
    render_op,
)
from neurocore_dagster.dagster_layer.resources.components import (
    component_resource,
    run_inputs_resource,
)
from neurocore_dagster.dagster_layer.resources.llm import llm_components, llm_resource
from neurocore_dagster.dagster_layer.storage.io_manager import context_io_manager
from neurocore_dagster.dagster_layer.translation.names import dagster_name
from neurocore_dagster.dagster_layer.translation.translator import (
    BlueprintTranslator,
    JobSpec,
    OpSpec,
    checked_spec,
    package_op_tags,
    validate_translator,
)
from neurocore_dagster.errors import BlueprintError, BlueprintIssue, issue
from neurocore_dagster.keys import (
    BLUEPRINT_METADATA,
    BLUEPRINT_TAG,
    BLUEPRINT_VERSION_TAG,
    CONTEXT_OUTPUT,
    FLOW_TYPE_TAG,
    IO_MANAGER_KEY,
    LLM_RESOURCE_KEY,
    PLAN_METADATA,
    RESERVED_JOB_PREFIXES,
    RESERVED_RESOURCE_KEYS,
    RUN_RESOURCE_KEY,
    SHAPE_METADATA,
    SHAPE_TAG,
    SOURCE_METADATA,
    SUSPENDED_OUTPUT,
    UPSTREAM_INPUT,
)
from neurocore_dagster.llm.choice import LLMPlan, plan_llms, skill_values
from neurocore_dagster.plan.compile import compile_plan
from neurocore_dagster.plan.model import ExecutionPlan, PlanOp, Route
from neurocore_dagster.plan.names import unique_name
from neurocore_dagster.plan.serial import plan_record
from neurocore_dagster.project.component_config import (
    ConfigLayer,
    MergedConfig,
    merge_layers,
    schema_issues,
)
from neurocore_dagster.project.config import Project, load_project
from neurocore_dagster.skills.discovery import discover_usable_skills
from neurocore_dagster.skills.registry import SkillRegistry


def build_job(
    blueprint: Blueprint,
    registry: SkillRegistry | None = None,
    *,
    project_root: str | Path | None = None,
    translator: BlueprintTranslator | None = None,
    config_overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> dg.JobDefinition:
    """The Dagster job that runs ``blueprint`` with flowengine's semantics.

    ``project_root`` (default: the working directory) supplies ``neurocore.yaml``
    and, when ``registry`` is None, the skills to discover. ``config_overrides``
    (component name -> config) wins over both files and loses to run config.
    """
    project = load_project(project_root)
    registry = registry if registry is not None else discover_usable_skills(project)
    return job_for_project(blueprint, registry, project, translator, config_overrides)


def job_for_project(
    blueprint: Blueprint,
    registry: SkillRegistry,
    project: Project,
    translator: BlueprintTranslator | None = None,
    config_overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> dg.JobDefinition:
    translator = validate_translator(translator or BlueprintTranslator())
    plan = compile_plan(blueprint, registry)
    resources, llm_plan = _component_resources(
        blueprint, registry, project, translator, dict(config_overrides or {})
    )
    job_spec = checked_spec(translator, "get_job_spec", JobSpec, blueprint, plan)
    job_name = job_spec.name
    _check_job_name(blueprint, job_name)
    specs = {op.key: op_spec(translator, plan, op) for op in plan.ops}
    _check_unique_names(blueprint, {k: s.name for k, s in specs.items()}, "op")
    rendered = {}
    route_names = _route_output_names(plan, {k: s.name for k, s in specs.items()})
    keys = {name: key for name, (key, _) in resources.items()}
    assets = job_assets(blueprint, job_name)
    for op in plan.ops:
        rendered[op.key] = render_op(
            plan, op, specs[op.key], job_name, route_names[op.key], keys, assets
        )
    graph = dg.GraphDefinition(
        name=job_name,
        description=job_spec.description,
        node_defs=[r.definition for r in rendered.values()],
        dependencies=_dependencies(plan, rendered),
    )
    uses_llm = bool(llm_components(blueprint, registry))
    metadata = {**job_spec.metadata, **_job_metadata(blueprint, plan, rendered, keys)}
    job_tags = {str(k): str(v) for k, v in job_spec.tags.items()}
    shape = job_shape(
        translator,
        config_overrides or {},
        project_values(project, {c.type for c in blueprint.components}, uses_llm),
        _names(job_name, specs, keys, job_tags),
    )
    metadata[SHAPE_METADATA] = dg.MetadataValue.json(shape)
    shape_tag = fingerprint(metadata[BLUEPRINT_METADATA].value, shape)
    resource_defs: dict[str, Any] = {key: definition for key, definition in resources.values()}
    resource_defs[RUN_RESOURCE_KEY] = run_inputs_resource(
        blueprint, SameJobAsParent(shape_tag, shape)
    )
    if uses_llm:
        resource_defs[LLM_RESOURCE_KEY] = llm_resource(llm_plan, project.config.llm, keys)
    resource_defs[IO_MANAGER_KEY] = context_io_manager
    return graph.to_job(
        resource_defs=resource_defs,
        executor_def=job_spec.executor_def or blueprint_executor(blueprint.source.path),
        tags={
            **job_tags,
            BLUEPRINT_TAG: blueprint.name,
            BLUEPRINT_VERSION_TAG: blueprint.version,
            FLOW_TYPE_TAG: blueprint.flow.type,
            SHAPE_TAG: shape_tag,
        },
        metadata=metadata,
    )


def op_spec(translator: BlueprintTranslator, plan: ExecutionPlan, op: PlanOp) -> OpSpec:
    """The translator's spec of ``op``, with the op tags the package owns added over its own."""
    spec = checked_spec(translator, "get_op_spec", OpSpec, plan, op)
    tags = {str(k): str(v) for k, v in spec.tags.items()}
    return spec.replace(tags={**tags, **package_op_tags(plan, op)})


def _check_job_name(blueprint: Blueprint, job_name: str) -> None:
    """Refuse a job name Dagster keeps for itself or a broken file's placeholder would take."""
    reserved = next((p for p in RESERVED_JOB_PREFIXES if job_name.startswith(p)), None)
    if reserved is None:
        return
    raise BlueprintError(
        [
            blueprint.source.locate(
                issue(
                    "job.reserved_name",
                    f"blueprint {blueprint.name!r} becomes Dagster job {job_name!r}; job names "
                    f"starting with {reserved!r} are reserved",
                    ("name",),
                    input=blueprint.name,
                    expected=f"a name whose job name does not start with "
                    f"{' or '.join(map(repr, RESERVED_JOB_PREFIXES))}",
                )
            )
        ]
    )


def _names(
    job_name: str, specs: Mapping[str, OpSpec], keys: Mapping[str, str], job_tags: dict[str, str]
) -> dict[str, Any]:
    """What the translator chose: a resume must rebuild a job with the same names."""
    ops = {key: spec.name for key, spec in specs.items()}
    return {"job": job_name, "ops": ops, "resources": dict(keys), "job_tags": job_tags}


def _component_resources(
    blueprint: Blueprint,
    registry: SkillRegistry,
    project: Project,
    translator: BlueprintTranslator,
    overrides: dict[str, Mapping[str, Any]],
) -> tuple[dict[str, tuple[str, Any]], LLMPlan]:
    """A resource per component, and their LLMs; every config problem is reported first."""
    problems: list[BlueprintIssue] = []
    names = {c.name for c in blueprint.components}
    for name in sorted(set(overrides) - names):
        problems.append(
            issue(
                "config.unknown_component",
                f"config_overrides name component {name!r}, which is not in "
                f"blueprint {blueprint.name!r}",
                (name,),
                file="<config_overrides>",
                input=name,
                expected=f"one of: {', '.join(sorted(names))}",
            )
        )
    override_source = SourceMap(file="<config_overrides>")
    merged_values: dict[str, dict[str, Any]] = {}
    written: dict[str, MergedConfig] = {}
    keys: dict[str, str] = {}
    for index, component in enumerate(blueprint.components):
        meta = registry.meta(component.type)
        merged = merge_layers(
            [
                *project.skill_config_layers(component.type),
                ConfigLayer(
                    dict(component.config), blueprint.source, ("components", index, "config")
                ),
                ConfigLayer(
                    dict(overrides.get(component.name, {})), override_source, (component.name,)
                ),
            ]
        )
        written[component.name] = merged
        if meta.requires_llm:
            merged = skill_values(merged, meta.config_schema or {})
        problems.extend(schema_issues(merged, meta.config_schema, meta.name))
        merged_values[component.name] = merged.values
        keys[component.name] = translator.get_resource_key(component.name)
        if keys[component.name] in RESERVED_RESOURCE_KEYS:
            problems.append(
                blueprint.source.locate(
                    issue(
                        "component.reserved_name",
                        f"component name {component.name!r} is reserved in Dagster jobs",
                        ("components", index, "name"),
                        input=component.name,
                        expected=f"a name other than {', '.join(RESERVED_RESOURCE_KEYS)}",
                    )
                )
            )
    _check_unique_names(blueprint, keys, "resource", problems)
    llm_plan, found = plan_llms(blueprint, registry, project, written)
    problems.extend(found)
    if problems:
        raise BlueprintError(problems)
    resources = {
        name: (key, component_resource(blueprint, name, registry, merged_values[name], key))
        for name, key in keys.items()
    }
    return resources, llm_plan


def _check_unique_names(
    blueprint: Blueprint,
    names: Mapping[str, str],
    what: str,
    problems: list[BlueprintIssue] | None = None,
) -> None:
    seen: dict[str, str] = {}
    found: list[BlueprintIssue] = []
    for original, name in names.items():
        if name in seen:
            found.append(
                blueprint.source.locate(
                    issue(
                        f"{what}.name_clash",
                        f"{original!r} and {seen[name]!r} both become Dagster {what} name {name!r}",
                        ("flow",),
                        input=original,
                        expected="names that differ after replacing "
                        "characters other than letters, digits, _",
                    )
                )
            )
        seen[name] = original
    if problems is not None:
        problems.extend(found)
    elif found:
        raise BlueprintError(found)


def _route_output_names(
    plan: ExecutionPlan, op_names: Mapping[str, str]
) -> dict[str, dict[Route, str]]:
    consumers = {route: op.key for op in plan.ops for route in op.inputs}
    names: dict[str, dict[Route, str]] = {}
    for op in plan.ops:
        used: set[str] = {CONTEXT_OUTPUT, SUSPENDED_OUTPUT}
        mapping: dict[Route, str] = {}
        for route in op.routes:
            if passes_context_on(op):
                mapping[route] = CONTEXT_OUTPUT
                continue
            mapping[route] = unique_name(f"to_{op_names[consumers[route]]}", used)
        names[op.key] = mapping
    return names


def _dependencies(plan: ExecutionPlan, rendered: Mapping[str, RenderedOp]) -> dict[Any, Any]:
    producers = {route: op.key for op in plan.ops for route in op.routes}
    deps: dict[Any, Any] = {}
    for op in plan.ops:
        if not op.inputs:
            continue
        # Two edges between the same nodes are one dependency when both read flow_context.
        outputs = dict.fromkeys(
            (rendered[producers[r]].spec.name, rendered[producers[r]].route_outputs[r])
            for r in op.inputs
        )
        sources = [dg.DependencyDefinition(node, output) for node, output in outputs]
        invocation = dg.NodeInvocation(
            rendered[op.key].definition.name, alias=rendered[op.key].spec.name
        )
        deps[invocation] = {UPSTREAM_INPUT: dg.MultiDependencyDefinition(sources)}
    for op in plan.ops:
        if not op.inputs:
            deps[
                dg.NodeInvocation(
                    rendered[op.key].definition.name, alias=rendered[op.key].spec.name
                )
            ] = {}
    return deps


def _job_metadata(
    blueprint: Blueprint,
    plan: ExecutionPlan,
    rendered: Mapping[str, RenderedOp],
    resource_keys: Mapping[str, str],
) -> dict[str, Any]:
    names = {key: r.spec.name for key, r in rendered.items()}
    metadata: dict[str, Any] = {
        BLUEPRINT_METADATA: dg.MetadataValue.json(json.loads(blueprint.model_dump_json())),
        PLAN_METADATA: dg.MetadataValue.json(plan_record(plan, names, resource_keys).to_dict()),
    }
    if blueprint.source.path:
        metadata[SOURCE_METADATA] = dg.MetadataValue.path(blueprint.source.path)
    return metadata


__all__ = ["build_job", "dagster_name", "job_for_project"]
