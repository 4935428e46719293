"""Run config for a blueprint job, written with the names used in the blueprint."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg

from neurocore_dagster.errors import ExecutionError
from neurocore_dagster.keys import RESOURCES_METADATA, RUN_RESOURCE_KEY


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
    """Component name -> resource key, as the job's translator chose them."""
    value = job.metadata.get(RESOURCES_METADATA)
    if value is None:
        raise ExecutionError(f"job {job.name!r} is not a neurocore-dagster job")
    keys = value.value if hasattr(value, "value") else value
    return {str(name): str(key) for name, key in dict(keys).items()}
