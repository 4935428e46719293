"""Skills every project has: the human ``approval`` gate."""

from __future__ import annotations

from typing import Any

from flowengine import FlowContext

from neurocore_dagster.errors import ExecutionError
from neurocore_dagster.skills.base import Skill, SkillMeta
from neurocore_dagster.skills.decisions import check_resume_data, in_runtime, take_decision


class ApprovalSkill(Skill):
    """Pause the run until a person decides; continue or fail on the decision.

    On Dagster it passes only on a decision delivered by resume/approve (see
    :mod:`neurocore_dagster.skills.decisions`); context data, such as an
    ``approval`` or ``resume_data`` key in the run's initial data, never opens
    it. (Run by flowengine directly, it reads flowengine's ``resume_data``.)
    Without a decision it suspends the run at this step. With one
    (``{"approved": bool, "note": str, "by": str}``) it records it under
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
        ports=["approved", "rejected"],
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
        record = take_decision() if in_runtime() else _flowengine_resume_data(context)
        if record is None or "approved" not in record:
            message = self.config.get("message") or f"Approval required at {self.name!r}"
            context.suspend(node_id=self.name, reason=message)
            return context
        check_resume_data(record, f"approval gate {self.name!r}")
        context.set("approval", record)
        if context.has("resume_data"):
            context.delete("resume_data")
        approved = record["approved"]
        self.set_output_port(context, "approved" if approved else "rejected")
        if not approved and self.config.get("require", True):
            note = record.get("note") or ""
            raise ExecutionError(
                f"rejected at approval gate {self.name!r}" + (f": {note}" if note else "")
            )
        return context


def _flowengine_resume_data(context: FlowContext) -> dict[str, Any] | None:
    """flowengine's ``resume_data`` key, read only when flowengine runs the skill directly."""
    decision = context.get("resume_data")
    if decision is None or not hasattr(decision, "get"):
        return None
    return decision.to_dict() if hasattr(decision, "to_dict") else dict(decision)


BUILTIN_SKILLS: tuple[type, ...] = (ApprovalSkill,)
