"""Example skills for routing support tickets (keyword rules, no model needed)."""

from flowengine import FlowContext

from neurocore_dagster import Skill, SkillMeta

_BUG_WORDS = ("crash", "error", "bug", "broken", "fails")
_BILLING_WORDS = ("invoice", "refund", "charge", "billing", "price")


def categorize(text: str) -> tuple[str, int]:
    """``bug``, ``billing`` or ``other`` by keywords, and how many keywords matched."""
    text = text.lower()
    bug = sum(word in text for word in _BUG_WORDS)
    billing = sum(word in text for word in _BILLING_WORDS)
    if bug == billing == 0:
        return "other", 0
    if bug >= billing:
        return "bug", bug
    return "billing", billing


class ClassifyTicket(Skill):
    """Sets port ``bug``, ``billing`` or ``other`` and a confidence ``score``."""

    skill_meta = SkillMeta(
        name="classify_ticket",
        version="1.0.0",
        description="Classifies a ticket by keywords and routes it by port.",
        provides=["category", "score"],
        consumes=["ticket"],
        config_schema={"type": "object", "properties": {}},
    )

    def process(self, context: FlowContext) -> FlowContext:
        category, hits = categorize(str(context.get("ticket", "")))
        context.set("category", category)
        context.set("score", min(1.0, 0.4 + 0.3 * hits))
        self.set_output_port(context, category)
        return context


class Handle(Skill):
    """Adds a note for its team to ``notes`` (a list every handler appends to)."""

    skill_meta = SkillMeta(
        name="handle",
        version="1.0.0",
        description="Writes the team's note for the ticket.",
        provides=["notes"],
        consumes=["ticket", "category"],
        config_schema={
            "type": "object",
            "properties": {
                "team": {"type": "string", "description": "Team that takes the ticket."}
            },
            "required": ["team"],
        },
    )

    def process(self, context: FlowContext) -> FlowContext:
        notes = context.get("notes") or []
        notes.append(f"{self.config['team']} team takes: {context.get('ticket', '')}")
        context.set("notes", notes)
        return context


class Escalate(Skill):
    skill_meta = SkillMeta(
        name="escalate",
        version="1.0.0",
        description="Flags a ticket for a human when the classifier is confident.",
        provides=["escalated"],
        consumes=["score"],
        config_schema={"type": "object", "properties": {}},
    )

    def process(self, context: FlowContext) -> FlowContext:
        context.set("escalated", True)
        return context


class Reply(Skill):
    skill_meta = SkillMeta(
        name="reply",
        version="1.0.0",
        description="Drafts the reply from the notes.",
        provides=["reply"],
        consumes=["notes", "escalated"],
        config_schema={
            "type": "object",
            "properties": {"signature": {"type": "string", "default": "The support team"}},
        },
    )

    def process(self, context: FlowContext) -> FlowContext:
        lines = list(context.get("notes") or ["We received your ticket."])
        if context.get("escalated"):
            lines.append("A specialist will contact you today.")
        lines.append(f"-- {self.config.get('signature', 'The support team')}")
        context.set("reply", "\n".join(lines))
        return context


class LoadTicket(Skill):
    """Reads the ticket text from ``file_path`` (set by the inbox file sensor)."""

    skill_meta = SkillMeta(
        name="load_ticket",
        version="1.0.0",
        description="Loads the ticket text from a file.",
        provides=["ticket"],
        consumes=["file_path"],
        config_schema={"type": "object", "properties": {}},
    )

    def process(self, context: FlowContext) -> FlowContext:
        from pathlib import Path

        context.set("ticket", Path(str(context.get("file_path"))).read_text().strip())
        return context


class LoadTicketBatch(Skill):
    """Reads a JSON-lines batch of tickets (one ``{"id", "channel", "text"}`` per line)."""

    skill_meta = SkillMeta(
        name="load_ticket_batch",
        version="1.0.0",
        description="Loads a batch of tickets and checks it holds batch_size of them.",
        provides=["tickets"],
        consumes=["batch_file", "batch_size"],
        config_schema={"type": "object", "properties": {}},
    )

    def process(self, context: FlowContext) -> FlowContext:
        import json
        from pathlib import Path

        lines = Path(str(context.get("batch_file"))).read_text().splitlines()
        tickets = [json.loads(line) for line in lines if line.strip()]
        if len(tickets) != context.get("batch_size"):
            raise ValueError(
                f"batch {context.get('batch_file')} holds {len(tickets)} tickets,"
                f" not the {context.get('batch_size')} its materialization reported"
            )
        context.set("tickets", tickets)
        return context


class TriageBatch(Skill):
    """Counts a batch's tickets by category (the keywords of ``classify_ticket``)."""

    skill_meta = SkillMeta(
        name="triage_batch",
        version="1.0.0",
        description="Counts the tickets of a batch per category and writes a report.",
        provides=["by_category", "triage_report"],
        consumes=["tickets", "channels"],
        config_schema={"type": "object", "properties": {}},
    )

    def process(self, context: FlowContext) -> FlowContext:
        counts: dict[str, int] = {}
        for ticket in context.get("tickets") or []:
            category, _ = categorize(str(ticket.get("text", "")))
            counts[category] = counts.get(category, 0) + 1
        channels = context.get("channels") or {}
        by_channel = ", ".join(f"{n} by {c}" for c, n in sorted(channels.items()))
        by_kind = ", ".join(f"{n} {c}" for c, n in sorted(counts.items()))
        context.set("by_category", counts)
        context.set("triage_report", f"{sum(counts.values())} tickets ({by_channel}): {by_kind}")
        return context
