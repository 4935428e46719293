"""The node runner (runtime/runner.py) on its own: no Dagster, no op, one unit at a time.

A sequential flow without conditions is the runner applied to each step in
turn, so random ones run that way are compared with flowengine running the same
components (tests/oracle.py); the rest checks the runner's own rules: retries,
a ``process`` that returns no context, the flow's time budget, async skills.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import skills_lib
from flowengine import BaseComponent, FlowContext
from flowengine.config.schema import FlowSettings
from flowengine.errors import FlowTimeoutError
from hypothesis import example, given
from hypothesis import strategies as st
from oracle import comparable, run_flowengine

from neurocore_dagster.blueprint import Blueprint
from neurocore_dagster.errors import SkillError
from neurocore_dagster.plan.compile import compile_plan
from neurocore_dagster.plan.model import RetryPlan, Unit
from neurocore_dagster.runtime.clock import FlowClock
from neurocore_dagster.runtime.observer import OpWarning, Recorder, Report
from neurocore_dagster.runtime.runner import RetryNeeded, RunParams, run_unit

REGISTRY = skills_lib.registry()


def _run(
    unit: Unit,
    component: BaseComponent,
    context: FlowContext,
    *,
    settings: FlowSettings | None = None,
    attempt: int = 0,
    clock: FlowClock | None = None,
) -> tuple[FlowContext, list[Report]]:
    """``run_unit`` as a step, with what it reported (the one call these tests make)."""
    params = RunParams(
        settings=settings or FlowSettings(),
        clock=clock or FlowClock(started_at=time.time(), timeout_seconds=None),
        attempt=attempt,
    )
    recorder = Recorder()
    return run_unit(unit, component, context, params, "step", recorder), recorder.reports


COMPONENTS = {
    "tr": {"type": "trace"},
    "put": {"type": "set", "config": {"key": "k", "value": 7}},
    "inc": {"type": "incr"},
    "boom": {"type": "fail"},
    "later": {"type": "atrace"},
}
SYNC = ["tr", "put", "inc", "boom"]
"""The components the oracle runs in a sequential flow (it runs async skills in graphs)."""


def _document(steps: list[dict[str, Any]], *, fail_fast: bool = False) -> dict[str, Any]:
    """A sequential flow of ``steps``, declaring only the components they use."""
    used = dict.fromkeys(step["component"] for step in steps)
    return {
        "name": "runner",
        "components": [{"name": name, **COMPONENTS[name]} for name in used],
        "flow": {"type": "sequential", "settings": {"fail_fast": fail_fast}, "steps": steps},
    }


def _component(blueprint: Blueprint, name: str) -> BaseComponent:
    declared = blueprint.component(name)
    instance: BaseComponent = REGISTRY.get(declared.type)(name)
    instance.init(dict(declared.config))
    return instance


steps_strategy = st.lists(
    st.fixed_dictionaries(
        {"component": st.sampled_from(SYNC)},
        optional={"on_error": st.sampled_from(["fail", "skip", "continue"])},
    ),
    min_size=1,
    max_size=6,
)


@given(steps=steps_strategy, fail_fast=st.booleans(), seed=st.sampled_from([[], ["init"]]))
@example(
    steps=[{"component": "boom", "on_error": "skip"}, {"component": "tr"}], fail_fast=False, seed=[]
)
@example(
    steps=[{"component": "boom", "on_error": "continue"}, {"component": "inc"}],
    fail_fast=False,
    seed=["init"],
)
@example(
    steps=[{"component": "tr"}, {"component": "boom", "on_error": "skip"}], fail_fast=True, seed=[]
)
def test_steps_run_one_by_one_end_as_flowengine_ends(
    steps: list[dict[str, Any]], fail_fast: bool, seed: list[str]
) -> None:
    blueprint = Blueprint.model_validate(_document(steps, fail_fast=fail_fast))
    expected = run_flowengine(blueprint, REGISTRY, {"trace": list(seed)})
    plan = compile_plan(blueprint, REGISTRY)
    context = FlowContext()
    context.set("trace", list(seed))
    failed: BaseException | None = None
    for op in plan.ops:
        unit = op.units[0]
        try:
            context, _ = _run(
                unit, _component(blueprint, unit.component), context, settings=plan.settings
            )
        except Exception as error:
            failed = error
            break
    assert (failed is not None) == expected.failed
    if failed is None:
        assert comparable(context) == comparable(expected.context)
    else:
        assert isinstance(failed, ValueError)  # the skill's own exception, not a wrapper
        assert str(failed) == "boom always fails"


@given(
    policy=st.sampled_from(["fail", "skip", "continue"]),
    fail_fast=st.booleans(),
)
def test_a_failure_follows_on_error_and_fail_fast(policy: str, fail_fast: bool) -> None:
    blueprint = Blueprint.model_validate(
        _document([{"component": "boom", "on_error": policy}], fail_fast=fail_fast)
    )
    plan = compile_plan(blueprint, REGISTRY)
    unit = plan.ops[0].units[0]
    component = _component(blueprint, "boom")
    if policy == "fail" or fail_fast:
        with pytest.raises(ValueError, match="boom always fails"):
            _run(unit, component, FlowContext(), settings=plan.settings)
        return
    context, reports = _run(unit, component, FlowContext(), settings=plan.settings)
    assert [(e["component"], e["error_type"]) for e in context.metadata.errors] == [
        ("boom", "ValueError")
    ]
    assert context.metadata.skipped_components == (["boom"] if policy == "skip" else [])
    warnings = [(r.warning_kind, r.node) for r in reports if isinstance(r, OpWarning)]
    assert warnings == [("error_recorded", "boom")]


retry_plans = st.builds(
    RetryPlan,
    max_retries=st.integers(0, 4),
    delay_base=st.floats(0, 2),
    delay_max=st.floats(0, 5),
    retry_on=st.sampled_from([(), (ValueError,), (ConnectionError,)]),
)


@given(retry=retry_plans, attempt=st.integers(0, 5))
def test_a_covered_failure_asks_for_a_retry_with_a_bounded_delay(
    retry: RetryPlan, attempt: int
) -> None:
    blueprint = Blueprint.model_validate(_document([{"component": "boom"}]))
    plan_unit = compile_plan(blueprint, REGISTRY).ops[0].units[0]
    unit = Unit(**{**plan_unit.__dict__, "retry": retry})
    covered = attempt < retry.max_retries and retry.retry_on in ((), (ValueError,))
    with pytest.raises((RetryNeeded, ValueError)) as caught:
        _run(unit, _component(blueprint, "boom"), FlowContext(), attempt=attempt)
    if not covered:
        assert type(caught.value) is ValueError
        return
    needed = caught.value
    assert isinstance(needed, RetryNeeded)
    assert isinstance(needed.error, ValueError)
    assert needed.attempt == attempt
    assert 0 <= needed.delay_seconds <= min(retry.delay_base * 2**attempt, retry.delay_max)


class _ForgetsToReturn(skills_lib.Skill):
    skill_meta = skills_lib.SkillMeta(name="forgetful", version="1.0.0")

    def process(self, context: FlowContext) -> FlowContext:
        context.set("seen", True)
        return None  # type: ignore[return-value]


def test_process_that_returns_no_context_fails_naming_skill_and_component() -> None:
    unit = Unit(
        key="step", component="forgets", skill="forgetful", skill_version="1.0.0", description=""
    )
    with pytest.raises(SkillError, match=r"'forgetful' \(component 'forgets'.*return context"):
        _run(unit, _ForgetsToReturn("forgets"), FlowContext())


def test_an_async_skill_is_awaited() -> None:
    blueprint = Blueprint.model_validate(_document([{"component": "later"}]))
    unit = compile_plan(blueprint, REGISTRY).ops[0].units[0]
    assert unit.is_async
    context, reports = _run(unit, _component(blueprint, "later"), FlowContext())
    assert context.get("trace") == ["later"]
    assert [r.kind for r in reports] == ["step_started", "step_finished"]


def test_a_spent_time_budget_stops_before_the_skill_runs() -> None:
    blueprint = Blueprint.model_validate(_document([{"component": "put"}]))
    unit = compile_plan(blueprint, REGISTRY).ops[0].units[0]
    spent = FlowClock(started_at=time.time() - 10, timeout_seconds=5)
    context = FlowContext()
    with pytest.raises(FlowTimeoutError, match="Flow timeout exceeded"):
        _run(unit, _component(blueprint, "put"), context, clock=spent)
    assert context.get("k") is None
