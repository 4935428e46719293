"""Issue 17, run time: budgets, hard timeouts, event loops, failure causes, warnings.

Each test reproduces a behaviour a hostile tester found; flowengine run on the
same components is the reference where results are compared.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import dagster as dg
import pytest
from flowengine import FlowContext
from helpers import one_step_blueprint
from oracle import run_flowengine

from neurocore_dagster import (
    AsyncSkill,
    Blueprint,
    Skill,
    SkillMeta,
    SkillRegistry,
    execute_blueprint,
)


def _meta(name: str, **extra: Any) -> SkillMeta:
    return SkillMeta(name=name, version="1.0", description=f"test skill {name}", **extra)


class SlowStart(Skill):
    """Quick to run, slow to start: its health check (run before any step) takes 1.5 s."""

    skill_meta = _meta("slow_start")

    def health_check(self) -> bool:
        time.sleep(1.5)
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
    """flowengine counts from ``execute``; a component's slow start-up is not the flow's.

    One start-up (1.5 s) exceeds the 1.2 s budget, so counting it would fail the run; the
    budget leaves room for Dagster's step hand-over on a loaded machine."""
    blueprint = Blueprint.model_validate(
        {
            "name": "budget-from-first-step",
            "components": [
                {"name": "a", "type": "slow_start"},
                {"name": "b", "type": "slow_start"},
            ],
            "flow": {
                "settings": {"timeout_seconds": 1.2},
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
    from neurocore_dagster.dagster_layer.jobs import compute_bridge, op_rendering
    from neurocore_dagster.dagster_layer.resources import flow_clock

    for module in (op_rendering, compute_bridge, flow_clock):
        assert not any(
            isinstance(v, dict) and "start" in k.lower() for k, v in vars(module).items()
        ), module.__name__


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


class EchoClient(AsyncSkill):
    """Like a network client: a queue and a worker task made on the first call, reused after."""

    skill_meta = _meta("echo_client")

    def init(self, config: dict[str, Any]) -> None:
        super().init(config)
        self._requests: asyncio.Queue[int] | None = None
        self._replies: asyncio.Queue[int] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None

    async def _serve(self) -> None:
        assert self._requests is not None
        while True:
            await self._replies.put(await self._requests.get() * 10)

    async def process(self, context: FlowContext) -> FlowContext:  # type: ignore[override]
        if self._requests is None:
            self._requests = asyncio.Queue()
            self._worker = asyncio.get_running_loop().create_task(self._serve())
        calls = (context.get("calls") or 0) + 1
        await self._requests.put(calls)
        context.set("calls", calls)
        context.set(f"reply_{calls}", await self._replies.get())
        return context


@pytest.mark.parametrize("execution", [THREADS, IN_PROCESS], ids=["threads", "in_process"])
def test_an_async_skill_keeps_its_asyncio_objects_across_calls(
    instance: dg.DagsterInstance, execution: dict[str, Any]
) -> None:
    """One component in three graph nodes: every call runs on the run's one event loop."""
    blueprint = Blueprint.model_validate(
        {
            "name": "async-client",
            "components": [{"name": "client", "type": "echo_client"}],
            "flow": {
                "type": "graph",
                "nodes": [{"id": n, "component": "client"} for n in ("a", "b", "c")],
                "edges": [{"source": "a", "target": "b"}, {"source": "b", "target": "c"}],
            },
        }
    )
    registry = _registry(EchoClient)
    expected = run_flowengine(blueprint, registry)
    assert not expected.failed, expected.error
    run = execute_blueprint(blueprint, registry, instance=instance, run_config=execution)
    assert run.status == "completed", run.error
    assert run.context.data.to_dict() == expected.context.data.to_dict()
    assert run.context.data.to_dict() == {"calls": 3, "reply_1": 10, "reply_2": 20, "reply_3": 30}


def test_the_run_loop_is_closed_when_the_run_ends(instance: dg.DagsterInstance) -> None:
    """No event-loop thread outlives the run that started it."""
    blueprint = Blueprint.model_validate(
        {
            "name": "async-closed",
            "components": [{"name": "client", "type": "echo_client"}],
            "flow": {"type": "graph", "nodes": [{"id": "a", "component": "client"}], "edges": []},
        }
    )
    before = {t.ident for t in threading.enumerate()}
    run = execute_blueprint(blueprint, _registry(EchoClient), instance=instance)
    assert run.status == "completed", run.error
    left = [t.name for t in threading.enumerate() if t.ident not in before]
    assert not [name for name in left if "loop" in name], left


class BadInit(Skill):
    skill_meta = _meta("bad_init")

    def init(self, config: dict[str, Any]) -> None:
        super().init(config)
        raise ValueError("cannot reach the database at db:5432")

    def process(self, context: FlowContext) -> FlowContext:
        return context


def _one_step(name: str, skill: str) -> Blueprint:
    return one_step_blueprint(name, skill)


@pytest.mark.parametrize("execution", [THREADS, IN_PROCESS], ids=["threads", "in_process"])
def test_a_resource_that_fails_to_start_is_the_runs_error(
    instance: dg.DagsterInstance, execution: dict[str, Any]
) -> None:
    run = execute_blueprint(
        _one_step("bad-init", "bad_init"),
        _registry(BadInit),
        instance=instance,
        run_config=execution,
    )
    assert run.status == "failed"
    assert run.error is not None
    assert "An exception was thrown" not in run.error
    assert "cannot reach the database at db:5432" in run.error
    assert "component 'a'" in run.error and "bad_init" in run.error


def test_a_context_store_that_fails_to_start_is_the_runs_error(
    instance: dg.DagsterInstance,
) -> None:
    run = execute_blueprint(
        _one_step("bad-store", "slow_start"),
        _registry(SlowStart),
        instance=instance,
        run_config={"resources": {"io_manager": {"config": {"base_dir": "relative/dir"}}}},
    )
    assert run.status == "failed"
    assert "An exception was thrown" not in (run.error or "")
    assert "'relative/dir' is a relative path" in (run.error or ""), run.error


def test_condition_evaluation_is_safe_across_threads() -> None:
    """Parallel steps evaluate conditions at once; an unsafe one is refused every time."""
    import sys

    from flowengine.errors import ConditionEvaluationError

    from neurocore_dagster.runtime.observer import Silent
    from neurocore_dagster.runtime.routing import step_decision

    wrong: list[str] = []

    def evaluate(condition: str, unsafe: bool) -> None:
        context = FlowContext()
        context.set("x", 1)
        for _ in range(3000):
            try:
                step_decision("s", "c", condition, context, "fail", Silent())
                if unsafe:
                    wrong.append(f"{condition!r} was evaluated")
            except ConditionEvaluationError as error:
                if not unsafe:
                    wrong.append(f"{condition!r} was refused: {error}")
            except Exception as error:  # a thread's crash must fail the test, not vanish
                wrong.append(f"{condition!r} raised {type(error).__name__}: {error}")

    cases = [("context.data.x > 0 and context.data.x < 5", False), ("[x for x in (1, 2)]", True)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=evaluate, args=case) for case in cases * 3]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert not wrong, wrong[:3]


def test_a_loop_without_exit_warns_when_visits_run_out(instance: dg.DagsterInstance) -> None:
    """flowengine ends it silently after max_iterations visits; the result stays, with a warning."""
    import logging

    from skills_lib import Trace

    blueprint = Blueprint.model_validate(
        {
            "name": "no-exit",
            "components": [{"name": n, "type": "trace"} for n in ("start", "a", "b")],
            "flow": {
                "type": "graph",
                "settings": {"max_iterations": 3},
                "nodes": [{"id": n, "component": n} for n in ("start", "a", "b")],
                "edges": [
                    {"source": "start", "target": "a"},
                    {"source": "a", "target": "b"},
                    {"source": "b", "target": "a"},
                ],
            },
        }
    )
    registry = _registry(Trace)
    expected = run_flowengine(blueprint, registry)
    assert not expected.failed
    run = execute_blueprint(blueprint, registry, instance=instance)
    assert run.status == "completed", run.error
    assert run.context.data.to_dict() == expected.context.data.to_dict()
    warnings = [
        entry.user_message
        for entry in instance.all_logs(run.run_id)
        if entry.level == logging.WARNING and "max_iterations=3" in entry.user_message
    ]
    assert len(warnings) == 1, warnings
    assert "loop through a, b" in warnings[0] and "'a'" in warnings[0]
