"""Run config for a blueprint job, written with the names used in the blueprint."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg

from neurocore_dagster.dagster_layer.jobs.recorded_plan import recorded_plan
from neurocore_dagster.dagster_layer.resources.initial_data import (
    declared_inputs,
    split_initial_data,
)
from neurocore_dagster.errors import ExecutionError
from neurocore_dagster.keys import RUN_RESOURCE_KEY


def run_config(
    job: dg.JobDefinition,
    *,
    initial_data: Mapping[str, Any] | None = None,
    resources: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Run config for ``job``: initial data, and component config by the names in the blueprint.

    Keys of ``initial_data`` that the blueprint's ``inputs`` do not declare go in the
    ``undeclared_data`` section (:mod:`~neurocore_dagster.dagster_layer.resources.initial_data`).
    """
    keys = recorded_plan(job).resource_keys
    config: dict[str, Any] = {"resources": {}}
    if initial_data is not None:
        sections = split_initial_data(declared_inputs(job, RUN_RESOURCE_KEY), initial_data)
        config["resources"][RUN_RESOURCE_KEY] = {"config": sections}
    for component, values in (resources or {}).items():
        if component not in keys:
            raise ExecutionError(
                f"job {job.name!r} has no component {component!r}; "
                f"components: {', '.join(sorted(keys)) or '(none)'}"
            )
        config["resources"][keys[component]] = {"config": dict(values)}
    return config
