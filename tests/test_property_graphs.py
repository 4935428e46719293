"""Property: any valid graph blueprint gives flowengine's final context on Dagster.

The graphs come from :mod:`graph_strategies` (random DAGs with ports, edge
conditions, joins and error policies, and cyclic graphs with bounded loops).
A run fails exactly when flowengine raises; otherwise the data, skipped
components, errors, completed nodes and loop counters match, and the caller's
initial data is left as it was. Each example is one real Dagster run (~0.3 s
on an idle machine), so the example counts are small and the search is
derandomized: CI runs the same examples every time. Set ``NC_PROPERTY_SCALE``
(e.g. 20) and ``HYPOTHESIS_PROFILE=explore`` to search more widely.
"""

from __future__ import annotations

import copy
import os
from typing import Any

from graph_strategies import GraphCase, fork_join_cases, graph_cases
from hypothesis import given, settings
from oracle import comparable, run_flowengine
from skills_lib import registry

from neurocore_dagster import Blueprint, execute_blueprint

SCALE = int(os.environ.get("NC_PROPERTY_SCALE", "1"))


def check_against_flowengine(case: GraphCase, instance: Any) -> None:
    blueprint = Blueprint.model_validate(case.document)
    skills = registry()
    expected = run_flowengine(blueprint, skills, case.initial_data)
    sent = copy.deepcopy(case.initial_data)
    run = execute_blueprint(blueprint, skills, initial_data=case.initial_data, instance=instance)
    assert case.initial_data == sent, "the run changed the caller's initial data"
    assert (run.status == "failed") == expected.failed, (run.error, expected.error)
    if not expected.failed:
        assert run.status == "completed"
        assert comparable(run.context) == comparable(expected.context)


@settings(max_examples=16 * SCALE)
@given(case=graph_cases(cyclic=False))
def test_random_dag_matches_flowengine(case: GraphCase, instance: Any) -> None:
    check_against_flowengine(case, instance)


@settings(max_examples=8 * SCALE)
@given(case=graph_cases(cyclic=True))
def test_random_cyclic_graph_matches_flowengine(case: GraphCase, instance: Any) -> None:
    check_against_flowengine(case, instance)


@settings(max_examples=24 * SCALE)
@given(case=fork_join_cases())
def test_parallel_writers_of_one_key_match_flowengine(case: GraphCase, instance: Any) -> None:
    """Equal-value writes and whole-value replacements beside in-place changes (§3.5)."""
    check_against_flowengine(case, instance)
