"""Conditions mean what flowengine's evaluator says, are compiled once, and cannot build
gigabytes: a visibly huge value is refused at load, one that depends on run data stops
at evaluation with an error naming the condition, and a very long condition is refused
before it is parsed."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import dagster as dg
import pytest
from flowengine import FlowContext
from flowengine.errors import ConditionEvaluationError
from flowengine.eval.evaluator import ConditionEvaluator
from hypothesis import given, settings
from hypothesis import strategies as st
from skills_lib import registry

from neurocore_dagster import BlueprintError, execute_blueprint, load_blueprint
from neurocore_dagster.blueprint.condition_check import MAX_CONDITION_VALUE, condition_problems
from neurocore_dagster.runtime import expressions
from neurocore_dagster.runtime.expressions import evaluate

DATA = {"s": "ab", "n": 3, "l": [1, 2], "f": 1.5, "t": (1, 2)}
"""Small values: no generated expression can build anything near the bound."""
ATOMS = [
    *(f"context.data.{k}" for k in DATA),
    "'x'",
    "'%d'",
    "'%5s'",
    "'%-3.1f'",
    "'%*d'",
    "'%(a)s'",
    "'%%5d'",
    "2",
    "-1",
    "0",
    "[0]",
    "(1, 2)",
    "{'a': 1}",
    "True",
    "None",
    "1.5",
    "context.data.missing",
]
OPS = ["*", "%", "+", "-", "==", "<", " and ", " or ", " in "]

expressions_st = st.recursive(
    st.sampled_from(ATOMS),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(OPS), inner).map(lambda t: f"({t[0]}{t[1]}{t[2]})"),
        inner.map(lambda e: f"(not {e})"),
        st.tuples(inner, inner).map(lambda t: f"({t[0]}, {t[1]})"),
    ),
    max_leaves=6,
)


def _context(**extra: object) -> FlowContext:
    context = FlowContext()
    for key, value in {**DATA, **extra}.items():
        context.set(key, value)
    return context


def _outcome(evaluate_fn, expression: str) -> object:
    try:
        return evaluate_fn(expression, _context())
    except ConditionEvaluationError:
        return ConditionEvaluationError


@settings(max_examples=400)
@given(expression=expressions_st)
def test_results_equal_flowengine(expression: str) -> None:
    """Within the bound, every condition flowengine evaluates gives flowengine's result
    (or fails where flowengine fails)."""
    expected = _outcome(ConditionEvaluator().evaluate, expression)
    assert _outcome(evaluate, expression) == expected


@pytest.mark.parametrize(
    "expression",
    [
        "'a' * context.data.big * 2 > ''",
        "context.data.n * 1000000 * [0] == []",
        "'%*d' % (context.data.big * 2, 1) == ''",
        "('%0' + '9999999' + 'd') % 1 == ''",
    ],
)
def test_data_dependent_huge_values_stop_at_evaluation(expression: str) -> None:
    assert condition_problems(expression) == []  # not visible at load
    started = time.perf_counter()
    with pytest.raises(ConditionEvaluationError, match="limit is 1,000,000") as caught:
        evaluate(expression, _context(big=MAX_CONDITION_VALUE))
    assert expression in str(caught.value)
    assert time.perf_counter() - started < 0.5


def test_each_condition_is_compiled_once() -> None:
    condition = "context.data.n * 2 == 6 and 'x' in context.data.s + 'x'"
    expressions._compiled.cache_clear()
    for _ in range(50):
        assert evaluate(condition, _context()) is True
    info = expressions._compiled.cache_info()
    assert info.misses == 1 and info.hits == 49


def test_long_condition_is_refused_fast(tmp_path: Path) -> None:
    """A 900 KB condition once took seconds to load and was parsed again at each evaluation."""
    path = tmp_path / "long.yaml"
    path.write_text(
        "name: long\ncomponents: [{name: a, type: trace}]\nflow:\n  steps:\n"
        '    - component: a\n      condition: "' + "context.data.x or " * 50_000 + 'True"\n'
    )
    started = time.perf_counter()
    with pytest.raises(BlueprintError) as caught:
        load_blueprint(path)
    assert time.perf_counter() - started < 1.0
    assert [(i.type, i.line) for i in caught.value.issues] == [("condition.too_long", 6)]


BLUEPRINT = """\
name: bounded
components:
  - {{name: first, type: trace}}
  - {{name: second, type: trace}}
flow:
  settings: {{on_condition_error: {policy}}}
  steps:
    - component: first
    - component: second
      condition: "'a' * context.data.n > 'a'"
"""


@pytest.mark.parametrize("policy", ["fail", "skip"])
def test_a_run_stops_a_huge_condition_by_its_policy(
    policy: str, tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    path = tmp_path / "bounded.yaml"
    path.write_text(textwrap.dedent(BLUEPRINT.format(policy=policy)))
    blueprint = load_blueprint(path)
    small = execute_blueprint(blueprint, registry(), initial_data={"n": 3}, instance=instance)
    assert small.status == "completed" and small.context.get("trace") == ["first", "second"]
    huge = execute_blueprint(blueprint, registry(), initial_data={"n": 10**10}, instance=instance)
    if policy == "fail":
        assert huge.status == "failed" and "would build a str of" in (huge.error or "")
    else:
        assert huge.status == "completed" and huge.context.get("trace") == ["first"]
        errors = huge.context.metadata.condition_errors
        assert errors and "would build a str of" in str(errors[0])
