"""``final_context(job.execute_in_process())`` on Dagster's default ephemeral instance.

That instance's storage folder is deleted when the call returns, so the final
context must come from what the result itself holds. Checked against flowengine
on generated graphs (DAGs and loops), and against the reading from a persistent
instance's stored deltas for the same job.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from graph_strategies import GraphCase, graph_cases
from hypothesis import given, settings
from oracle import comparable, run_flowengine
from skills_lib import registry

from neurocore_dagster import Blueprint, build_job, final_context, run_config


def _check(case: GraphCase, instance: Any) -> None:
    blueprint = Blueprint.model_validate(case.document)
    skills = registry()
    expected = run_flowengine(blueprint, skills, case.initial_data)
    job = build_job(blueprint, skills, project_root=".")
    config = run_config(job, initial_data=copy.deepcopy(case.initial_data))
    ephemeral = job.execute_in_process(run_config=config, raise_on_error=False)
    assert ephemeral.success == (not expected.failed)
    if expected.failed:
        return
    assert comparable(final_context(ephemeral)) == comparable(expected.context)
    stored = job.execute_in_process(run_config=config, instance=instance)
    from_storage = final_context(stored.run_id, instance=instance)
    assert comparable(final_context(stored)) == comparable(from_storage)


@settings(max_examples=10)
@given(case=graph_cases(cyclic=False))
def test_ephemeral_dag_result_has_flowengines_context(case: GraphCase, instance: Any) -> None:
    _check(case, instance)


@settings(max_examples=5)
@given(case=graph_cases(cyclic=True))
def test_ephemeral_loop_result_has_flowengines_context(case: GraphCase, instance: Any) -> None:
    _check(case, instance)


@pytest.mark.parametrize("flow_type", ["sequential", "conditional"])
def test_ephemeral_steps_and_suspension(flow_type: str) -> None:
    """Sequential and conditional flows, and a run suspended at an approval gate."""
    steps = [{"component": "a"}, {"approval": {"name": "gate"}}, {"component": "b"}]
    if flow_type == "conditional":
        steps = [
            {"component": "a", "condition": "context.data.x > 5"},
            {"component": "b", "condition": "context.data.x > 0"},
        ]
    blueprint = Blueprint.model_validate(
        {
            "name": f"ephemeral-{flow_type}",
            "components": [{"name": "a", "type": "trace"}, {"name": "b", "type": "trace"}],
            "flow": {"type": flow_type, "steps": steps},
        }
    )
    job = build_job(blueprint, registry(), project_root=".")
    result = job.execute_in_process(run_config=run_config(job, initial_data={"x": 1}))
    context = final_context(result)
    expected = {"sequential": ["a"], "conditional": ["b"]}[flow_type]
    assert context.get("trace") == expected
    if flow_type == "sequential":
        assert context.metadata.suspended and context.metadata.suspended_at_node == "gate"
