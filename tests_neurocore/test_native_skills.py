"""Skills subclassing the real ``neurocore.skills.base`` classes, with flowengine's results."""

from __future__ import annotations

import asyncio
import copy
from pathlib import Path
from typing import Any

import pytest
from flowengine import FlowContext, GraphExecutor
from flowengine.config.schema import FlowDefinition
from neurocore.skills.base import AsyncSkill, Skill, SkillMeta

from neurocore_dagster import (
    Blueprint,
    SkillRegistry,
    discover_skills,
    execute_blueprint,
    load_blueprint,
)

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ROOT / "tests" / "fixtures" / "neurocore_project"


class Split(Skill):
    skill_meta = SkillMeta(name="split", version="1.0", consumes=["text"], provides=["words"])

    def process(self, context: FlowContext) -> FlowContext:
        words = str(context.get("text", "")).split()
        context.set("words", words)
        context.set("trace", ["split"])
        self.set_output_port(context, "many" if len(words) > 3 else "few")
        return context


class Upper(AsyncSkill):
    skill_meta = SkillMeta(name="upper", version="1.0", consumes=["text"], provides=["upper"])

    async def process(self, context: FlowContext) -> FlowContext:
        await asyncio.sleep(0.01)
        context.set("upper", str(context.get("text")).upper())
        context.get("trace").append("upper")
        return context


class Count(Skill):
    skill_meta = SkillMeta(name="count_words", version="1.0", provides=["count"])

    def process(self, context: FlowContext) -> FlowContext:
        context.set("count", len(context.get("words")))
        context.get("trace").append("count")
        return context


class Few(Skill):
    skill_meta = SkillMeta(name="few", version="1.0", provides=["few"])

    def process(self, context: FlowContext) -> FlowContext:
        context.set("few", True)
        return context


class Join(Skill):
    skill_meta = SkillMeta(name="join", version="1.0", provides=["summary"])

    def process(self, context: FlowContext) -> FlowContext:
        context.set("summary", f"{context.get('upper')}/{context.get('count')}")
        context.get("trace").append("join")
        return context


GRAPH = {
    "name": "native-graph",
    "components": [
        {"name": n, "type": t}
        for n, t in [
            ("split", "split"),
            ("upper", "upper"),
            ("count", "count_words"),
            ("few", "few"),
            ("join", "join"),
        ]
    ],
    "flow": {
        "type": "graph",
        "nodes": [{"id": n, "component": n} for n in ("split", "upper", "count", "few", "join")],
        "edges": [
            {"source": "split", "target": "upper", "port": "many"},
            {"source": "split", "target": "count", "port": "many"},
            {"source": "split", "target": "few", "port": "few"},
            {"source": "upper", "target": "join"},
            {"source": "count", "target": "join"},
        ],
    },
}


def _registry() -> SkillRegistry:
    registry = SkillRegistry()
    for cls in (Split, Upper, Count, Few, Join):
        registry.register(cls)
    return registry


def _flowengine(blueprint: Blueprint, registry: SkillRegistry, data: dict[str, Any]) -> dict:
    components = {c.name: registry.get(c.type)(c.name) for c in blueprint.components}
    for component in components.values():
        component.init({})
    flow = FlowDefinition.model_validate(blueprint.flow.model_dump())
    executor = GraphExecutor(flow.nodes or [], flow.edges or [], components, flow.settings)
    context = FlowContext()
    for key, value in copy.deepcopy(data).items():
        context.set(key, value)
    return asyncio.run(executor.execute_async(context)).data.to_dict()


@pytest.mark.parametrize("text", ["one two three four five", "just two"])
def test_native_graph_equals_flowengine(text: str, instance: Any) -> None:
    blueprint = Blueprint.model_validate(GRAPH)
    registry = _registry()
    assert registry.meta("upper").version == "1.0"
    run = execute_blueprint(blueprint, registry, initial_data={"text": text}, instance=instance)
    assert run.status == "completed", run.error
    expected = _flowengine(blueprint, registry, {"text": text})
    assert run.context.data.to_dict() == expected
    assert ("summary" in expected) == (len(text.split()) > 3)


def test_template_skills_run_on_real_neurocore(instance: Any) -> None:
    """The 3.11 suite's fixture project, now with NeuroCore's own classes."""
    import neurocore

    registry = discover_skills(PROJECT)
    assert issubclass(registry.get("chat"), neurocore.AsyncSkill)
    assert issubclass(registry.get("weave"), neurocore.Skill)  # imports neurocore_ai
    run = execute_blueprint(
        load_blueprint(PROJECT / "blueprints" / "chat.yaml"),
        registry,
        initial_data={"query": "how are you today"},
        instance=instance,
        project_root=PROJECT,
    )
    assert run.status == "completed", run.error
    assert run.context.data.to_dict() == {
        "query": "how are you today",
        "answer": "[offline-echo] how are you today",
        "answer_model": "offline-echo",
        "llm_is_provider": True,
        "shouted": "[OFFLINE-ECHO] HOW ARE YOU TODAY",
        "words": 5,
        "is_async": True,
        "woven": "5 words",
    }
