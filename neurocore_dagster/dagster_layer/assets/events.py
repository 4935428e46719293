"""What an op reports about the assets it wrote: a materialization per asset whose key
its own delta set or changed, then each of that asset's check evaluations.

An op that did not run (a false condition, an inactive branch) has no delta, so it
records nothing; an op after an approval gate does not run until the run is
resumed, so a suspended run records only what was written before the gate.
A failed blocking check has ERROR severity and Dagster fails the op after it has
reported, so nothing downstream runs; a non-blocking one is a WARN evaluation.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import dagster as dg

from neurocore_dagster.dagster_layer.assets.specs import BlueprintAsset, JobAssets
from neurocore_dagster.keys import ASSET_BLUEPRINT_KEY, ASSET_NODE_KEY, ASSET_VERSION_KEY
from neurocore_dagster.runtime.asset_checks import evaluate_asset_check, output_value
from neurocore_dagster.runtime.op_execution import OpOutcome

PREVIEW_CHARS = 200
"""Longest preview of a value in a materialization's metadata."""

AssetEvent = dg.AssetMaterialization | dg.AssetCheckEvaluation


def asset_events(
    assets: JobAssets, op_key: str, outcome: OpOutcome, run_id: str
) -> Iterator[AssetEvent]:
    """The events of every asset ``outcome``'s own delta wrote (see the module)."""
    for asset in assets.assets:
        change = outcome.own.data.get(asset.output)
        if change is None or change.kind == "delete":
            continue
        value = output_value(outcome.context, asset.output)
        yield dg.AssetMaterialization(
            asset_key=asset.key,
            description=f"{asset.output!r} written by {op_key!r}",
            metadata=_metadata(assets, op_key, value, run_id),
        )
        yield from _check_events(asset, outcome)


def _check_events(asset: BlueprintAsset, outcome: OpOutcome) -> Iterator[dg.AssetCheckEvaluation]:
    for check in asset.checks:
        result = evaluate_asset_check(check, asset.output, outcome.context)
        yield dg.AssetCheckEvaluation(
            asset_key=asset.key,
            check_name=check.check_name,
            passed=result.passed,
            description=result.description,
            metadata={"result": result.description, **result.details},
            severity=dg.AssetCheckSeverity.ERROR
            if check.is_blocking
            else dg.AssetCheckSeverity.WARN,
            blocking=check.is_blocking,
        )


def _metadata(assets: JobAssets, op_key: str, value: Any, run_id: str) -> dict[str, Any]:
    text = value if isinstance(value, str) else json.dumps(value, default=repr, ensure_ascii=False)
    preview = text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 3] + "..."
    return {
        "preview": preview,
        "type": _json_type(value),
        "size_bytes": len(json.dumps(value, default=repr).encode()),
        "run_id": run_id,
        ASSET_BLUEPRINT_KEY: assets.blueprint,
        ASSET_VERSION_KEY: assets.version,
        ASSET_NODE_KEY: op_key,
    }


def _json_type(value: Any) -> str:
    """The JSON Schema type name of ``value`` (as ``outputs.<key>.type`` spells types)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__
