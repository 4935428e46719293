"""compile_plan on its own (no Dagster): the plan's ops, order, routes and loop region.

The graph cases are the differential suite's generated graphs; the order and the
back edges are compared with flowengine's own ``GraphExecutor`` analysis, the
executor whose results the Dagster jobs must reproduce.
"""

from __future__ import annotations

from typing import Any

import pytest
import skills_lib
from flowengine import GraphExecutor
from graph_strategies import GraphCase, graph_cases
from hypothesis import given
from hypothesis import strategies as st

from neurocore_dagster.blueprint import Blueprint
from neurocore_dagster.errors import BlueprintError
from neurocore_dagster.plan.compile import compile_plan
from neurocore_dagster.plan.model import ExecutionPlan, PlanOp

REGISTRY = skills_lib.registry()
NAMES = ("alpha", "beta", "gamma", "delta")


# The few facts of an op these tests read, in one place (typed op variants may move them).
def _kind(op: PlanOp) -> str:
    return op.kind


def _components(op: PlanOp) -> list[str]:
    return [unit.component for unit in op.units]


def _plan(document: dict[str, Any]) -> ExecutionPlan:
    return compile_plan(Blueprint.model_validate(document), REGISTRY)


def _steps_document(flow_type: str, uses: list[int], conditions: list[bool]) -> dict[str, Any]:
    steps: list[dict[str, Any]] = []
    for use, conditional in zip(uses, conditions, strict=True):
        step: dict[str, Any] = {"component": NAMES[use]}
        if conditional:
            step["condition"] = f"context.data.n >= {use}"
        steps.append(step)
    return {
        "name": "steps",
        "inputs": {"n": {"type": "integer", "default": 1}},
        "components": [{"name": name, "type": "trace"} for name in NAMES],
        "flow": {"type": flow_type, "steps": steps},
    }


step_uses = st.lists(st.integers(0, len(NAMES) - 1), min_size=1, max_size=8)


@given(uses=step_uses, data=st.data())
def test_sequential_plan_is_one_chain_of_step_ops(uses: list[int], data: st.DataObject) -> None:
    conditions = data.draw(st.lists(st.booleans(), min_size=len(uses), max_size=len(uses)))
    plan = _plan(_steps_document("sequential", uses, conditions))
    keys = [op.key for op in plan.ops]
    assert len(set(keys)) == len(uses)
    for index, op in enumerate(plan.ops):
        written = NAMES[uses[index]]
        assert _kind(op) == "step"
        assert op.order == index
        assert _components(op) == [written]
        nth = [NAMES[u] for u in uses[: index + 1]].count(written)
        assert op.key == (written if nth == 1 else f"{written}_{nth}")
        assert op.ancestors == frozenset(keys[:index])
        assert [(r.source, r.target) for r in op.routes] == [
            (op.key, k) for k in keys[index + 1 : index + 2]
        ]
        assert (op.units[0].condition is not None) == conditions[index]


@given(uses=step_uses, data=st.data())
def test_conditional_plan_routes_one_router_to_every_step(
    uses: list[int], data: st.DataObject
) -> None:
    conditions = data.draw(st.lists(st.booleans(), min_size=len(uses), max_size=len(uses)))
    plan = _plan(_steps_document("conditional", uses, conditions))
    router, *steps = plan.ops
    assert _kind(router) == "router"
    assert router.order == 0
    assert [r.target for r in router.routes] == [op.key for op in steps]
    # The router evaluates the conditions in the written order; the steps only run.
    assert [u.condition is not None for u in router.units] == conditions
    for index, op in enumerate(steps):
        assert _kind(op) == "step"
        assert op.order == index + 1
        assert _components(op) == [NAMES[uses[index]]]
        assert op.units[0].condition is None
        assert op.ancestors == frozenset({router.key})


def _flowengine_graph(case: GraphCase) -> GraphExecutor:
    blueprint = Blueprint.model_validate(case.document)
    flow = blueprint.flow
    return GraphExecutor(list(flow.nodes or []), list(flow.edges or []), {}, flow.settings)


@given(case=graph_cases(cyclic=False))
def test_acyclic_graph_has_one_op_per_node_in_flowengines_order(case: GraphCase) -> None:
    plan = _plan(case.document)
    engine = _flowengine_graph(case)
    assert [op.key for op in plan.ops] == engine._topological_sort()
    edges = case.document["flow"]["edges"]
    order = {op.key: op.order for op in plan.ops}
    for op in plan.ops:
        assert _kind(op) == "node"
        written = [e for e in edges if e["source"] == op.key]
        assert [(r.target, r.port, r.condition) for r in op.routes] == [
            (e["target"], e.get("port"), e.get("condition")) for e in written
        ]
        for route in op.inputs:
            assert route.source in op.ancestors
            assert order[route.source] < op.order


@given(case=graph_cases(cyclic=True))
def test_cyclic_graph_runs_every_node_once_and_loops_in_one_op(case: GraphCase) -> None:
    """Nodes before the cycles are ops of their own; the rest is one loop op."""
    plan = _plan(case.document)
    engine = _flowengine_graph(case)
    node_ids = [n["id"] for n in case.document["flow"]["nodes"]]
    has_loop = any(_kind(op) == "loop" for op in plan.ops)
    assert has_loop == engine._has_cycles  # a "back" edge can close no cycle
    if not has_loop:
        assert [op.key for op in plan.ops] == engine._topological_sort()
        return
    *prefix, loop = plan.ops
    assert _kind(loop) == "loop"
    assert all(_kind(op) == "node" for op in prefix)
    region = loop.region
    assert region is not None
    assert sorted([op.key for op in prefix] + list(region.members)) == sorted(node_ids)
    assert [u.key for u in loop.units] == list(region.members)
    assert region.back_edges == frozenset(engine._back_edges)
    assert region.cycle_nodes <= set(region.members)
    assert [op.order for op in plan.ops] == list(range(len(plan.ops)))


def test_unknown_skill_names_the_component_and_the_known_skills() -> None:
    document = _steps_document("sequential", [0], [False])
    document["components"][0]["type"] = "no_such_skill"
    with pytest.raises(BlueprintError) as caught:
        _plan(document)
    text = str(caught.value)
    assert "'alpha' uses skill 'no_such_skill'" in text
    assert "components.0.type" in text
    assert "trace" in text  # the valid choices are listed


def test_single_entry_chain_before_a_cycle_keeps_its_own_ops() -> None:
    document = {
        "name": "chain-then-loop",
        "components": [{"name": "t", "type": "trace"}, {"name": "l", "type": "loop"}],
        "flow": {
            "type": "graph",
            "settings": {"max_iterations": 3},
            "nodes": [
                {"id": "start", "component": "t"},
                {"id": "prepare", "component": "t"},
                {"id": "work", "component": "l"},
                {"id": "finish", "component": "t"},
            ],
            "edges": [
                {"source": "start", "target": "prepare"},
                {"source": "prepare", "target": "work"},
                {"source": "work", "target": "work", "port": "again"},
                {"source": "work", "target": "finish", "port": "done"},
            ],
        },
    }
    plan = _plan(document)
    assert [(op.key, _kind(op)) for op in plan.ops] == [
        ("start", "node"),
        ("prepare", "node"),
        ("loop_work", "loop"),
    ]
    loop = plan.ops[-1]
    assert loop.region is not None
    assert loop.region.seed == ("work",)
    assert loop.region.members == ("work", "finish")
    assert [r.label for r in loop.inputs] == ["prepare -> work"]
