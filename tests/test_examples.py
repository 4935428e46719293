"""Every example blueprint runs through the Dagster CLI and through execute_blueprint."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from dagster_cli import dagster_env, job_execute, new_dagster_home

from neurocore_dagster import (
    build_definitions,
    discover_skills,
    execute_blueprint,
    final_context,
    load_blueprint,
)
from neurocore_dagster.keys import BLUEPRINT_TAG

ROOT = Path(__file__).resolve().parent.parent

EXPECTED: dict[str, tuple[str, dict[str, Any]]] = {
    "greet_flow": ("greet.yaml", {"greeting": "Hello, World!", "word_count": 2}),
    "ticket_priority": (
        "ticket_priority.yaml",
        {"notes": ["support team takes: My invoice is wrong"]},
    ),
    "support_triage": ("support_triage.yaml", {"category": "bug", "escalated": True}),
    "ticket_assets": (
        "ticket_assets.yaml",
        {
            "category": "billing",
            "reply": "support team takes: The invoice shows a double charge, please refund it"
            "\n-- The support team",
        },
    ),
    "refine_draft": (
        "refine_draft.yaml",
        {
            "revisions": 3,
            "published": "Dagster and NeuroCore: draft 3 (addressed: tighten revision 2)",
        },
    ),
}


def _subset(data: dict[str, Any], expected: dict[str, Any]) -> dict[str, Any]:
    return {key: data.get(key) for key in expected}


def test_definitions_has_one_job_per_example() -> None:
    defs = build_definitions(ROOT, strict=True)
    names = {job.name for job in defs.resolve_all_job_defs()}
    assert set(EXPECTED) <= names


@pytest.mark.parametrize("job_name", sorted(EXPECTED))
def test_example_runs_with_dagster_cli(job_name: str, tmp_path: Path) -> None:
    home = new_dagster_home(tmp_path)
    result = subprocess.run(
        job_execute(ROOT / "definitions.py", job_name),
        cwd=ROOT,
        env=dagster_env(home),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    instance = dg.DagsterInstance.from_config(str(home))
    [run] = instance.get_runs(filters=dg.RunsFilter(job_name=job_name))
    assert run.status == dg.DagsterRunStatus.SUCCESS
    assert run.tags[BLUEPRINT_TAG]
    expected = EXPECTED[job_name][1]
    assert _subset(final_context(run, instance=instance).data.to_dict(), expected) == expected


@pytest.mark.parametrize("job_name", sorted(EXPECTED))
def test_example_runs_with_execute_blueprint(job_name: str, instance: Any) -> None:
    blueprint = load_blueprint(ROOT / "blueprints" / EXPECTED[job_name][0])
    run = execute_blueprint(blueprint, discover_skills(ROOT), project_root=ROOT, instance=instance)
    assert run.status == "completed", run.error
    expected = EXPECTED[job_name][1]
    assert _subset(run.context.data.to_dict(), expected) == expected


def test_inputs_drive_the_example(instance: Any) -> None:
    blueprint = load_blueprint(ROOT / "blueprints" / "greet.yaml")
    run = execute_blueprint(
        blueprint,
        discover_skills(ROOT),
        project_root=ROOT,
        instance=instance,
        initial_data={"user_name": "Ada", "loud": True},
    )
    assert run.context.get("greeting") == "HELLO, ADA!"
