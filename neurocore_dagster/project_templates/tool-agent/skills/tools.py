"""`local_tool` runs a named tool; `explain_result` has the LLM put the result in words."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flowengine import FlowContext
from neurocore.llm.provider import LLMMessage
from neurocore.skills.base import AsyncSkill, Skill, SkillMeta


def _word_count(text: str = "") -> int:
    return len(text.split())


def _add(a: float = 0, b: float = 0) -> float:
    return a + b


TOOLS: dict[str, Callable[..., Any]] = {"word_count": _word_count, "add": _add}


class LocalTool(Skill):
    skill_meta = SkillMeta(
        name="local_tool",
        version="0.1.0",
        description="Calls one tool with its configured arguments, updated by `tool_arguments`.",
        consumes=["tool_arguments"],
        provides=["tool_result"],
        config_schema={
            "type": "object",
            "properties": {
                "tool": {"type": "string", "enum": sorted(TOOLS)},
                "arguments": {"type": "object", "default": {}},
            },
            "required": ["tool"],
        },
    )

    def process(self, context: FlowContext) -> FlowContext:
        # context.get hands a dict over as flowengine's DotDict, which has items() only
        supplied = dict(context.get("tool_arguments", {}).items())
        arguments = {**self.config.get("arguments", {}), **supplied}
        context.set("tool_result", TOOLS[self.config["tool"]](**arguments))
        return context


class ExplainResult(AsyncSkill):
    skill_meta = SkillMeta(
        name="explain_result",
        version="0.1.0",
        description="Says in one sentence what `tool_result` means.",
        requires_llm=True,
        consumes=["tool_result"],
        provides=["explanation"],
    )

    async def process(self, context: FlowContext) -> FlowContext:
        prompt = f"A tool returned {context.get('tool_result')!r}. Say what it means in a sentence."
        reply = await self.llm.complete([LLMMessage(role="user", content=prompt)])
        context.set("explanation", reply.content)
        return context
