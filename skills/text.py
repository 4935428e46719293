"""Example skills for greeting and text statistics (offline, deterministic)."""

from flowengine import FlowContext

from neurocore_dagster import Skill, SkillMeta


class Greet(Skill):
    skill_meta = SkillMeta(
        name="greet",
        version="1.0.0",
        description="Greets the user by name.",
        provides=["greeting"],
        consumes=["user_name"],
        config_schema={
            "type": "object",
            "properties": {
                "greeting": {
                    "type": "string",
                    "default": "Hello",
                    "description": "Word to greet with.",
                },
            },
        },
    )

    def process(self, context: FlowContext) -> FlowContext:
        name = context.get("user_name", "World")
        context.set("greeting", f"{self.config.get('greeting', 'Hello')}, {name}!")
        return context


class Shout(Skill):
    skill_meta = SkillMeta(
        name="shout",
        version="1.0.0",
        description="Upper-cases the greeting.",
        provides=["greeting"],
        consumes=["greeting"],
        config_schema={"type": "object", "properties": {}},
    )

    def process(self, context: FlowContext) -> FlowContext:
        context.set("greeting", str(context.get("greeting", "")).upper())
        return context


class WordCount(Skill):
    skill_meta = SkillMeta(
        name="word_count",
        version="1.0.0",
        description="Counts the words of a text key.",
        provides=["word_count"],
        consumes=["greeting"],
        config_schema={
            "type": "object",
            "properties": {"key": {"type": "string", "default": "greeting"}},
        },
    )

    def process(self, context: FlowContext) -> FlowContext:
        text = str(context.get(self.config.get("key", "greeting"), ""))
        context.set("word_count", len(text.split()))
        return context
