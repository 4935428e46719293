"""`debater`: one voice of the debate; its role comes from its component's config."""

from __future__ import annotations

from flowengine import FlowContext
from neurocore.llm.provider import LLMMessage
from neurocore.skills.base import AsyncSkill, SkillMeta


class Debater(AsyncSkill):
    skill_meta = SkillMeta(
        name="debater",
        version="0.1.0",
        description="Speaks to the topic and to what the previous speaker said.",
        requires_llm=True,
        consumes=["topic", "proposal", "critique"],
        provides=["proposal", "critique", "verdict"],
        config_schema={
            "type": "object",
            "properties": {
                "role": {"type": "string", "description": "How this voice should argue."},
                "reply_to": {"type": "string", "description": "Context key it answers."},
                "writes": {"type": "string", "description": "Context key it fills."},
            },
            "required": ["role", "reply_to", "writes"],
        },
    )

    async def process(self, context: FlowContext) -> FlowContext:
        lines = [f"Topic: {context.get('topic', '')}"]
        if self.config["reply_to"] != "topic":
            heard = context.get(self.config["reply_to"], "")
            lines.append(f"{self.config['reply_to'].capitalize()}: {heard}")
        reply = await self.llm.complete(
            [LLMMessage(role="user", content="\n".join(lines))], system=self.config["role"]
        )
        context.set(self.config["writes"], reply.content)
        return context
