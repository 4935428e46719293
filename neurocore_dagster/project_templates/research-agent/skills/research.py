"""Offline sources (`bookshelf`) and a cited summary of them (`cited_summary`)."""

from __future__ import annotations

import json

from flowengine import FlowContext
from neurocore.llm.provider import LLMMessage
from neurocore.skills.base import AsyncSkill, Skill, SkillMeta


class Bookshelf(Skill):
    skill_meta = SkillMeta(
        name="bookshelf",
        version="0.1.0",
        description="Returns the configured sources as the search results for `query`.",
        consumes=["query"],
        provides=["sources"],
        config_schema={
            "type": "object",
            "properties": {"sources": {"type": "array", "items": {"type": "object"}}},
            "required": ["sources"],
        },
    )

    def process(self, context: FlowContext) -> FlowContext:
        context.set("sources", list(self.config["sources"]))
        return context


class CitedSummary(AsyncSkill):
    skill_meta = SkillMeta(
        name="cited_summary",
        version="0.1.0",
        description="Summarizes `sources` as an answer to `query`, citing each by title.",
        requires_llm=True,
        consumes=["query", "sources"],
        provides=["summary"],
    )

    async def process(self, context: FlowContext) -> FlowContext:
        prompt = (
            f"Question: {context.get('query', '')}\n"
            f"Sources: {json.dumps(context.get('sources', []))}\n"
            "Answer in a short paragraph and cite sources by title."
        )
        reply = await self.llm.complete([LLMMessage(role="user", content=prompt)])
        context.set("summary", reply.content)
        return context
