"""`chat`: sends `query` to the project's LLM and stores the reply as `answer`."""

from __future__ import annotations

from flowengine import FlowContext
from neurocore.llm.provider import LLMMessage
from neurocore.skills.base import AsyncSkill, SkillMeta


class Chat(AsyncSkill):
    skill_meta = SkillMeta(
        name="chat",
        version="0.1.0",
        description="Answers `query` with the LLM set in neurocore.yaml.",
        requires_llm=True,
        consumes=["query"],
        provides=["answer"],
        config_schema={
            "type": "object",
            "properties": {
                "system": {"type": "string", "description": "Instructions for the model."}
            },
        },
    )

    async def process(self, context: FlowContext) -> FlowContext:
        question = str(context.get("query", ""))
        reply = await self.llm.complete(
            [LLMMessage(role="user", content=question)], system=self.config.get("system")
        )
        context.set("answer", reply.content)
        return context
