"""The asset specs and asset check specs of one blueprint (``outputs.<key>.asset``).

Defaults that need the job name are resolved here: an asset's key defaults to
``<job name>/<output key>`` and its group to the job name. Package-owned metadata
(blueprint, job, output key) is added after what the blueprint writes, so a
blueprint cannot remove it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import dagster as dg

from neurocore_dagster.blueprint.asset_checks import AssetCheck
from neurocore_dagster.blueprint.assets import AssetDecl, key_parts
from neurocore_dagster.blueprint.model import Blueprint
from neurocore_dagster.keys import (
    ASSET_BLUEPRINT_KEY,
    ASSET_JOB_KEY,
    ASSET_OUTPUT_KEY,
    ASSET_VERSION_KEY,
    ASSET_WRITERS_KEY,
    CHECK_KIND_KEY,
)


@dataclass(frozen=True)
class BlueprintAsset:
    """One declared output as an asset, its defaults resolved."""

    output: str
    key: dg.AssetKey
    group: str
    decl: AssetDecl
    description: str | None

    @property
    def checks(self) -> tuple[AssetCheck, ...]:
        return tuple(self.decl.checks)


@dataclass(frozen=True)
class JobAssets:
    """The assets one blueprint's job writes (empty for a blueprint without ``asset:``)."""

    blueprint: str
    version: str
    job_name: str
    assets: tuple[BlueprintAsset, ...]

    def __bool__(self) -> bool:
        return bool(self.assets)


def job_assets(blueprint: Blueprint, job_name: str) -> JobAssets:
    """The blueprint's declared outputs that are assets, with defaults resolved."""
    found = []
    for output, spec in blueprint.outputs.items():
        decl = spec.asset
        if decl is None:
            continue
        parts = key_parts(decl.key) if decl.key is not None else (job_name, output)
        found.append(
            BlueprintAsset(
                output=output,
                key=dg.AssetKey(list(parts)),
                group=decl.group or job_name,
                decl=decl,
                description=decl.description or spec.description,
            )
        )
    return JobAssets(blueprint.name, blueprint.version, job_name, tuple(found))


def asset_specs(assets: JobAssets, writers: dict[str, str]) -> list[dg.AssetSpec]:
    """A spec per asset; ``writers`` maps an output key to the nodes that write it."""
    return [
        dg.AssetSpec(
            key=asset.key,
            description=asset.description,
            group_name=asset.group,
            owners=list(asset.decl.owners),
            tags=dict(asset.decl.tags),
            kinds=set(asset.decl.kinds),
            deps=[dg.AssetKey(list(key_parts(d))) for d in asset.decl.deps],
            metadata={
                ASSET_BLUEPRINT_KEY: assets.blueprint,
                ASSET_VERSION_KEY: assets.version,
                ASSET_JOB_KEY: assets.job_name,
                ASSET_OUTPUT_KEY: asset.output,
                ASSET_WRITERS_KEY: writers.get(asset.output, "not known statically"),
            },
        )
        for asset in assets.assets
    ]


def check_specs(assets: JobAssets) -> Iterator[dg.AssetCheckSpec]:
    for asset in assets.assets:
        for check in asset.checks:
            yield dg.AssetCheckSpec(
                name=check.check_name,
                asset=asset.key,
                description=check.option("description") or _describe(check),
                blocking=check.is_blocking,
                metadata={ASSET_JOB_KEY: assets.job_name, CHECK_KIND_KEY: check.kind},
            )


def _describe(check: AssetCheck) -> str:
    if check.kind == "condition":
        assert check.condition is not None
        return f"condition: {check.condition.expression}"
    return {
        "present": "the output is in the run's context and not None",
        "not_empty": "the output is not None, an empty string, list or mapping",
        "json_schema": "the output is valid under its JSON Schema",
    }[check.kind]
