"""Edge ports a skill never sets are load errors; a condition failing at run time names its line."""

from __future__ import annotations

import string
import textwrap
from pathlib import Path

import dagster as dg
import pytest
from flowengine import FlowContext
from flowengine.agent.meta import ComponentMeta, PortSpec
from hypothesis import given, settings
from hypothesis import strategies as st

from neurocore_dagster import (
    BlueprintError,
    Skill,
    SkillMeta,
    SkillRegistry,
    build_job,
    execute_blueprint,
    load_blueprint,
)

PORTS = ["done", "again"]


class Decide(Skill):
    skill_meta = SkillMeta(name="decide", version="1.0", provides=["n"], ports=PORTS)

    def process(self, context: FlowContext) -> FlowContext:
        context.set("n", context.get("n", 0) + 1)
        self.set_output_port(context, "done" if context.get("n") >= 2 else "again")
        return context


class FlowengineDecide(Skill):
    skill_meta = SkillMeta(name="fe_decide", version="1.0")
    meta = ComponentMeta(name="fe_decide", ports=[PortSpec(name="yes"), PortSpec(name="no")])

    def process(self, context: FlowContext) -> FlowContext:
        self.set_output_port(context, "yes")
        return context


class Free(Skill):
    skill_meta = SkillMeta(name="free", version="1.0")

    def process(self, context: FlowContext) -> FlowContext:
        return context


class Note(Skill):
    skill_meta = SkillMeta(name="note", version="1.0", provides=["noted"])

    def process(self, context: FlowContext) -> FlowContext:
        context.set("noted", True)
        return context


def _registry() -> SkillRegistry:
    registry = SkillRegistry()
    for cls in (Decide, FlowengineDecide, Free, Note):
        registry.register(cls)
    return registry


REGISTRY = _registry()


def _graph(skill: str, port: str) -> str:
    return textwrap.dedent(f"""\
        name: ports
        components:
          - {{name: a, type: {skill}}}
          - {{name: b, type: note}}
        flow:
          type: graph
          nodes:
            - {{id: first, component: a}}
            - {{id: second, component: b}}
          edges:
            - source: first
              target: second
              port: "{port}"
        """)


def _write(tmp_path: Path, text: str, name: str = "flow.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


ports = st.text(string.ascii_lowercase + "_", min_size=1, max_size=10)


@settings(max_examples=25)
@given(port=ports)
def test_a_port_the_skill_never_sets_is_a_located_load_error(
    tmp_path_factory: pytest.TempPathFactory, port: str
) -> None:
    path = _write(tmp_path_factory.mktemp("ports"), _graph("decide", port))
    blueprint = load_blueprint(path)
    if port in PORTS:
        build_job(blueprint, REGISTRY, project_root=path.parent)
        return
    with pytest.raises(BlueprintError) as caught:
        build_job(blueprint, REGISTRY, project_root=path.parent)
    [found] = caught.value.issues
    assert found.type == "edge.unknown_port"
    assert found.file == str(path) and found.line == 13
    assert found.loc == ("flow", "edges", 0, "port")
    assert found.expected is not None and "again, done" in found.expected
    assert repr(port) in found.msg and "'decide'" in found.msg


APPROVAL_PORTS = ("approved", "rejected")


@settings(max_examples=25)
@given(port=st.one_of(st.sampled_from(APPROVAL_PORTS), ports))
def test_the_approval_gate_routes_on_its_two_ports_only(
    tmp_path_factory: pytest.TempPathFactory, port: str
) -> None:
    path = _write(tmp_path_factory.mktemp("gate"), _graph("approval", port))
    blueprint = load_blueprint(path)
    if port in APPROVAL_PORTS:
        build_job(blueprint, REGISTRY, project_root=path.parent)
        return
    with pytest.raises(BlueprintError) as caught:
        build_job(blueprint, REGISTRY, project_root=path.parent)
    [found] = caught.value.issues
    assert found.type == "edge.unknown_port" and found.line == 13
    assert found.expected is not None and "approved, rejected" in found.expected


def test_flowengine_meta_ports_are_declared_ports(tmp_path: Path) -> None:
    build_job(load_blueprint(_write(tmp_path, _graph("fe_decide", "yes"))), REGISTRY)
    with pytest.raises(BlueprintError, match=r"edge\.unknown_port"):
        build_job(load_blueprint(_write(tmp_path, _graph("fe_decide", "maybe"))), REGISTRY)


def test_a_skill_declaring_no_ports_may_route_on_any(tmp_path: Path) -> None:
    build_job(load_blueprint(_write(tmp_path, _graph("free", "anything_at_all"))), REGISTRY)


SEQUENTIAL = """\
name: cond
components:
  - {name: a, type: note}
  - {name: b, type: note}
flow:
  type: sequential
  steps:
    - component: a
    - component: b
      condition: context.data.count > 1
"""

GRAPH = """\
name: cond-graph
components:
  - {name: a, type: note}
  - {name: b, type: note}
flow:
  type: graph
  settings: {on_condition_error: fail}
  nodes:
    - {id: first, component: a}
    - {id: second, component: b}
  edges:
    - {source: first, target: second, condition: context.data.count > 1}
"""

LOOP = """\
name: cond-loop
components:
  - {name: a, type: decide}
  - {name: b, type: note}
flow:
  type: graph
  settings: {on_condition_error: fail, max_iterations: 5}
  nodes:
    - {id: first, component: a}
    - {id: second, component: b}
  edges:
    - {source: first, target: first, port: again}
    - {source: first, target: second, port: done, condition: context.data.count > 1}
"""


@pytest.mark.parametrize(
    ("text", "line", "loc"),
    [
        (SEQUENTIAL, 10, "flow.steps.1.condition"),
        (GRAPH, 12, "flow.edges.0.condition"),
        (LOOP, 13, "flow.edges.1.condition"),
    ],
    ids=["step", "edge", "loop-edge"],
)
def test_a_condition_failing_at_run_time_names_file_and_line(
    tmp_path: Path, instance: dg.DagsterInstance, text: str, line: int, loc: str
) -> None:
    path = _write(tmp_path, text)
    run = execute_blueprint(
        load_blueprint(path), REGISTRY, instance=instance, initial_data={"count": "many"}
    )
    assert run.status == "failed"
    assert run.error is not None
    assert f"{path}:{line} ({loc})" in run.error, run.error
    assert "'>' not supported" in run.error
