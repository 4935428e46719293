"""Edge ports a node's skill can never set are refused when the blueprint is built.

An edge with ``port: X`` is active only when its source node's skill called
``set_output_port(context, "X")``. A skill may declare the ports it sets:
``SkillMeta(ports=[...])``, or flowengine's class attribute ``meta``
(``ComponentMeta(ports=[PortSpec(name=...)])``). When it declares them, an edge
naming another port would never be taken (a typo, or a port renamed in the
skill), so it is a located error listing the declared ports. A skill that
declares none is not checked: it may set any port.
"""

from __future__ import annotations

from neurocore_dagster.blueprint.model import Blueprint
from neurocore_dagster.errors import BlueprintIssue, issue
from neurocore_dagster.skills.base import declared_ports
from neurocore_dagster.skills.registry import SkillRegistry


def port_issues(blueprint: Blueprint, registry: SkillRegistry) -> list[BlueprintIssue]:
    """One located issue per edge whose port its source node's skill declares it never sets."""
    nodes = {node.id: node for node in blueprint.flow.nodes or []}
    found = []
    for index, edge in enumerate(blueprint.flow.edges or []):
        node = nodes.get(edge.source)
        if edge.port is None or node is None:
            continue
        component = blueprint.component(node.component)
        if component.type not in registry:
            continue  # reported as an unknown skill
        ports = declared_ports(registry.get(component.type))
        if ports is None or edge.port in ports:
            continue
        found.append(
            blueprint.source.locate(
                issue(
                    "edge.unknown_port",
                    f"edge {edge.source} -> {edge.target} waits for port {edge.port!r}, which "
                    f"skill {component.type!r} of node {edge.source!r} never sets",
                    ("flow", "edges", index, "port"),
                    input=edge.port,
                    expected=f"a port {component.type!r} declares: {', '.join(sorted(ports))}",
                )
            )
        )
    return found
