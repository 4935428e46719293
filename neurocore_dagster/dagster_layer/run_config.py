"""Run config for a blueprint job, written with the names used in the blueprint."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg

from neurocore_dagster.dagster_layer.job import BLUEPRINT_METADATA
from neurocore_dagster.dagster_layer.resources import RUN_RESOURCE_KEY
from neurocore_dagster.dagster_layer.translator import BlueprintTranslator
from neurocore_dagster.errors import ExecutionError


def run_config(
    job: dg.JobDefinition,
    *,
    initial_data: Mapping[str, Any] | None = None,
    resources: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Run config for ``job``: initial data, and component config by the names in the blueprint."""
    keys = _component_resource_keys(job)
    config: dict[str, Any] = {"resources": {}}
    if initial_data is not None:
        config["resources"][RUN_RESOURCE_KEY] = {"config": {"initial_data": dict(initial_data)}}
    for component, values in (resources or {}).items():
        if component not in keys:
            raise ExecutionError(
                f"job {job.name!r} has no component {component!r}; "
                f"components: {', '.join(sorted(keys)) or '(none)'}"
            )
        config["resources"][keys[component]] = {"config": dict(values)}
    return config


def _component_resource_keys(job: dg.JobDefinition) -> dict[str, str]:
    blueprint = _job_blueprint(job.metadata)
    names = {c["name"] for c in blueprint["components"]}
    by_default = {name: BlueprintTranslator().get_resource_key(name) for name in names}
    return {name: key for name, key in by_default.items() if key in job.resource_defs}


def _job_blueprint(metadata: Mapping[str, Any]) -> dict[str, Any]:
    value = metadata.get(BLUEPRINT_METADATA)
    if value is None:
        raise ExecutionError("not a neurocore-dagster job: its metadata has no blueprint")
    return value.value if hasattr(value, "value") else value
