"""What an op's context output says about it in Dagster: the metadata the UI and readers show.

Keys written (values previewed), the port set, the routes activated, a skip and
its reason, loop visits, the skill and its own time, a suspension, and the LLM
calls the op made. ``service.events`` and ``service.inspect`` read these back.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import dagster as dg

from neurocore_dagster.keys import (
    APPROVAL_MESSAGE_METADATA,
    KEYS_WRITTEN_METADATA,
    LLM_CALLS_METADATA,
    LLM_INPUT_TOKENS_METADATA,
    LLM_MODELS_METADATA,
    LLM_OUTPUT_TOKENS_METADATA,
    PORT_METADATA,
    ROUTES_METADATA,
    SKILL_METADATA,
    SKILL_MS_METADATA,
    SKIP_REASON_METADATA,
    SKIPPED_METADATA,
    SUSPENDED_METADATA,
    VISITS_METADATA,
)
from neurocore_dagster.llm.provider import LLMUsage
from neurocore_dagster.plan.model import PlanOp, UnitOp
from neurocore_dagster.runtime.observer import LoopVisit, StepFinished, StepSkipped
from neurocore_dagster.runtime.op_execution import OpOutcome

_PREVIEW_CHARS = 120


def output_metadata(op: PlanOp, outcome: OpOutcome, usage: LLMUsage) -> dict[str, Any]:
    """The metadata of ``op``'s context output, from its outcome and its LLM usage."""
    own = outcome.own
    written = {
        key: _preview(change.value) if change.kind == "set" else change.kind
        for key, change in own.data.items()
    }
    skipped = [r for r in outcome.reports if isinstance(r, StepSkipped) and r.node == op.key]
    metadata: dict[str, Any] = {
        KEYS_WRITTEN_METADATA: dg.MetadataValue.json(written),
        PORT_METADATA: own.port or "",
        ROUTES_METADATA: ", ".join(r.target for r in outcome.routes) or "(none)",
        SKIPPED_METADATA: bool(skipped),
    }
    if skipped:
        metadata[SKIP_REASON_METADATA] = skipped[0].reason
    visits = [dataclasses.asdict(r) for r in outcome.reports if isinstance(r, LoopVisit)]
    if visits:
        metadata[VISITS_METADATA] = dg.MetadataValue.json(visits)
    if isinstance(op, UnitOp):
        metadata[SKILL_METADATA] = f"{op.unit.skill} {op.unit.skill_version}"
        ran = [r for r in outcome.reports if isinstance(r, StepFinished) and r.node == op.unit.key]
        if ran:
            metadata[SKILL_MS_METADATA] = round(ran[-1].duration_ms, 3)
    meta = outcome.context.metadata
    if meta.suspended:
        metadata[SUSPENDED_METADATA] = True
        metadata[APPROVAL_MESSAGE_METADATA] = meta.suspension_reason or ""
    if usage.calls:
        metadata.update(
            {
                LLM_CALLS_METADATA: usage.calls,
                LLM_INPUT_TOKENS_METADATA: usage.input_tokens,
                LLM_OUTPUT_TOKENS_METADATA: usage.output_tokens,
                LLM_MODELS_METADATA: ", ".join(usage.models),
            }
        )
    return metadata


def _preview(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _PREVIEW_CHARS else text[: _PREVIEW_CHARS - 3] + "..."
