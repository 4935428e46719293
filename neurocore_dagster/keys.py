"""Names the package reserves in Dagster: op inputs and outputs, and the no-code-location run tag.

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

NO_CODE_LOCATION_TAG = "neurocore/no_code_location"
"""On a run started by the CLI or Python that no code location serves (a blueprint
built in memory): why, so the UI cannot re-execute it (``runs resume`` can). Runs a
location serves carry Dagster's own ``dagster/code_location`` tag instead."""
