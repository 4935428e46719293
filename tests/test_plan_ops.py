"""The plan's op variants, checked on the plan alone (no Dagster job is built).

Each flow type compiles to the variants its semantics need: sequential steps,
a router with its candidate steps, graph nodes, and for a cyclic graph the
nodes before the loop plus one loop op. Only ``plan``, ``blueprint`` and
``skills`` are used here.
"""

from __future__ import annotations

from typing import Any

from graph_strategies import GraphCase, graph_cases
from hypothesis import given, settings
from hypothesis import strategies as st
from skills_lib import registry

from neurocore_dagster.blueprint.model import Blueprint
from neurocore_dagster.plan.compile import compile_plan
from neurocore_dagster.plan.model import LoopOp, NodeOp, RouterOp, StepOp, UnitOp
from neurocore_dagster.plan.translation_report import render_report


def _steps_document(flow_type: str, conditions: list[str | None]) -> dict[str, Any]:
    components = [{"name": f"c{i}", "type": "trace"} for i in range(len(conditions))]
    steps: list[dict[str, Any]] = []
    for i, condition in enumerate(conditions):
        step: dict[str, Any] = {"component": f"c{i}"}
        if condition is not None:
            step["condition"] = condition
        steps.append(step)
    return {"name": "steps", "components": components, "flow": {"type": flow_type, "steps": steps}}


conditions = st.lists(
    st.sampled_from([None, "True", "context.data.get('n', 0) > 1"]), min_size=1, max_size=5
)


@settings(max_examples=25)
@given(conditions=conditions)
def test_a_sequential_flow_is_a_chain_of_steps(conditions: list[str | None]) -> None:
    plan = compile_plan(
        Blueprint.model_validate(_steps_document("sequential", conditions)), registry()
    )
    assert all(isinstance(op, StepOp) for op in plan.ops)
    assert [op.unit.condition for op in plan.ops if isinstance(op, StepOp)] == conditions
    assert not any(op.records_skip for op in plan.ops)
    assert [len(op.routes) for op in plan.ops] == [1] * (len(conditions) - 1) + [0]


@settings(max_examples=25)
@given(conditions=conditions)
def test_a_conditional_flow_is_a_router_and_its_steps(conditions: list[str | None]) -> None:
    plan = compile_plan(
        Blueprint.model_validate(_steps_document("conditional", conditions)), registry()
    )
    router, *steps = plan.ops
    assert isinstance(router, RouterOp) and router.runs_skills == ()
    assert [u.condition for u in router.candidates] == conditions
    assert all(isinstance(op, StepOp) and op.unit.condition is None for op in steps)
    assert [r.target for r in router.routes] == [op.key for op in steps]
    assert "router" in render_report(plan, "steps")


@settings(max_examples=25)
@given(case=graph_cases(cyclic=False))
def test_an_acyclic_graph_is_one_node_op_per_node(case: GraphCase) -> None:
    plan = compile_plan(Blueprint.model_validate(case.document), registry())
    assert all(isinstance(op, NodeOp) and not op.before_loop for op in plan.ops)
    assert all(op.records_skip for op in plan.ops)
    assert sorted(op.key for op in plan.ops) == sorted(
        n["id"] for n in case.document["flow"]["nodes"]
    )


@settings(max_examples=25)
@given(case=graph_cases(cyclic=True))
def test_a_cyclic_graph_is_nodes_before_one_loop_op(case: GraphCase) -> None:
    """(The strategy may draw no back edge; such a graph compiles as an acyclic one.)"""
    plan = compile_plan(Blueprint.model_validate(case.document), registry())
    *prefix, loop = plan.ops
    if not any(isinstance(op, LoopOp) for op in plan.ops):
        assert all(isinstance(op, NodeOp) and op.records_skip for op in plan.ops)
        return
    assert isinstance(loop, LoopOp)
    assert all(isinstance(op, NodeOp) and op.before_loop and not op.records_skip for op in prefix)
    nodes = {n["id"] for n in case.document["flow"]["nodes"]}
    assert {op.key for op in prefix} | set(loop.region.members) == nodes
    assert [u.key for u in loop.units] == list(loop.region.members)
    assert not isinstance(loop, UnitOp)
    assert "loop region" in render_report(plan, "generated")
