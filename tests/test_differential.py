"""Every blueprint gives flowengine's final context when run as a Dagster job."""

from __future__ import annotations

from typing import Any

import pytest
from oracle import comparable, run_flowengine
from skills_lib import registry

from neurocore_dagster import Blueprint, execute_blueprint

C = dict[str, Any]


def comps(**spec: Any) -> list[C]:
    out = []
    for name, value in spec.items():
        if isinstance(value, str):
            out.append({"name": name, "type": value})
        else:
            kind, config = value
            out.append({"name": name, "type": kind, "config": config})
    return out


def seq(components: list[C], steps: list[Any], kind: str = "sequential", **settings: Any) -> C:
    steps = [s if isinstance(s, dict) else {"component": s} for s in steps]
    return {
        "name": "case",
        "components": components,
        "flow": {"type": kind, "settings": settings, "steps": steps},
    }


def graph(components: list[C], nodes: list[Any], edges: list[Any], **settings: Any) -> C:
    nodes = [n if isinstance(n, dict) else {"id": n, "component": n} for n in nodes]
    edge_dicts = []
    for edge in edges:
        if isinstance(edge, dict):
            edge_dicts.append(edge)
        else:
            source, target, *rest = edge
            item: C = {"source": source, "target": target}
            if rest and rest[0] is not None:
                item["port"] = rest[0]
            if len(rest) > 1:
                item["condition"] = rest[1]
            edge_dicts.append(item)
    return {
        "name": "case",
        "components": components,
        "flow": {"type": "graph", "settings": settings, "nodes": nodes, "edges": edge_dicts},
    }


T3 = comps(a="trace", b="trace", c="trace")
T5 = comps(a="trace", b="trace", c="trace", d="trace", e="trace")
ROUTER = ("port", {"key": "route"})

CASES: list[tuple[str, C, C | None]] = [
    # sequential
    ("seq_basic", seq(T3, ["a", "b", "c"]), None),
    ("seq_repeat_component", seq(T3, ["a", "b", "a"]), None),
    (
        "seq_conditions",
        seq(
            T3,
            [
                "a",
                {"component": "b", "condition": "context.data.go == True"},
                {"component": "c", "condition": "context.data.go != True"},
            ],
        ),
        {"go": True},
    ),
    (
        "seq_conditions_other",
        seq(
            T3,
            [
                "a",
                {"component": "b", "condition": "context.data.go"},
                {"component": "c", "condition": "not context.data.go"},
            ],
        ),
        {"go": False},
    ),
    (
        "seq_condition_reads_earlier_write",
        seq(
            comps(a=("set", {"key": "x", "value": 5}), b="trace"),
            ["a", {"component": "b", "condition": "context.data.x > 3"}],
        ),
        None,
    ),
    (
        "seq_on_error_skip",
        seq(
            comps(a="trace", f="fail", c="trace"),
            ["a", {"component": "f", "on_error": "skip"}, "c"],
            fail_fast=False,
        ),
        None,
    ),
    (
        "seq_on_error_continue",
        seq(
            comps(a="trace", f="fail", c="trace"),
            ["a", {"component": "f", "on_error": "continue"}, "c"],
            fail_fast=False,
        ),
        None,
    ),
    ("seq_on_error_fail", seq(comps(a="trace", f="fail", c="trace"), ["a", "f", "c"]), None),
    (
        "seq_fail_fast_overrides_skip",
        seq(comps(a="trace", f="fail"), ["a", {"component": "f", "on_error": "skip"}]),
        None,
    ),
    (
        "seq_condition_error_fail",
        seq(T3, ["a", {"component": "b", "condition": "context.data.n > 1"}]),
        None,
    ),
    (
        "seq_condition_error_skip",
        seq(
            T3,
            ["a", {"component": "b", "condition": "context.data.n > 1"}, "c"],
            on_condition_error="skip",
        ),
        None,
    ),
    (
        "seq_condition_error_warn",
        seq(
            T3,
            ["a", {"component": "b", "condition": "context.data.n > 1"}, "c"],
            on_condition_error="warn",
        ),
        None,
    ),
    (
        "seq_delete_and_dict",
        seq(
            comps(
                a=("dictput", {"key": "info", "sub": "x"}),
                b=("delete", {"key": "gone"}),
                c=("dictput", {"key": "info", "sub": "y"}),
            ),
            ["a", "b", "c"],
        ),
        {"gone": 1, "info": {"z": 0}},
    ),
    ("seq_incr", seq(comps(i=("incr", {"by": 2}), j="incr"), ["i", "j", "i"]), {"count": 1}),
    # conditional
    (
        "cond_first_match",
        seq(
            T3,
            [
                {"component": "a", "condition": "context.data.n > 10"},
                {"component": "b", "condition": "context.data.n > 1"},
                {"component": "c", "condition": "context.data.n > 0"},
            ],
            kind="conditional",
        ),
        {"n": 5},
    ),
    (
        "cond_no_match",
        seq(
            T3,
            [
                {"component": "a", "condition": "context.data.n > 10"},
                {"component": "b", "condition": "context.data.n > 20"},
            ],
            kind="conditional",
        ),
        {"n": 5},
    ),
    (
        "cond_default_step",
        seq(
            T3,
            [{"component": "a", "condition": "context.data.n > 10"}, {"component": "c"}],
            kind="conditional",
        ),
        {"n": 5},
    ),
    (
        "cond_error_defaults_to_skip",
        seq(
            T3,
            [{"component": "a", "condition": "context.data.missing > 1"}, {"component": "b"}],
            kind="conditional",
        ),
        None,
    ),
    (
        "cond_failing_step",
        seq(
            comps(a="trace", f="fail"),
            [{"component": "f", "condition": "True"}, "a"],
            kind="conditional",
        ),
        None,
    ),
    # graphs
    ("graph_single_node", graph(T3, ["a"], []), None),
    ("graph_chain", graph(T3, ["a", "b", "c"], [("a", "b"), ("b", "c")]), None),
    (
        "graph_diamond_join",
        graph(T5, ["a", "b", "c", "d"], [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")]),
        None,
    ),
    (
        "graph_ports",
        graph(
            comps(r=ROUTER, x="trace", y="trace"),
            ["r", "x", "y"],
            [("r", "x", "left"), ("r", "y", "right")],
        ),
        {"route": "right"},
    ),
    (
        "graph_port_none_set",
        graph(
            comps(r=ROUTER, x="trace", y="trace", z="trace"),
            ["r", "x", "y", "z"],
            [("r", "x", "left"), ("r", "y", "right"), ("r", "z")],
        ),
        {"route": None},
    ),
    (
        "graph_unported_edges_pass",
        graph(comps(r=ROUTER, x="trace", y="trace"), ["r", "x", "y"], [("r", "x"), ("r", "y")]),
        {"route": "whatever"},
    ),
    (
        "graph_edge_condition",
        graph(
            T3,
            ["a", "b", "c"],
            [("a", "b", None, "context.data.n > 3"), ("a", "c", None, "context.data.n <= 3")],
        ),
        {"n": 7},
    ),
    (
        "graph_join_after_routing",
        graph(
            comps(r=ROUTER, x="trace", y="trace", j="trace"),
            ["r", "x", "y", "j"],
            [("r", "x", "left"), ("r", "y", "right"), ("x", "j"), ("y", "j")],
        ),
        {"route": "left"},
    ),
    (
        "graph_transitive_skip",
        graph(
            comps(r=ROUTER, x="trace", y="trace", z="trace"),
            ["r", "x", "y", "z"],
            [("r", "x", "left"), ("x", "y"), ("y", "z")],
        ),
        {"route": "right"},
    ),
    (
        "graph_nested_forks",
        graph(
            comps(a="trace", b="trace", c="trace", d="trace", e="trace", f="trace", g="trace"),
            ["a", "b", "c", "d", "e", "f", "g"],
            [
                ("a", "b"),
                ("a", "c"),
                ("b", "d"),
                ("b", "e"),
                ("d", "f"),
                ("e", "f"),
                ("f", "g"),
                ("c", "g"),
            ],
        ),
        None,
    ),
    ("graph_multiple_roots", graph(T3, ["a", "b", "c"], [("a", "c"), ("b", "c")]), None),
    (
        "graph_declared_out_of_order",
        graph(T5, ["d", "c", "b", "a"], [("a", "b"), ("b", "c"), ("a", "d"), ("c", "d")]),
        None,
    ),
    (
        "graph_dict_merge_join",
        graph(
            comps(
                a=("dictput", {"key": "info", "sub": "a"}),
                b=("dictput", {"key": "info", "sub": "b"}),
                c=("dictput", {"key": "info", "sub": "c"}),
                j="trace",
            ),
            ["a", "b", "c", "j"],
            [("a", "b"), ("a", "c"), ("b", "j"), ("c", "j")],
        ),
        None,
    ),
    (
        "graph_scalar_conflict_last_wins",
        graph(
            comps(
                a="trace",
                b=("set", {"key": "k", "value": 1}),
                c=("set", {"key": "k", "value": 2}),
                j="trace",
            ),
            ["a", "c", "b", "j"],
            [("a", "b"), ("a", "c"), ("b", "j"), ("c", "j")],
        ),
        None,
    ),
    (
        "graph_on_error_skip",
        graph(
            comps(a="trace", f="fail", c="trace"),
            ["a", {"id": "f", "component": "f", "on_error": "skip"}, "c"],
            [("a", "f"), ("f", "c")],
            fail_fast=False,
        ),
        None,
    ),
    (
        "graph_on_error_continue",
        graph(
            comps(a="trace", f="fail", c="trace"),
            ["a", {"id": "f", "component": "f", "on_error": "continue"}, "c"],
            [("a", "f"), ("f", "c")],
            fail_fast=False,
        ),
        None,
    ),
    (
        "graph_failure",
        graph(comps(a="trace", f="fail", c="trace"), ["a", "f", "c"], [("a", "f"), ("a", "c")]),
        None,
    ),
    (
        "graph_edge_condition_error_skip",
        graph(
            T3,
            ["a", "b", "c"],
            [("a", "b", None, "context.data.n > 1"), ("a", "c")],
            on_condition_error="skip",
        ),
        None,
    ),
    (
        "graph_edge_condition_error_warn",
        graph(
            T3,
            ["a", "b", "c"],
            [("a", "b", None, "context.data.n > 1"), ("a", "c")],
            on_condition_error="warn",
        ),
        None,
    ),
    (
        "graph_edge_condition_error_fail",
        graph(T3, ["a", "b"], [("a", "b", None, "context.data.n > 1")]),
        None,
    ),
    (
        "graph_same_node_twice",
        graph(
            comps(a="trace", b="trace"),
            ["a", {"id": "b1", "component": "b"}, {"id": "b2", "component": "b"}],
            [("a", "b1"), ("b1", "b2")],
        ),
        None,
    ),
    (
        "graph_async",
        graph(
            comps(a="atrace", b="atrace", c="trace", d="atrace"),
            ["a", "b", "c", "d"],
            [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")],
        ),
        None,
    ),
    (
        "graph_routing_from_initial_data",
        graph(
            comps(r=ROUTER, x="trace", y="trace", j="trace"),
            ["r", "x", "y", "j"],
            [
                ("r", "x", "x"),
                ("r", "y", "y"),
                ("x", "j"),
                ("y", "j", None, "context.data.extra == 1"),
            ],
        ),
        {"route": "y", "extra": 1},
    ),
    (
        "seq_timeout",
        seq(comps(a="trace", s=("sleepy", {"seconds": 0.6})), ["a", "s"], timeout_seconds=0.2),
        None,
    ),
    (
        "graph_timeout",
        graph(
            comps(a="trace", s=("sleepy", {"seconds": 0.6})),
            ["a", "s"],
            [("a", "s")],
            timeout_seconds=0.2,
        ),
        None,
    ),
    (
        "seq_within_timeout",
        seq(comps(a="trace", s=("sleepy", {"seconds": 0.05})), ["a", "s"], timeout_seconds=30),
        None,
    ),
    # loops
    (
        "loop_self",
        graph(
            comps(l=("loop", {"until": 3}), out="trace"),
            ["l", "out"],
            [("l", "l", "again"), ("l", "out", "done")],
        ),
        None,
    ),
    (
        "loop_with_prefix",
        graph(
            comps(s="trace", d="trace", l=("loop", {"until": 2}), p="trace"),
            ["s", "d", "l", "p"],
            [("s", "d"), ("d", "l"), ("l", "d", "again"), ("l", "p", "done")],
        ),
        None,
    ),
    (
        "loop_exit_policy",
        graph(
            comps(s="trace", l=("loop", {"until": 50})),
            ["s", "l"],
            [("s", "l"), ("l", "l", "again")],
            max_iterations=3,
            on_max_iterations="exit",
        ),
        None,
    ),
    (
        "loop_warn_policy",
        graph(
            comps(s="trace", l=("loop", {"until": 50})),
            ["s", "l"],
            [("s", "l"), ("l", "l", "again")],
            max_iterations=3,
            on_max_iterations="warn",
        ),
        None,
    ),
    (
        "loop_fail_policy",
        graph(
            comps(s="trace", l=("loop", {"until": 50})),
            ["s", "l"],
            [("s", "l"), ("l", "l", "again")],
            max_iterations=3,
        ),
        None,
    ),
    (
        "loop_max_visits",
        graph(
            comps(s="trace", l=("loop", {"until": 50}), t="trace"),
            ["s", {"id": "l", "component": "l", "max_visits": 2}, "t"],
            [("s", "l"), ("l", "l", "again"), ("l", "t")],
        ),
        None,
    ),
    (
        "loop_root_in_cycle",
        graph(
            comps(s="trace", b="trace", l=("loop", {"until": 2})),
            ["b", "l", "s"],
            [("s", "l"), ("l", "b", "again"), ("b", "l")],
        ),
        None,
    ),
    (
        "loop_fork_before",
        graph(
            comps(a="trace", x="trace", l=("loop", {"until": 2}), j="trace"),
            ["a", "x", "l", "j"],
            [("a", "x"), ("a", "l"), ("l", "l", "again"), ("l", "j", "done"), ("x", "j")],
        ),
        None,
    ),
    (
        "loop_downstream_join_twice",
        graph(
            comps(a="trace", l=("loop", {"until": 3}), t="trace"),
            ["a", "l", "t"],
            [("a", "l"), ("l", "l", "again"), ("l", "t")],
        ),
        None,
    ),
    (
        # r sets x=1; p sets x=2; q sets x=1: q's write counts although q saw x=1.
        "join_equal_value_write_counts",
        graph(
            comps(
                r=("set", {"key": "x", "value": 1}),
                p=("set", {"key": "x", "value": 2}),
                q=("set", {"key": "x", "value": 1}),
            ),
            ["r", "p", "q"],
            [("r", "p"), ("r", "q")],
        ),
        None,
    ),
    (
        # p adds d.k in place; q (later) replaces d whole: q's dict stands alone.
        "join_replacement_beats_in_place",
        graph(
            comps(
                r=("set", {"key": "y", "value": 0}),
                p=("dictput", {"key": "d", "sub": "k"}),
                q=("replace", {"key": "d", "value": {"z": 1}}),
            ),
            ["r", "p", "q"],
            [("r", "p"), ("r", "q")],
        ),
        {"d": {"a": 0}},
    ),
    (
        # p replaces the list whole; q (later) appends in place: both survive, in order.
        "join_in_place_after_replacement",
        graph(
            comps(
                r=("set", {"key": "y", "value": 0}),
                p=("replace", {"key": "trace", "value": ["p"]}),
                q="trace",
            ),
            ["r", "p", "q"],
            [("r", "p"), ("r", "q")],
        ),
        {"trace": ["init"]},
    ),
    (
        "loop_condition_exit",
        graph(
            comps(i=("incr", {}), t="trace"),
            ["i", "t"],
            [
                ("i", "i", None, "context.data.count < 4"),
                ("i", "t", None, "context.data.count >= 4"),
            ],
        ),
        None,
    ),
]


@pytest.mark.parametrize("name,document,initial", CASES, ids=[c[0] for c in CASES])
def test_dagster_run_matches_flowengine(
    name: str, document: C, initial: C | None, instance: Any
) -> None:
    blueprint = Blueprint.model_validate(document)
    skills = registry()
    expected = run_flowengine(blueprint, skills, initial)
    run = execute_blueprint(blueprint, skills, initial_data=initial, instance=instance)
    assert (run.status == "failed") == expected.failed, run.error or expected.error
    if not expected.failed:
        assert run.status == "completed"
        assert comparable(run.context) == comparable(expected.context)


def test_matrix_is_broad() -> None:
    kinds = {doc["flow"]["type"] for _, doc, _ in CASES}
    assert kinds == {"sequential", "conditional", "graph"}
    assert sum(1 for name, *_ in CASES if name.startswith("loop_")) >= 8
