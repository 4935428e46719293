"""Issue 17, run time: budgets, hard timeouts, event loops, failure causes, warnings.

Each test reproduces a behaviour a hostile tester found; flowengine run on the
same components is the reference where results are compared.
"""

from __future__ import annotations

import time
from typing import Any

import dagster as dg
import pytest
from flowengine import FlowContext
from oracle import run_flowengine

from neurocore_dagster import Blueprint, Skill, SkillMeta, SkillRegistry, execute_blueprint


def _meta(name: str, **extra: Any) -> SkillMeta:
    return SkillMeta(name=name, version="1.0", description=f"test skill {name}", **extra)


class SlowStart(Skill):
    """Quick to run, slow to start: its health check (run before any step) takes 0.6 s."""

    skill_meta = _meta("slow_start")

    def health_check(self) -> bool:
        time.sleep(0.6)
        return True

    def process(self, context: FlowContext) -> FlowContext:
        context.set(f"ran_{self.name}", True)
        return context


def _registry(*classes: type[Skill]) -> SkillRegistry:
    registry = SkillRegistry()
    for cls in classes:
        registry.register(cls)
    return registry


THREADS = {"execution": {"config": {"threads": {}}}}
IN_PROCESS = {"execution": {"config": {"in_process": {}}}}


@pytest.mark.parametrize("execution", [THREADS, IN_PROCESS], ids=["threads", "in_process"])
def test_timeout_counts_from_the_first_step_not_dagsters_start_up(
    instance: dg.DagsterInstance, execution: dict[str, Any]
) -> None:
    """flowengine counts from ``execute``; a component's slow start-up is not the flow's."""
    blueprint = Blueprint.model_validate(
        {
            "name": "budget-from-first-step",
            "components": [
                {"name": "a", "type": "slow_start"},
                {"name": "b", "type": "slow_start"},
            ],
            "flow": {
                "settings": {"timeout_seconds": 0.3},
                "steps": [{"component": "a"}, {"component": "b"}],
            },
        }
    )
    registry = _registry(SlowStart)
    assert not run_flowengine(blueprint, registry).failed
    run = execute_blueprint(blueprint, registry, instance=instance, run_config=execution)
    assert run.status == "completed", run.error
    assert run.context.data.to_dict() == {"ran_a": True, "ran_b": True}


def test_the_run_start_cache_is_gone() -> None:
    """No module-global map of run start times grows with every run of a process."""
    from neurocore_dagster.dagster_layer import ops

    assert not any(isinstance(v, dict) and "started" in k for k, v in vars(ops).items())


def _graph(name: str, mode: str, nodes: dict[str, str], edges: list[dict[str, Any]]) -> Blueprint:
    return Blueprint.model_validate(
        {
            "name": name,
            "components": [{"name": n, "type": t} for n, t in nodes.items()],
            "flow": {
                "type": "graph",
                "settings": {"timeout_seconds": 1, "timeout_mode": mode},
                "nodes": [{"id": n, "component": n} for n in nodes],
                "edges": edges,
            },
        }
    )


@pytest.mark.parametrize("mode", ["hard_async", "hard_process"])
@pytest.mark.parametrize("looping", [False, True], ids=["dag", "loop"])
def test_hard_timeout_modes_stop_a_hanging_graph_node(
    instance: dg.DagsterInstance, mode: str, looping: bool
) -> None:
    """A hanging node (in a plain graph, or in a loop region) fails within its budget."""
    from skills_lib import HangsForever, Loop, Trace

    edges: list[dict[str, Any]] = [{"source": "a", "target": "s"}]
    if looping:
        edges = [
            {"source": "a", "target": "l"},
            {"source": "l", "target": "l", "port": "again"},
            {"source": "l", "target": "s", "port": "done"},
        ]
    nodes = {"a": "trace", **({"l": "loop"} if looping else {}), "s": "hangs_forever"}
    blueprint = _graph(f"hang-graph-{mode}", mode, nodes, edges)
    started = time.perf_counter()
    run = execute_blueprint(blueprint, _registry(Trace, Loop, HangsForever), instance=instance)
    elapsed = time.perf_counter() - started
    assert run.status == "failed"
    assert "timeout" in (run.error or "").lower(), run.error
    assert elapsed < 20, f"{mode} took {elapsed:.1f}s"


@pytest.mark.parametrize("mode", ["hard_async", "hard_process"])
def test_hard_timeout_modes_keep_a_graph_nodes_port(
    instance: dg.DagsterInstance, mode: str
) -> None:
    """A node that finishes in time routes as under flowengine (which runs it cooperatively)."""
    from oracle import comparable
    from skills_lib import PortFrom, Trace

    blueprint = Blueprint.model_validate(
        {
            "name": f"port-{mode}",
            "components": [
                {"name": "p", "type": "port", "config": {"port": "right"}},
                {"name": "l", "type": "trace"},
                {"name": "r", "type": "trace"},
            ],
            "flow": {
                "type": "graph",
                "settings": {"timeout_seconds": 30, "timeout_mode": mode},
                "nodes": [{"id": n, "component": n} for n in ("p", "l", "r")],
                "edges": [
                    {"source": "p", "target": "l", "port": "left"},
                    {"source": "p", "target": "r", "port": "right"},
                ],
            },
        }
    )
    registry = _registry(PortFrom, Trace)
    expected = run_flowengine(blueprint, registry)
    run = execute_blueprint(blueprint, registry, instance=instance)
    assert run.status == "completed", run.error
    assert run.context.data.to_dict() == expected.context.data.to_dict()
    assert comparable(run.context)["completed_nodes"] == ["p", "r"]
