"""What an op's context output says about it in Dagster: the metadata the UI and readers show.

Keys written (values previewed), the port set, the routes activated, a skip and
its reason, loop visits, the skill and its own time, a suspension, and the LLM
calls the op made. ``service.events`` and ``service.inspect`` read these back.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import dagster as dg

from neurocore_dagster.llm.provider import LLMUsage
from neurocore_dagster.plan.model import PlanOp
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
        "keys_written": dg.MetadataValue.json(written),
        "port": own.port or "",
        "routes_activated": ", ".join(r.target for r in outcome.routes) or "(none)",
        "skipped": bool(skipped),
    }
    if skipped:
        metadata["skip_reason"] = skipped[0].reason
    visits = [dataclasses.asdict(r) for r in outcome.reports if isinstance(r, LoopVisit)]
    if visits:
        metadata["visits"] = dg.MetadataValue.json(visits)
    if op.kind in ("step", "node"):
        metadata["skill"] = f"{op.unit.skill} {op.unit.skill_version}"
        ran = [r for r in outcome.reports if isinstance(r, StepFinished) and r.node == op.unit.key]
        if ran:
            metadata["skill_ms"] = round(ran[-1].duration_ms, 3)
    meta = outcome.context.metadata
    if meta.suspended:
        metadata["suspended"] = True
        metadata["approval_message"] = meta.suspension_reason or ""
    if usage.calls:
        metadata.update(
            {
                "llm_calls": usage.calls,
                "llm_input_tokens": usage.input_tokens,
                "llm_output_tokens": usage.output_tokens,
                "llm_models": ", ".join(usage.models),
            }
        )
    return metadata


def _preview(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _PREVIEW_CHARS else text[: _PREVIEW_CHARS - 3] + "..."
