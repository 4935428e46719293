"""``neurocore-dagster`` commands about a project: list, skills, schema, explain, init, new."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import dagster as dg

from neurocore_dagster.blueprint.loader import load_blueprint
from neurocore_dagster.blueprint.model import Blueprint
from neurocore_dagster.cli.templates import add_template_commands
from neurocore_dagster.dagster_layer.assets.report import explain_assets, list_assets
from neurocore_dagster.dagster_layer.definitions import build_definitions, display_path
from neurocore_dagster.dagster_layer.translation.translator import BlueprintTranslator
from neurocore_dagster.errors import ExecutionError
from neurocore_dagster.keys import BLUEPRINT_TAG, RESERVED_NAME_PREFIX, SOURCE_METADATA
from neurocore_dagster.plan.compile import compile_plan
from neurocore_dagster.plan.translation_report import render_report
from neurocore_dagster.project.config import load_project
from neurocore_dagster.skills.discovery import discover_usable_skills


def add_project_commands(commands: Any) -> None:
    listing = commands.add_parser("list", help="blueprints, their jobs and triggers")
    listing.set_defaults(handler=_list)
    skill = commands.add_parser("skill", help="skills the project can use")
    skill_sub = skill.add_subparsers(dest="skill_command", required=True)
    skill_sub.add_parser("list", help="every skill").set_defaults(handler=_skill_list)
    info = skill_sub.add_parser("info", help="one skill's metadata and config schema")
    info.add_argument("name")
    info.set_defaults(handler=_skill_info)
    schema = commands.add_parser("schema", help="JSON Schema of the blueprint format")
    schema.set_defaults(handler=_schema)
    explain = commands.add_parser("explain", help="how a blueprint maps to Dagster")
    explain.add_argument("blueprint")
    explain.set_defaults(handler=_explain)
    add_template_commands(commands)


def _list(args: argparse.Namespace) -> int:
    project = load_project(args.project)
    defs = build_definitions(project.root)
    jobs = defs.resolve_all_job_defs()
    # build_definitions makes only plain schedules (never partitioned asset schedules).
    schedules = [s for s in defs.schedules or [] if isinstance(s, dg.ScheduleDefinition)]
    sensors = list(defs.sensors or [])
    print(f"{'job':28}  {'blueprint':26}  file")
    for job in sorted(jobs, key=lambda j: j.name):
        if job.name.startswith(RESERVED_NAME_PREFIX):
            continue
        source = job.metadata.get(SOURCE_METADATA)
        file = display_path(project, Path(str(source.value))) if source is not None else ""
        blueprint = job.tags.get(BLUEPRINT_TAG, "(broken: see its description)")
        print(f"{job.name:28}  {blueprint:26}  {file}")
    print("\ntriggers:")
    for schedule in schedules:
        print(
            f"  schedule {schedule.name}: '{schedule.cron_schedule}' "
            f"{schedule.execution_timezone or 'UTC'} -> {schedule.job_name}"
        )
    for sensor in sensors:
        print(f"  sensor   {sensor.name} -> {', '.join(t.job_name for t in sensor.targets)}")
    if not schedules and not sensors:
        print("  (none)")
    print("\nassets:")
    print("\n".join(list_assets(defs) or ["  (none)"]))
    return 0


def _skill_list(args: argparse.Namespace) -> int:
    registry = discover_usable_skills(load_project(args.project))
    for name in registry.names():
        meta = registry.meta(name)
        print(f"{name:24} {meta.version:10} {meta.description}")
    for broken in registry.broken_files:
        print(
            f"error: skill file {broken.where} failed to import: {broken.reason}", file=sys.stderr
        )
    return 1 if registry.broken_files else 0


def _skill_info(args: argparse.Namespace) -> int:
    registry = discover_usable_skills(load_project(args.project))
    if args.name not in registry:
        raise ExecutionError(
            f"unknown skill {args.name!r}; known skills: {', '.join(registry.names())}"
        )
    meta = registry.meta(args.name)
    info = {
        "name": meta.name,
        "version": meta.version,
        "description": meta.description,
        "author": meta.author,
        "origin": registry.origin(args.name),
        "provides": meta.provides,
        "consumes": meta.consumes,
        "requires": meta.requires,
        "tags": meta.tags,
        "requires_llm": meta.requires_llm,
        "max_retries": meta.max_retries,
        "retry_on": [e.__name__ for e in meta.retry_on],
        "config_schema": meta.config_schema,
    }
    print(json.dumps(info, indent=2))
    return 0


def _schema(args: argparse.Namespace) -> int:
    print(json.dumps(Blueprint.model_json_schema(), indent=2))
    return 0


def _explain(args: argparse.Namespace) -> int:
    project = load_project(args.project)
    registry = discover_usable_skills(project)
    blueprint = load_blueprint(args.blueprint)
    plan = compile_plan(blueprint, registry)
    job_name = BlueprintTranslator().get_job_spec(blueprint, plan).name
    print(render_report(plan, job_name), end="")
    lines = explain_assets(blueprint, job_name, registry)
    if lines:
        print("\nassets (written by: nodes whose skill provides the key):")
        print("\n".join(lines))
    return 0
