"""Assets as the CLI prints them: a project's asset graph (``list``) and which node of
a blueprint writes which asset (``explain``)."""

from __future__ import annotations

import dagster as dg

from neurocore_dagster.blueprint.model import Blueprint
from neurocore_dagster.dagster_layer.assets.project import writers
from neurocore_dagster.dagster_layer.assets.specs import job_assets
from neurocore_dagster.keys import ASSET_JOB_KEY
from neurocore_dagster.skills.registry import SkillRegistry


def list_assets(defs: dg.Definitions) -> list[str]:
    """One line per blueprint asset: key, the job that writes it, its upstream keys and
    checks (blocking ones marked ``!``)."""
    graph = defs.resolve_asset_graph()
    lines = []
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        job = node.metadata.get(ASSET_JOB_KEY)
        if job is None:
            continue  # not a blueprint's (a plain Dagster asset of the project)
        deps = ", ".join(sorted(p.to_user_string() for p in node.parent_keys)) or "-"
        checks = sorted(
            c.name + ("!" if graph.get_check_spec(c).blocking else "")
            for c in graph.asset_check_keys
            if c.asset_key == key
        )
        lines.append(
            f"  {key.to_user_string()} <- job {job} (group {node.group_name}); "
            f"upstream: {deps}; checks: {', '.join(checks) or '-'}"
        )
    return lines


def explain_assets(blueprint: Blueprint, job_name: str, registry: SkillRegistry) -> list[str]:
    """One line per declared asset: its key, the output, and the nodes that write it
    (skills that declare the key in ``provides``), or that this is not known statically."""
    assets = job_assets(blueprint, job_name)
    written = writers(blueprint, registry)
    lines = []
    for asset in assets.assets:
        checks = ", ".join(
            c.check_name + (" (blocking)" if c.is_blocking else "") for c in asset.checks
        )
        lines.append(
            f"  {asset.key.to_user_string()} = output {asset.output!r}; written by: "
            f"{written[asset.output]}" + (f"; checks: {checks}" if checks else "")
        )
    return lines
