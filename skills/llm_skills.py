"""An example skill that needs an LLM (``requires_llm=True``: it gets ``self.llm``)."""

from flowengine import FlowContext

from neurocore_dagster import AsyncSkill, SkillMeta


class Summarize(AsyncSkill):
    skill_meta = SkillMeta(
        name="summarize",
        version="1.0.0",
        description="Summarizes a text key with the project's LLM.",
        provides=["summary"],
        consumes=["ticket"],
        requires_llm=True,
        config_schema={
            "type": "object",
            "properties": {
                "key": {
                    "type": "string",
                    "default": "ticket",
                    "description": "Context key holding the text.",
                },
                "max_tokens": {
                    "type": "integer",
                    "default": 64,
                    "description": "Longest summary, in tokens.",
                },
            },
        },
    )

    async def process(self, context: FlowContext) -> FlowContext:  # type: ignore[override]
        text = str(context.get(self.config.get("key", "ticket"), ""))
        response = await self.llm.complete(
            [{"role": "user", "content": text}],
            system="Summarize the user's text in one sentence.",
            max_tokens=self.config.get("max_tokens", 64),
        )
        context.set("summary", response.content)
        return context
