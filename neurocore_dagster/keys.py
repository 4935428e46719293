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

REPORT_METADATA = "neurocore/report"
"""Metadata key of an event that carries a runtime report: its value is the report's
kind, the other entries are the report's fields (``runtime.observer.report_fields``)."""

APPROVE_COMMAND = "neurocore-dagster runs approve"
"""The CLI command that decides a suspended run, as the run's log spells it for users."""

UPSTREAM_ASSET_TAG = "neurocore/upstream_asset"
"""On a run an ``asset_sensor`` started: the asset key (``raw/tickets``) that materialized.
Written: dagster_layer.asset_sensor. Read: users' run filters in the UI."""
UPSTREAM_RUN_TAG = "neurocore/upstream_run"
"""On a run an ``asset_sensor`` started: the run id of the materialization that started it
(empty for a materialization reported outside a run). Written: dagster_layer.asset_sensor."""
UPSTREAM_EVENT_TAG = "neurocore/upstream_storage_id"
"""On a run an ``asset_sensor`` started: the materialization's event storage id (also in
its run key), which names one materialization in the instance. Written: asset_sensor."""

NO_CODE_LOCATION_TAG = "neurocore/no_code_location"
"""On a run started by the CLI or Python that no code location serves (a blueprint
built in memory): why, so the UI cannot re-execute it (``runs resume`` can). Runs a
location serves carry Dagster's own ``dagster/code_location`` tag instead."""
