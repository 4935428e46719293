"""Graph analysis with flowengine's exact rules (order, back edges, roots).

flowengine picks its execution order and its back edges from the order nodes
and edges are written in; results depend on them, so these functions follow
its algorithms step for step: Kahn's algorithm with a FIFO queue seeded in node
order for DAGs, and a depth-first search in node order for back edges.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from neurocore_dagster.blueprint.model import Edge, Node


@dataclass(frozen=True)
class GraphShape:
    node_ids: tuple[str, ...]
    edges: tuple[Edge, ...]
    forward: dict[str, tuple[int, ...]]
    reverse: dict[str, tuple[int, ...]]
    back_edges: frozenset[tuple[str, str]]
    cycle_nodes: frozenset[str]

    @property
    def has_cycles(self) -> bool:
        return bool(self.back_edges)

    def roots(self) -> list[str]:
        """Nodes without incoming edges (the DAG executor's entry points)."""
        return [n for n in self.node_ids if not self.reverse[n]]

    def cyclic_roots(self) -> list[str]:
        """Nodes whose incoming edges are all back edges (the loop executor's entry points)."""
        return [
            n
            for n in self.node_ids
            if all((self.edges[i].source, n) in self.back_edges for i in self.reverse[n])
        ]

    def topological_order(self) -> list[str]:
        in_degree = {n: len(self.reverse[n]) for n in self.node_ids}
        queue = deque(n for n in self.node_ids if in_degree[n] == 0)
        order: list[str] = []
        while queue:
            current = queue.popleft()
            order.append(current)
            for index in self.forward[current]:
                target = self.edges[index].target
                in_degree[target] -= 1
                if in_degree[target] == 0:
                    queue.append(target)
        return order

    def ancestors(self) -> dict[str, frozenset[str]]:
        """Every node's strict ancestors over all edges."""
        found: dict[str, frozenset[str]] = {}
        for node in self.node_ids:
            seen: set[str] = set()
            stack = [self.edges[i].source for i in self.reverse[node]]
            while stack:
                current = stack.pop()
                if current not in seen:
                    seen.add(current)
                    stack.extend(self.edges[i].source for i in self.reverse[current])
            found[node] = frozenset(seen - {node})
        return found


def analyse(nodes: Sequence[Node], edges: Sequence[Edge]) -> GraphShape:
    ids = tuple(n.id for n in nodes)
    forward: dict[str, list[int]] = {n: [] for n in ids}
    reverse: dict[str, list[int]] = {n: [] for n in ids}
    for index, edge in enumerate(edges):
        forward[edge.source].append(index)
        reverse[edge.target].append(index)
    back = _back_edges(ids, edges, forward)
    shape = GraphShape(
        node_ids=ids,
        edges=tuple(edges),
        forward={k: tuple(v) for k, v in forward.items()},
        reverse={k: tuple(v) for k, v in reverse.items()},
        back_edges=frozenset(back),
        cycle_nodes=frozenset(),
    )
    return GraphShape(**{**shape.__dict__, "cycle_nodes": _cycle_nodes(shape)})


def _back_edges(
    ids: Sequence[str], edges: Sequence[Edge], forward: dict[str, list[int]]
) -> set[tuple[str, str]]:
    white, gray, black = 0, 1, 2
    color = dict.fromkeys(ids, white)
    back: set[tuple[str, str]] = set()
    for start in ids:
        if color[start] != white:
            continue
        color[start] = gray
        stack = [(start, iter(forward[start]))]
        while stack:
            node, pending = stack[-1]
            advanced = False
            for index in pending:
                target = edges[index].target
                if color[target] == gray:
                    back.add((node, target))
                elif color[target] == white:
                    color[target] = gray
                    stack.append((target, iter(forward[target])))
                    advanced = True
                    break
            if not advanced:
                color[node] = black
                stack.pop()
    return back


def _cycle_nodes(shape: GraphShape) -> frozenset[str]:
    """Nodes on a path from a back edge's target to its source (flowengine's rule)."""
    found: set[str] = set()
    for source, target in shape.back_edges:
        parent: dict[str, str | None] = {target: None}
        visited: set[str] = set()
        queue = deque([target])
        while queue:
            current = queue.popleft()
            if current in visited:
                continue
            visited.add(current)
            if current == source:
                step: str | None = source
                while step is not None:
                    found.add(step)
                    step = parent.get(step)
                break
            for index in shape.forward[current]:
                edge = shape.edges[index]
                if (edge.source, edge.target) in shape.back_edges:
                    continue
                if edge.target not in visited:
                    parent[edge.target] = current
                    queue.append(edge.target)
    return frozenset(found)
