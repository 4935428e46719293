"""Names the package reserves in Dagster: op inputs and outputs.

Defined once here so every reader (results, streaming, inspection) and the op
renderer agree on them without importing each other.
"""

from __future__ import annotations

CONTEXT_OUTPUT = "flow_context"
"""An op's context lineage; the next op reads it when its routes are plain."""
SUSPENDED_OUTPUT = "suspended_context"
"""The lineage of a step that suspended the run (nothing reads it, so what follows is skipped)."""
CONTEXT_OUTPUTS = frozenset({CONTEXT_OUTPUT, SUSPENDED_OUTPUT})
"""The outputs that hold an op's lineage: ``final_context`` and reports read either."""
UPSTREAM_INPUT = "upstream"
"""Every op's one fan-in input: the lineages on its incoming routes."""

REPORT_METADATA = "neurocore/report"
"""Metadata key of an event that carries a runtime report: its value is the report's
kind, the other entries are the report's fields (``runtime.observer.report_fields``)."""

APPROVE_COMMAND = "neurocore-dagster runs approve"
"""The CLI command that decides a suspended run, as the run's log spells it for users."""
