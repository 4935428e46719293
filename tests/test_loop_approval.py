"""An approval gate inside a cycle resumes at the gate, as flowengine's cyclic executor does.

draft -> gate; gate -> draft on ``rejected`` (a back edge), gate -> publish on
``approved``. After the decision the loop goes on from the gate with the visits
it had made: ``draft`` is not run again, and the final context is the one
flowengine's GraphExecutor gives when it resumes the suspended context.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flowengine import FlowContext, GraphExecutor
from flowengine.config.schema import FlowDefinition
from oracle import comparable
from skills_lib import registry

from neurocore_dagster import Blueprint, execute_blueprint, resume_blueprint


def _document(calls: Path) -> dict[str, Any]:
    return {
        "name": "gate_in_loop",
        "components": [
            {"name": "draft", "type": "countcalls", "config": {"path": str(calls)}},
            {"name": "gate", "type": "approval", "config": {"require": False}},
            {"name": "publish", "type": "trace"},
        ],
        "flow": {
            "type": "graph",
            "settings": {"max_iterations": 5},
            "nodes": [
                {"id": "draft", "component": "draft"},
                {"id": "gate", "component": "gate"},
                {"id": "publish", "component": "publish"},
            ],
            "edges": [
                {"source": "draft", "target": "gate"},
                {"source": "gate", "target": "draft", "port": "rejected"},
                {"source": "gate", "target": "publish", "port": "approved"},
            ],
        },
    }


def _flowengine(blueprint: Blueprint, decisions: list[dict[str, Any]]) -> FlowContext:
    """flowengine's GraphExecutor, resumed at the suspended node after each decision."""
    skills = registry()
    components = {}
    for component in blueprint.components:
        instance = skills.get(component.type)(component.name)
        instance.init(dict(component.config))
        components[component.name] = instance
    flow = FlowDefinition.model_validate(blueprint.flow.model_dump())
    executor = GraphExecutor(flow.nodes or [], flow.edges or [], components, flow.settings)
    context = executor.execute(FlowContext())
    for decision in decisions:
        assert context.metadata.suspended
        context.metadata.suspended = False  # suspended_at_node stays: resume there
        context.metadata.suspension_reason = None
        context.set("resume_data", decision)
        context = executor.execute(context)
    return context


@pytest.mark.parametrize(
    "decisions",
    [
        [{"approved": True}],
        [{"approved": False}, {"approved": True}],
    ],
    ids=["approved", "rejected-then-approved"],
)
def test_gate_in_a_cycle_resumes_at_the_gate(
    decisions: list[dict[str, Any]], instance: Any, tmp_path: Path
) -> None:
    oracle_calls, calls = tmp_path / "oracle.txt", tmp_path / "calls.txt"
    expected = _flowengine(Blueprint.model_validate(_document(oracle_calls)), decisions)
    assert not expected.metadata.suspended

    blueprint = Blueprint.model_validate(_document(calls))
    run = execute_blueprint(blueprint, registry(), instance=instance)
    assert run.status == "suspended"
    for decision in decisions:
        run = resume_blueprint(
            run.run_id, instance=instance, registry=registry(), resume_data=decision
        )
    assert run.status == "completed", run.error
    # draft ran once per visit flowengine made, not once more per resume.
    assert calls.read_text().splitlines() == oracle_calls.read_text().splitlines()
    assert len(calls.read_text().splitlines()) == len(decisions)
    got, want = comparable(run.context), comparable(expected)
    assert got["data"] == want["data"]
    assert got["node_visit_counts"] == want["node_visit_counts"]
    assert got["completed_nodes"] == want["completed_nodes"]
    assert got["iteration_count"] == want["iteration_count"]
