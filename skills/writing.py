"""Example skills for a draft-review loop (deterministic stand-ins for an LLM)."""

from flowengine import FlowContext

from neurocore_dagster import Skill, SkillMeta


class Draft(Skill):
    skill_meta = SkillMeta(
        name="draft",
        version="1.0.0",
        description="Writes (or improves) a draft about the topic.",
        provides=["draft", "revisions"],
        consumes=["topic", "feedback"],
        config_schema={"type": "object", "properties": {}},
    )

    def process(self, context: FlowContext) -> FlowContext:
        revisions = (context.get("revisions") or 0) + 1
        draft = f"{context.get('topic', 'Untitled')}: draft {revisions}"
        if context.get("feedback"):
            draft += f" (addressed: {context.get('feedback')})"
        context.set("draft", draft)
        context.set("revisions", revisions)
        return context


class Review(Skill):
    """Port ``revise`` until the draft has had ``min_revisions``, then ``approve``."""

    skill_meta = SkillMeta(
        name="review",
        version="1.0.0",
        description="Reviews the draft and asks for another revision or approves it.",
        provides=["feedback"],
        consumes=["draft", "revisions"],
        config_schema={
            "type": "object",
            "properties": {
                "min_revisions": {
                    "type": "integer",
                    "default": 3,
                    "description": "Revisions needed before approval.",
                }
            },
        },
    )

    def process(self, context: FlowContext) -> FlowContext:
        if (context.get("revisions") or 0) < self.config.get("min_revisions", 3):
            context.set("feedback", f"tighten revision {context.get('revisions')}")
            self.set_output_port(context, "revise")
        else:
            self.set_output_port(context, "approve")
        return context


class Publish(Skill):
    skill_meta = SkillMeta(
        name="publish",
        version="1.0.0",
        description="Publishes the approved draft.",
        provides=["published"],
        consumes=["draft"],
        config_schema={"type": "object", "properties": {}},
    )

    def process(self, context: FlowContext) -> FlowContext:
        context.set("published", context.get("draft"))
        return context
