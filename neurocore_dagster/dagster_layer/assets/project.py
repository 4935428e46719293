"""A project's assets: keys unique across blueprints, specs and checks for Definitions.

Of two blueprint files that declare one asset key, the later (in sorted path order)
is broken with an error naming both files, as with a job name clash.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from neurocore_dagster.blueprint.asset_checks import AssetCheck
from neurocore_dagster.blueprint.checks import step_op_keys
from neurocore_dagster.blueprint.model import Blueprint
from neurocore_dagster.dagster_layer.assets.materialize import materialize_definition
from neurocore_dagster.dagster_layer.assets.specs import (
    BlueprintAsset,
    JobAssets,
    asset_specs,
    check_specs,
    job_assets,
)
from neurocore_dagster.dagster_layer.storage.results import final_context
from neurocore_dagster.errors import BlueprintError, BlueprintIssue, issue
from neurocore_dagster.keys import ASSET_CHECKS_OP_PREFIX
from neurocore_dagster.runtime.asset_checks import evaluate_asset_check
from neurocore_dagster.skills.registry import SkillRegistry


@dataclass(frozen=True)
class BlueprintJob:
    """What the asset layer needs of a loaded blueprint file."""

    shown: str
    blueprint: Blueprint
    job: dg.JobDefinition

    @property
    def job_name(self) -> str:
        return self.job.name


def asset_key_clashes(items: Iterable[BlueprintJob]) -> dict[str, BlueprintError]:
    """The files (by name shown) whose asset keys an earlier file already declared."""
    owners: dict[dg.AssetKey, str] = {}
    broken: dict[str, BlueprintError] = {}
    for item in items:
        declared = job_assets(item.blueprint, item.job_name).assets
        found = [_clash(item, a, owners[a.key]) for a in declared if a.key in owners]
        found += _own_clashes(item, declared)
        if found:
            broken[item.shown] = BlueprintError(found)
            continue
        owners.update((a.key, item.shown) for a in declared)
    return broken


def _own_clashes(item: BlueprintJob, declared: Iterable[BlueprintAsset]) -> list[BlueprintIssue]:
    """Two outputs of one blueprint whose keys meet once defaults are resolved
    (``reply`` by default ``<job>/reply``, and another output's explicit key)."""
    first: dict[dg.AssetKey, str] = {}
    found = []
    for asset in declared:
        if asset.key in first:
            found.append(
                item.blueprint.source.locate(
                    issue(
                        "asset.duplicate_key",
                        f"outputs {first[asset.key]!r} and {asset.output!r} both become asset "
                        f"{asset.key.to_user_string()!r} (the default key is "
                        f"{item.job_name}/<output key>)",
                        ("outputs", asset.output, "asset"),
                        file=item.shown,
                        input=asset.key.to_user_string(),
                        expected="one asset key per output: set asset.key",
                    )
                )
            )
        first.setdefault(asset.key, asset.output)
    return found


def _clash(item: BlueprintJob, asset: BlueprintAsset, first: str) -> BlueprintIssue:
    loc = ("outputs", asset.output, "asset", "key" if asset.decl.key else "")
    return item.blueprint.source.locate(
        issue(
            "asset.key_clash",
            f"blueprints {first} and {item.shown} both declare asset "
            f"{asset.key.to_user_string()!r}",
            tuple(p for p in loc if p),
            file=item.shown,
            input=asset.key.to_user_string(),
            expected="an asset key no other blueprint of the project declares",
        )
    )


def project_assets(
    items: Iterable[BlueprintJob], registry: SkillRegistry, project_root: Path
) -> tuple[list[dg.AssetsDefinition], list[dg.AssetChecksDefinition]]:
    """Every loaded blueprint's assets (materialized by running its job, see
    :mod:`.materialize`) and, where it declares checks, its checks."""
    specs: list[dg.AssetsDefinition] = []
    checks: list[dg.AssetChecksDefinition] = []
    for item in items:
        assets = job_assets(item.blueprint, item.job_name)
        if not assets:
            continue
        found = asset_specs(assets, writers(item.blueprint, registry))
        specs.append(materialize_definition(found, item.job, item.blueprint, project_root))
        definition = asset_checks_definition(assets)
        if definition is not None:
            checks.append(definition)
    return specs, checks


def writers(blueprint: Blueprint, registry: SkillRegistry) -> dict[str, str]:
    """For each declared output, the nodes whose skill declares it in ``provides``.

    A skill may write keys it does not declare, so an output no skill declares is
    "not known statically" (the run's materializations name the node that wrote it).
    """
    flow = blueprint.flow
    if flow.type == "graph":
        places = [(n.id, n.component) for n in flow.nodes or []]
    else:
        components = [s.component for s in flow.steps or []]
        places = list(zip(step_op_keys(components), components, strict=True))
    found: dict[str, list[str]] = {}
    for place, name in places:
        skill = blueprint.component(name).type
        provides = registry.meta(skill).provides if skill in registry else []
        for key in provides:
            found.setdefault(key, []).append(f"{place} ({skill})")
    return {
        output: ", ".join(found[output])
        if output in found
        else "not known statically (no skill declares it in provides)"
        for output in blueprint.outputs
    }


def asset_checks_definition(assets: JobAssets) -> dg.AssetChecksDefinition | None:
    """The blueprint's checks as Dagster asset checks, so the UI lists them.

    The blueprint's job evaluates them on every run that writes the asset. Executed
    on their own (the UI's "Execute"), they evaluate the value in the final context
    of the run that last materialized the asset; never materialized, they fail
    saying which job to launch.
    """
    specs = list(check_specs(assets))
    if not specs:
        return None
    by_key = {
        dg.AssetCheckKey(a.key, c.check_name): (a, c) for a in assets.assets for c in a.checks
    }

    @dg.multi_asset_check(
        name=ASSET_CHECKS_OP_PREFIX + assets.job_name,
        specs=specs,
        can_subset=True,
        description=f"Checks of the assets job {assets.job_name} writes",
    )
    # No annotation on `context`: Dagster inspects it and cannot read a postponed (string) one.
    def recheck(context) -> Iterator[dg.AssetCheckResult]:  # type: ignore[no-untyped-def]
        for key in context.selected_asset_check_keys:
            asset, check = by_key[key]
            yield _recheck(context.instance, asset, check, assets.job_name)

    return recheck


def _recheck(
    instance: dg.DagsterInstance, asset: BlueprintAsset, check: AssetCheck, job_name: str
) -> dg.AssetCheckResult:
    severity = dg.AssetCheckSeverity.ERROR if check.is_blocking else dg.AssetCheckSeverity.WARN
    records = instance.fetch_materializations(asset.key, limit=1).records
    if not records:
        return dg.AssetCheckResult(
            asset_key=asset.key,
            check_name=check.check_name,
            passed=False,
            severity=severity,
            description=f"never materialized: launch job {job_name} to write it",
        )
    run_id = records[0].run_id
    outcome = evaluate_asset_check(check, asset.output, final_context(run_id, instance=instance))
    return dg.AssetCheckResult(
        asset_key=asset.key,
        check_name=check.check_name,
        passed=outcome.passed,
        severity=severity,
        description=f"{outcome.description} (in the final context of run {run_id})",
        metadata={"result": outcome.description, "run_id": run_id, **outcome.details},
    )
