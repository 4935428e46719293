"""Offline retrieval (`keyword_search`) and an answer grounded in it (`grounded_answer`)."""

from __future__ import annotations

import re

from flowengine import FlowContext
from neurocore.llm.provider import LLMMessage
from neurocore.skills.base import AsyncSkill, Skill, SkillMeta


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


class KeywordSearch(Skill):
    skill_meta = SkillMeta(
        name="keyword_search",
        version="0.1.0",
        description="Ranks the configured passages by words shared with `query`.",
        consumes=["query"],
        provides=["passages"],
        config_schema={
            "type": "object",
            "properties": {
                "passages": {"type": "array", "items": {"type": "string"}},
                "top_k": {"type": "integer", "default": 2},
            },
            "required": ["passages"],
        },
    )

    def process(self, context: FlowContext) -> FlowContext:
        asked = _words(str(context.get("query", "")))
        ranked = sorted(self.config["passages"], key=lambda p: -len(asked & _words(p)))
        context.set("passages", ranked[: self.config.get("top_k", 2)])
        return context


class GroundedAnswer(AsyncSkill):
    skill_meta = SkillMeta(
        name="grounded_answer",
        version="0.1.0",
        description="Answers `query` from the retrieved `passages` only.",
        requires_llm=True,
        consumes=["query", "passages"],
        provides=["answer"],
    )

    async def process(self, context: FlowContext) -> FlowContext:
        sources = "\n".join(f"- {p}" for p in context.get("passages", []))
        prompt = f"Question: {context.get('query', '')}\nUse only these passages:\n{sources}"
        reply = await self.llm.complete([LLMMessage(role="user", content=prompt)])
        context.set("answer", reply.content)
        return context
