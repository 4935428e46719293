"""Jobs and runs give their plan back through one function, ``recorded_plan``.

A job records its plan once (``neurocore/plan``); ``run_config`` takes resource
keys from it and ``final_context`` the ops whose skips it records. A run
recorded in the previous, unversioned format (an ``ops`` dict beside
``neurocore/resources``) reads the same.
"""

from __future__ import annotations

from typing import Any

import dagster as dg
import pytest
from skills_lib import registry

from neurocore_dagster import Blueprint, BlueprintTranslator, build_job, final_context, run_config
from neurocore_dagster.dagster_layer.jobs.recorded_plan import recorded_plan
from neurocore_dagster.errors import ExecutionError
from neurocore_dagster.keys import PLAN_METADATA, RESOURCES_METADATA

BLUEPRINT = {
    "name": "routed",
    "components": [
        {"name": "r", "type": "port", "config": {"key": "route"}},
        {"name": "x", "type": "trace"},
        {"name": "y", "type": "trace"},
    ],
    "flow": {
        "type": "graph",
        "nodes": [{"id": n, "component": n} for n in "rxy"],
        "edges": [
            {"source": "r", "target": "x", "port": "left"},
            {"source": "r", "target": "y", "port": "right"},
        ],
    },
}


class Prefixed(BlueprintTranslator):
    def get_resource_key(self, component: str) -> str:
        return "res_" + super().get_resource_key(component)


def _job() -> dg.JobDefinition:
    return build_job(
        Blueprint.model_validate(BLUEPRINT), registry(), project_root=".", translator=Prefixed()
    )


def _format_1(job: dg.JobDefinition) -> dg.JobDefinition:
    """``job`` as the previous version recorded it."""
    record = recorded_plan(job)
    ops = {
        op.name: {
            "key": op.key,
            "order": op.order,
            "kind": op.kind,
            "records_skip": op.records_skip,
            "component": op.component,
        }
        for op in record.ops
    }
    metadata = {
        **job.metadata,
        PLAN_METADATA: dg.MetadataValue.json({"ops": ops}),
        RESOURCES_METADATA: dg.MetadataValue.json(record.resource_keys),
    }
    return job.with_metadata(metadata)


def test_the_job_records_its_plan_and_resource_keys_once() -> None:
    job = _job()
    record = recorded_plan(job)
    assert record.resource_keys == {"r": "res_r", "x": "res_x", "y": "res_y"}
    assert [(op.key, op.kind, op.records_skip) for op in record.ops] == [
        ("r", "node", True),
        ("x", "node", True),
        ("y", "node", True),
    ]
    assert RESOURCES_METADATA not in job.metadata
    config = run_config(job, resources={"x": {}})
    assert set(config["resources"]) == {"res_x"}


def test_a_job_without_a_plan_is_refused_by_name() -> None:
    plain = dg.GraphDefinition(name="plain", node_defs=[]).to_job()
    with pytest.raises(ExecutionError, match=r"job 'plain' is not a neurocore-dagster job"):
        run_config(plain)


def test_a_run_gives_back_the_plan_its_job_recorded(instance: Any) -> None:
    job = _job()
    result = job.execute_in_process(
        run_config=run_config(job, initial_data={"route": "left"}), instance=instance
    )
    run = instance.get_run_by_id(result.run_id)
    assert recorded_plan(run, instance) == recorded_plan(job)
    context = final_context(result.run_id, instance=instance)
    assert context.metadata.skipped_components == ["y"]


def test_a_run_recorded_in_the_previous_format_reads_the_same(instance: Any) -> None:
    current, old = _job(), _format_1(_job())
    assert recorded_plan(old) == recorded_plan(current)
    assert run_config(old, resources={"x": {}}) == run_config(current, resources={"x": {}})
    contexts = []
    for job in (current, old):
        result = job.execute_in_process(
            run_config=run_config(job, initial_data={"route": "right"}), instance=instance
        )
        run = instance.get_run_by_id(result.run_id)
        assert recorded_plan(run, instance) == recorded_plan(current)
        contexts.append(final_context(result.run_id, instance=instance))
    assert contexts[0].data.to_dict() == contexts[1].data.to_dict()
    assert contexts[1].metadata.skipped_components == ["x"]
