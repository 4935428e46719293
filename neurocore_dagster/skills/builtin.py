"""Skills every project has: the human ``approval`` gate."""

from __future__ import annotations

from flowengine import FlowContext

from neurocore_dagster.errors import ExecutionError
from neurocore_dagster.skills.base import Skill, SkillMeta


class ApprovalSkill(Skill):
    """Pause the run until a person decides; continue or fail on the decision.

    Without a decision in ``resume_data`` it suspends the run at this step. With
    one (``{"approved": bool, "note": str, "by": str}``) it records it under
    ``approval`` and, when rejected and ``require`` is true (the default), fails.
    As a graph node it sets the port ``approved`` or ``rejected``.
    """

    skill_meta = SkillMeta(
        name="approval",
        version="0.1.0",
        description="Pause the run and wait for a human approval decision.",
        author="neurocore-dagster",
        provides=["approval"],
        consumes=["resume_data"],
        config_schema={
            "type": "object",
            "properties": {
                "message": {"type": "string", "description": "Prompt shown to the approver."},
                "require": {
                    "type": "boolean",
                    "default": True,
                    "description": "If true, a rejection fails the run.",
                },
            },
            "additionalProperties": False,
        },
        tags=["human-in-the-loop", "control", "builtin"],
    )

    def process(self, context: FlowContext) -> FlowContext:
        decision = context.get("resume_data")
        if decision is None or not hasattr(decision, "get") or "approved" not in decision:
            message = self.config.get("message") or f"Approval required at {self.name!r}"
            context.suspend(node_id=self.name, reason=message)
            return context
        record = decision.to_dict() if hasattr(decision, "to_dict") else dict(decision)
        context.set("approval", record)
        context.delete("resume_data")
        approved = bool(record.get("approved"))
        self.set_output_port(context, "approved" if approved else "rejected")
        if not approved and self.config.get("require", True):
            note = record.get("note") or ""
            raise ExecutionError(
                f"rejected at approval gate {self.name!r}" + (f": {note}" if note else "")
            )
        return context


BUILTIN_SKILLS: tuple[type, ...] = (ApprovalSkill,)
