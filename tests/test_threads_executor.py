"""The threads executor: ready steps overlap in one process, under Dagster's own limits.

Overlap is proven with a barrier every branch must reach before any may go on,
so a sequential executor fails the same blueprint; limits are proven with the
most branches a shared counter ever saw running at once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any, ClassVar

import dagster as dg
import pytest
from flowengine import FlowContext
from oracle import comparable
from skills_lib import registry as base_registry

from neurocore_dagster import (
    Blueprint,
    BlueprintTranslator,
    ExecutionError,
    Skill,
    SkillMeta,
    SkillRegistry,
    build_job,
    execute_blueprint,
    load_blueprint,
    resume_blueprint,
    run_config,
    threads_executor,
)
from neurocore_dagster.dagster_layer.jobs.reconstruct import reconstructable_job
from neurocore_dagster.dagster_layer.translation.translator import OpSpec
from neurocore_dagster.keys import SKILL_TAG
from neurocore_dagster.plan.model import ExecutionPlan, PlanOp, UnitOp


class Rendezvous(Skill):
    """Waits until ``config.parties`` branches of ``config.group`` are all waiting."""

    skill_meta = SkillMeta(
        name="rendezvous",
        version="1.0.0",
        description="test: a barrier shared by concurrent branches",
        config_schema={
            "type": "object",
            "properties": {
                "group": {"type": "string"},
                "parties": {"type": "integer"},
                "timeout_s": {"type": "number"},
            },
        },
    )
    barriers: ClassVar[dict[str, threading.Barrier]] = {}
    lock: ClassVar[threading.Lock] = threading.Lock()

    def process(self, context: FlowContext) -> FlowContext:
        with self.lock:
            barrier = self.barriers.setdefault(
                self.config["group"], threading.Barrier(self.config["parties"])
            )
        barrier.wait(timeout=self.config.get("timeout_s", 20))
        context.set(f"met_{self.name}", True)
        return context


class Busy(Skill):
    """Holds a slot for ``config.seconds`` and records how many were held at once."""

    skill_meta = SkillMeta(
        name="busy",
        version="1.0.0",
        description="test: counts overlapping runs",
        config_schema={
            "type": "object",
            "properties": {"seconds": {"type": "number"}, "group": {"type": "string"}},
        },
    )
    active: ClassVar[Counter[str]] = Counter()
    peak: ClassVar[Counter[str]] = Counter()
    lock: ClassVar[threading.Lock] = threading.Lock()

    def process(self, context: FlowContext) -> FlowContext:
        group = self.config["group"]
        with self.lock:
            self.active[group] += 1
            self.peak[group] = max(self.peak[group], self.active[group])
        time.sleep(self.config.get("seconds", 0.3))
        with self.lock:
            self.active[group] -= 1
        context.set(f"done_{self.name}", True)
        return context


def _registry() -> SkillRegistry:
    reg = base_registry()
    reg.register(Rendezvous)
    reg.register(Busy)
    return reg


def fork_join(name: str, skill: str, config: dict[str, Any], branches: int = 4) -> Blueprint:
    keys = [f"b{i}" for i in range(1, branches + 1)]
    return Blueprint.model_validate(
        {
            "name": name,
            "components": [
                {"name": "fork", "type": "set", "config": {"key": "forked", "value": 1}},
                {"name": "join", "type": "set", "config": {"key": "joined", "value": 1}},
                *({"name": k, "type": skill, "config": config} for k in keys),
            ],
            "flow": {
                "type": "graph",
                "nodes": [
                    {"id": "fork", "component": "fork"},
                    *({"id": k, "component": k} for k in keys),
                    {"id": "join", "component": "join"},
                ],
                "edges": [
                    *({"source": "fork", "target": k} for k in keys),
                    *({"source": k, "target": "join"} for k in keys),
                ],
            },
        }
    )


def _threads(**config: Any) -> dict[str, Any]:
    return {"execution": {"config": {"threads": config}}}


def test_branches_overlap_by_default(instance: dg.DagsterInstance) -> None:
    blueprint = fork_join("meet", "rendezvous", {"group": "default", "parties": 4})
    run = execute_blueprint(blueprint, _registry(), instance=instance)
    assert run.status == "completed", run.error
    assert all(run.context.get(f"met_b{i}") for i in range(1, 5))
    assert run.context.get("joined") == 1


def test_in_process_executor_runs_one_step_at_a_time(instance: dg.DagsterInstance) -> None:
    """The same barrier breaks when steps cannot overlap: the test above can fail."""
    blueprint = fork_join("meet-alone", "rendezvous", {"group": "alone", "parties": 2}, 2)
    blueprint_run = execute_blueprint(
        blueprint,
        _registry(),
        instance=instance,
        run_config={"execution": {"config": {"in_process": {}}}},
    )
    assert blueprint_run.status == "failed"
    assert "BrokenBarrierError" in (blueprint_run.error or "") or "Barrier" in (
        blueprint_run.error or ""
    )


def test_max_concurrent_caps_running_steps(instance: dg.DagsterInstance) -> None:
    blueprint = fork_join("capped", "busy", {"group": "capped", "seconds": 0.3}, 6)
    run = execute_blueprint(
        blueprint, _registry(), instance=instance, run_config=_threads(max_concurrent=2)
    )
    assert run.status == "completed", run.error
    assert Busy.peak["capped"] == 2


def test_tag_concurrency_limits_are_honoured(instance: dg.DagsterInstance) -> None:
    blueprint = fork_join("tag-limited", "busy", {"group": "tagged", "seconds": 0.2}, 4)
    limits = [{"key": SKILL_TAG, "value": "busy", "limit": 1}]
    config = _threads(tag_concurrency_limits=limits)
    run = execute_blueprint(blueprint, _registry(), instance=instance, run_config=config)
    assert run.status == "completed", run.error
    assert Busy.peak["tagged"] == 1


class PooledTranslator(BlueprintTranslator):
    """Puts every ``busy`` op in Dagster's op concurrency pool ``slow_api``."""

    def get_op_spec(self, plan: ExecutionPlan, op: PlanOp) -> OpSpec:
        spec = super().get_op_spec(plan, op)
        if isinstance(op, UnitOp) and op.unit.skill == "busy":
            return spec.replace(pool="slow_api")
        return spec


def test_instance_op_concurrency_pool_is_honoured(tmp_path: Any) -> None:
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        instance.event_log_storage.set_concurrency_slots("slow_api", 2)
        blueprint = fork_join("pooled", "busy", {"group": "pooled", "seconds": 0.3}, 5)
        job = build_job(blueprint, _registry(), translator=PooledTranslator())
        config = {**run_config(job), **_threads()}
        with reconstructable_job(blueprint, _registry(), None, built=job) as recon:
            result = dg.execute_job(recon, instance, run_config=config)
        assert result.success
        assert Busy.peak["pooled"] == 2
        assert instance.event_log_storage.get_concurrency_info("slow_api").active_slot_count == 0


def _step_events(instance: dg.DagsterInstance, run_id: str) -> dict[str, list[str]]:
    """Per step, the kinds of its events in order (engine events left out)."""
    steps: dict[str, list[str]] = {}
    for record in instance.get_records_for_run(run_id).records:
        event = record.event_log_entry.dagster_event
        if event is None or event.step_key is None or event.is_engine_event:
            continue
        steps.setdefault(event.step_key, []).append(event.event_type_value)
    return steps


def _lifecycle_blueprint(flaky_path: str) -> Blueprint:
    blueprint = fork_join("lifecycle", "trace", {}, 3).model_dump(mode="json", by_alias=True)
    blueprint["components"].append(
        {"name": "f", "type": "flaky", "config": {"path": flaky_path, "fail_times": 1}}
    )
    blueprint["flow"]["nodes"].append({"id": "f", "component": "f"})
    blueprint["flow"]["edges"] += [
        {"source": "fork", "target": "f"},
        {"source": "f", "target": "join"},
    ]
    return Blueprint.model_validate(blueprint)


@pytest.mark.parametrize("max_concurrent", [1, 16])
def test_events_are_those_of_dagsters_in_process_executor(
    tmp_path: Any, instance: dg.DagsterInstance, max_concurrent: int
) -> None:
    """Step by step, the event log of a run with a retry is the in-process executor's."""
    outcomes = {}
    for name, execution in (
        ("in_process", {"in_process": {}}),
        ("threads", {"threads": {"max_concurrent": max_concurrent}}),
    ):
        blueprint = _lifecycle_blueprint(str(tmp_path / f"{name}.txt"))
        run = execute_blueprint(
            blueprint,
            base_registry(),
            instance=instance,
            run_config={"execution": {"config": execution}},
        )
        assert run.status == "completed", run.error
        outcomes[name] = (run, _step_events(instance, run.run_id))
    (serial, serial_steps), (threaded, threaded_steps) = outcomes["in_process"], outcomes["threads"]
    assert threaded_steps == serial_steps
    assert "STEP_UP_FOR_RETRY" in threaded_steps["f"]
    assert comparable(threaded.context) == comparable(serial.context)


def test_max_concurrent_below_one_is_refused_before_a_run(tmp_path: Any) -> None:
    blueprint = fork_join("zero", "trace", {}, 2)
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        with pytest.raises(ValueError, match="an integer of at least 1, got 0"):
            execute_blueprint(
                blueprint, base_registry(), instance=instance, run_config=_threads(max_concurrent=0)
            )
        assert [run.status for run in instance.get_runs()] == []


PLAIN_BARRIER = threading.Barrier(3)


@dg.op(out=dg.Out(int))
def plain_start() -> int:
    return 1


@dg.op
def plain_meet(value: int) -> int:
    PLAIN_BARRIER.wait(timeout=20)
    return value + 1


@dg.op
def plain_sum(a: int, b: int, c: int) -> int:
    return a + b + c


@dg.job(executor_def=threads_executor)
def plain_job() -> None:
    start = plain_start()
    plain_sum(
        plain_meet.alias("meet_a")(start),
        plain_meet.alias("meet_b")(start),
        plain_meet.alias("meet_c")(start),
    )


def plain_job_target() -> dg.JobDefinition:
    return plain_job


def test_standalone_executor_runs_a_plain_dagster_job(instance: dg.DagsterInstance) -> None:
    with dg.execute_job(dg.reconstructable(plain_job_target), instance) as result:
        assert result.success
        assert result.output_for_node("plain_sum") == 6


INTERRUPTED_RUN = """
import sys
sys.path.insert(0, {tests!r})
import dagster as dg
from test_threads_executor import fork_join, _registry
from neurocore_dagster import execute_blueprint
instance = dg.DagsterInstance.from_config({home!r})
blueprint = fork_join("interrupted", "busy", {{"group": "i", "seconds": 3.0}}, 3)
print("STATUS", execute_blueprint(blueprint, _registry(), instance=instance).status, flush=True)
"""


def test_interrupt_lets_running_steps_finish_and_starts_no_more(tmp_path: Path) -> None:
    """SIGINT (what terminating a run sends its worker) stops the run between steps."""
    home = tmp_path / "home"
    home.mkdir()
    script = INTERRUPTED_RUN.format(tests=str(Path(__file__).parent), home=str(home))
    process = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    instance = dg.DagsterInstance.from_config(str(home))
    deadline = time.time() + 60
    while time.time() < deadline:  # wait until the three branches are running
        runs = instance.get_runs()
        started = (
            runs
            and instance.get_records_for_run(
                runs[0].run_id, of_type=dg.DagsterEventType.STEP_START
            ).records
        )
        if started and len(started) == 4:
            break
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=60)
    assert "STATUS failed" in output, output[-2000:]
    [run] = instance.get_runs()
    assert run.status == dg.DagsterRunStatus.FAILURE
    steps = _step_events(instance, run.run_id)
    assert [steps[b][-1] for b in ("b1", "b2", "b3")] == ["STEP_SUCCESS"] * 3
    assert "join" not in steps
    resumed = resume_blueprint(run.run_id, instance=instance, registry=_registry())
    assert resumed.status == "completed", resumed.error
    assert set(_step_events(instance, resumed.run_id)) == {"join"}
    assert resumed.context.get("joined") == 1


MULTIPROCESS = {"execution": {"config": {"multiprocess": {"max_concurrent": 2}}}}


def test_execute_blueprint_can_use_step_processes(instance: dg.DagsterInstance) -> None:
    """multiprocess from Python: steps rebuild the job from project_root."""
    root = Path(__file__).resolve().parent.parent
    blueprint = load_blueprint(root / "blueprints" / "greet.yaml")
    run = execute_blueprint(
        blueprint, project_root=root, instance=instance, run_config=MULTIPROCESS
    )
    assert run.status == "completed", run.error
    pids = {
        record.event_log_entry.dagster_event.pid
        for record in instance.get_records_for_run(
            run.run_id, of_type=dg.DagsterEventType.STEP_START
        ).records
    }
    assert pids and os.getpid() not in pids


def test_multiprocess_with_an_in_memory_registry_is_refused_before_a_run(tmp_path: Path) -> None:
    blueprint = fork_join("memory", "trace", {}, 2)
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        with pytest.raises(ExecutionError, match="cannot use a skill registry built in this one"):
            execute_blueprint(
                blueprint, base_registry(), instance=instance, run_config=MULTIPROCESS
            )
        assert instance.get_runs() == []


@pytest.mark.parametrize("executor", ["default", "multiprocess"])
def test_launched_runs_use_threads_by_default(executor: str, tmp_path: Path) -> None:
    """A run launched outside this package (here ``dagster job execute``, as a run worker
    does) runs its steps in threads of its own process unless told otherwise."""
    from dagster_cli import dagster_env, job_execute, multiprocess_config, new_dagster_home

    root = Path(__file__).resolve().parent.parent
    home = new_dagster_home(tmp_path / "home")
    config = multiprocess_config(tmp_path) if executor == "multiprocess" else None
    result = subprocess.run(
        job_execute(root / "definitions.py", "support_triage", config=config),
        cwd=root,
        env=dagster_env(home),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    instance = dg.DagsterInstance.from_config(str(home))
    [run] = instance.get_runs()
    starts = instance.get_records_for_run(
        run.run_id, of_type=dg.DagsterEventType.STEP_START
    ).records
    pids = {r.event_log_entry.dagster_event.pid for r in starts}
    assert len(starts) >= 4
    if executor == "default":
        assert len(pids) == 1, pids  # every step in the run's one process
    else:
        assert len(pids) == len(starts), pids  # a process per step
