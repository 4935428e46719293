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
