"""Hypothesis strategies for random *valid* graph blueprints and their initial data.

Every generated graph respects the one documented difference between Dagster
and flowengine (DESIGN §3.5): parallel branches see only their ancestors'
writes. So no node reads a key that a node outside its ancestry writes, except
through list appends (``trace``, ``port``) and dict merges (``dictput``), which
the package merges in flowengine's order:

* ``trace``/``dictput`` append to ``trace`` / merge into ``info``;
* ``set`` writes a scalar, mostly 0 or 1, to a small shared pool (``k1``,
  ``k2``) that nobody reads, so several writers of one key often write equal
  values: a write of the value a node already saw still counts (DESIGN §3.5);
* ``replace`` stores a fresh, non-empty list at ``trace``, dict at ``info`` or
  scalar at ``k1`` without reading it, mixing whole-value replacement with the
  in-place appends and merges of ``trace`` and ``dictput`` (a replaced list or
  dict keeps its type, so in-place writers still find one);
* ``incr`` and ``delete`` touch a key that only their own node uses;
* ``port`` routes by an initial-data key (``route_<node>``);
* edge conditions read initial data (``n``, ``flag``, a missing key to raise a
  condition error) or the ``incr`` counter of the edge's source or one of its
  ancestors.

Nodes may share a component (of a skill that writes no key another node
reads), two edges may join the same pair of nodes, and some components are
left unused. Cyclic graphs add port-routed back edges (``loop`` nodes, port
``again``) or unported ones bounded only by ``max_iterations``; flowengine runs
every cycle and what follows it sequentially, and so does the package's loop op.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

C = dict[str, Any]

DAG_SKILLS = (
    "trace",
    "trace",
    "set",
    "set",
    "replace",
    "replace",
    "incr",
    "dictput",
    "port",
    "delete",
    "fail",
    "atrace",
)
# Skills whose component several nodes may share without a parallel read-after-write.
SHAREABLE = ("trace", "set", "replace", "dictput", "port", "fail", "atrace")
PORTS = ("p0", "p1")


@dataclass(frozen=True)
class GraphCase:
    """A blueprint document and the initial data to run it with."""

    document: C
    initial_data: C


def _ancestors(n: int, edges: list[tuple[int, int]]) -> list[set[int]]:
    """Ancestors of each node over forward edges only (i < j)."""
    found: list[set[int]] = [set() for _ in range(n)]
    for j in range(n):
        for i, k in edges:
            if k == j and i < j:
                found[j] |= {i} | found[i]
    return found


@st.composite
def _component(draw: st.DrawFn, index: int, skill: str, initial: C) -> C:
    node = f"n{index}"
    config: C = {}
    if skill == "set":
        config = {
            "key": draw(st.sampled_from(["k1", "k2"])),
            "value": draw(
                st.one_of(st.sampled_from([0, 1]), st.sampled_from([0, 1, 9, "x", None, True]))
            ),
        }
    elif skill == "replace":
        key = draw(st.sampled_from(["trace", "info", "k1"]))
        same = draw(st.booleans())  # equal values from several replacing nodes
        value: Any = {
            "trace": ["r"] if same else [node],
            "info": {"r": 1} if same else {node: 1},
            "k1": draw(st.sampled_from([0, 1])),
        }
        config = {"key": key, "value": value[key]}
    elif skill == "incr":
        config = {"key": f"c_{node}", "by": draw(st.integers(1, 3))}
        if draw(st.booleans()):
            initial[f"c_{node}"] = draw(st.integers(0, 3))
    elif skill == "dictput":
        config = {"key": "info", "sub": node}
    elif skill == "port":
        config = {"key": f"route_{node}"}
        initial[f"route_{node}"] = draw(st.sampled_from([*PORTS, None]))
    elif skill == "delete":
        config = {"key": f"gone_{node}"}
        if draw(st.integers(0, 4)):  # usually present; absent tests a failing delete
            initial[f"gone_{node}"] = index
    elif skill == "loop":
        config = {"until": draw(st.integers(1, 4))}
    component: C = {"name": f"c{index}", "type": skill}
    if config:
        component["config"] = config
    return component


@st.composite
def _condition(draw: st.DrawFn, source: int, ancestry: set[int], skills: list[str]) -> str | None:
    counters = [i for i in sorted(ancestry | {source}) if skills[i] == "incr"]
    options: list[str | None] = [
        None,
        None,
        f"context.data.n > {draw(st.integers(0, 5))}",
        f"context.data.n == {draw(st.integers(0, 5))}",
        "context.data.flag",
        "not context.data.flag",
    ]
    if draw(st.integers(0, 5)) == 0:
        options.append("context.data.missing > 1")
    options.extend(f"context.data.c_n{i} >= {draw(st.integers(1, 5))}" for i in counters)
    return draw(st.sampled_from(options))


@st.composite
def graph_cases(draw: st.DrawFn, *, cyclic: bool) -> GraphCase:
    """A random valid graph blueprint (a DAG, or with back edges when ``cyclic``)."""
    n = draw(st.integers(2, 7))
    skills = [draw(st.sampled_from(DAG_SKILLS)) for _ in range(n)]
    if "atrace" in skills and cyclic:
        skills = [s if s != "atrace" else "trace" for s in skills]
    forward = [(i, j) for j in range(n) for i in range(j) if draw(st.integers(0, 2)) == 0]
    back: list[tuple[int, int]] = []
    if cyclic:
        for _ in range(draw(st.integers(1, 2))):
            j = draw(st.integers(0, n - 1))
            i = draw(st.integers(0, j))
            if draw(st.booleans()):
                skills[j] = "loop"
            back.append((j, i))
    initial: C = {
        "n": draw(st.integers(0, 5)),
        "flag": draw(st.booleans()),
    }
    if draw(st.booleans()):
        initial["trace"] = ["init"]
    if draw(st.booleans()):
        initial["info"] = {"init": 0}
    components = [draw(_component(i, skill, initial)) for i, skill in enumerate(skills)]
    uses = [f"c{i}" for i in range(n)]  # a shared component leaves its own one unused
    for i in range(1, n):
        shared = [j for j in range(i) if skills[j] in SHAREABLE and uses[j] == f"c{j}"]
        if skills[i] in SHAREABLE and shared and draw(st.integers(0, 4)) == 0:
            j = draw(st.sampled_from(shared))
            uses[i], skills[i] = f"c{j}", skills[j]
    ancestry = _ancestors(n, forward)
    edges: list[C] = []
    for i, j in forward:
        edge: C = {"source": f"n{i}", "target": f"n{j}"}
        if skills[i] in ("port", "loop") or draw(st.integers(0, 5)) == 0:
            port = draw(st.sampled_from([None, *PORTS, "again", "done"]))
            if skills[i] == "loop" and port in PORTS:
                port = "done"
            if port is not None:
                edge["port"] = port
        condition = draw(_condition(i, ancestry[i], skills))
        if condition is not None:
            edge["condition"] = condition
        edges.append(edge)
    if edges and draw(st.integers(0, 4)) == 0:  # a second edge between the same two nodes
        twin = dict(draw(st.sampled_from(edges)))
        twin.pop("port", None)
        port = draw(st.sampled_from([None, *PORTS]))
        if port is not None:
            twin["port"] = port
        edges.append(twin)
    for j, i in back:
        edge = {"source": f"n{j}", "target": f"n{i}"}
        if skills[j] == "loop" or draw(st.booleans()):
            edge["port"] = "again"
        edges.append(edge)
    nodes: list[C] = []
    for i in range(n):
        node: C = {"id": f"n{i}", "component": uses[i]}
        policy = draw(st.sampled_from([None, None, "fail", "skip", "continue"]))
        if policy is not None:
            node["on_error"] = policy
        if cyclic and draw(st.integers(0, 3)) == 0:
            node["max_visits"] = draw(st.integers(1, 4))
        nodes.append(node)
    settings: C = {
        "fail_fast": draw(st.booleans()),
        "on_condition_error": draw(st.sampled_from(["fail", "skip", "warn"])),
    }
    if cyclic:
        settings["max_iterations"] = draw(st.integers(2, 8))
        settings["on_max_iterations"] = draw(st.sampled_from(["fail", "exit", "warn"]))
    document = {
        "name": "generated",
        "components": components,
        "flow": {"type": "graph", "settings": settings, "nodes": nodes, "edges": edges},
    }
    return GraphCase(document, initial)


WRITERS = ("set", "replace", "trace", "dictput")


@st.composite
def _writer(draw: st.DrawFn, index: int) -> C:
    """A component that writes ``k1`` (0 or 1), or ``trace``/``info`` in place or whole."""
    node = f"n{index}"
    skill = draw(st.sampled_from(WRITERS))
    config: C
    if skill == "set":
        config = {"key": "k1", "value": draw(st.sampled_from([0, 1]))}
    elif skill == "replace":
        key = draw(st.sampled_from(["trace", "info", "k1"]))
        same = draw(st.booleans())
        value: Any = {
            "trace": ["r"] if same else [node],
            "info": {"r": 1} if same else {node: 1},
            "k1": draw(st.sampled_from([0, 1])),
        }
        config = {"key": key, "value": value[key]}
    elif skill == "dictput":
        config = {"key": "info", "sub": node}
    else:
        config = {}
    component: C = {"name": f"c{index}", "type": skill}
    if config:
        component["config"] = config
    return component


@st.composite
def fork_join_cases(draw: st.DrawFn) -> GraphCase:
    """A root, 2-3 parallel chains of 1-2 writers, and a join, all writing a few keys.

    Every node writes ``k1``, ``trace`` or ``info``, so several parallel writers
    of one key, equal values and whole-value replacement beside in-place
    changes come up in almost every example (DESIGN §3.5's two rules).
    """
    chains = [draw(st.integers(1, 2)) for _ in range(draw(st.integers(2, 3)))]
    count = 2 + sum(chains)
    components = [draw(_writer(i)) for i in range(count)]
    edges: list[C] = []
    index = 1
    for length in chains:
        previous = "n0"
        for _ in range(length):
            edges.append({"source": previous, "target": f"n{index}"})
            previous = f"n{index}"
            index += 1
        edges.append({"source": previous, "target": f"n{count - 1}"})
    initial: C = {}
    if draw(st.booleans()):
        initial["trace"] = ["init"]
    if draw(st.booleans()):
        initial["info"] = {"init": 0}
    if draw(st.booleans()):
        initial["k1"] = draw(st.sampled_from([0, 1]))
    nodes = [{"id": f"n{i}", "component": f"c{i}"} for i in range(count)]
    document = {
        "name": "fork_join",
        "components": components,
        "flow": {"type": "graph", "nodes": nodes, "edges": edges},
    }
    return GraphCase(document, initial)
