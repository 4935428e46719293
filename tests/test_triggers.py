"""Schedules and sensors declared with blueprints, evaluated with Dagster's own contexts."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from neurocore_dagster import BlueprintError, build_definitions, execute_blueprint, load_blueprint
from neurocore_dagster.keys import APPROVE_JOB_NAME
from neurocore_dagster.skills.discovery import discover_skills

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    return build_definitions(ROOT, strict=True)


def test_schedule_run_config_is_valid(defs: dg.Definitions) -> None:
    schedule = defs.resolve_schedule_def("weekday_billing_check")
    assert schedule.cron_schedule == "0 9 * * 1-5"
    assert schedule.execution_timezone == "Europe/Berlin"
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    with dg.build_schedule_context() as context:
        [request] = schedule.evaluate_tick(context).run_requests
    job = defs.resolve_job_def("support_triage")
    dg.validate_run_config(job, request.run_config)
    data = request.run_config["resources"]["neurocore"]["config"]["initial_data"]
    assert data == {"ticket": "Daily check: is the refund queue empty?"}


def test_file_sensor_runs_each_file_once(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(ROOT / "skills", project / "skills")
    (project / "blueprints").mkdir()
    shutil.copy(ROOT / "blueprints" / "summarize_ticket.yaml", project / "blueprints")
    shutil.copy(ROOT / "blueprints" / "support_triage.yaml", project / "blueprints")
    shutil.copy(ROOT / "neurocore.yaml", project)
    inbox = project / "inbox"
    inbox.mkdir()
    (inbox / "a.txt").write_text("first")
    (inbox / "ignored.csv").write_text("x")
    defs = build_definitions(project, strict=True)
    sensor = defs.resolve_sensor_def("summarize_ticket_files_0")
    job = defs.resolve_job_def("summarize_ticket")
    with dg.build_sensor_context() as context:
        result = sensor.evaluate_tick(context)
    [request] = result.run_requests
    dg.validate_run_config(job, request.run_config)
    assert request.run_config["resources"]["neurocore"]["config"]["initial_data"] == {
        "file_path": str(inbox / "a.txt")
    }
    with dg.build_sensor_context(cursor=result.cursor) as context:
        again = sensor.evaluate_tick(context)
    assert again.run_requests == []
    later = inbox / "b.txt"
    later.write_text("second")
    future = time.time() + 5
    os.utime(later, (future, future))
    with dg.build_sensor_context(cursor=result.cursor) as context:
        third = sensor.evaluate_tick(context)
    assert [
        r.run_config["resources"]["neurocore"]["config"]["initial_data"]["file_path"]
        for r in third.run_requests
    ] == [str(later)]


def test_run_status_sensor_passes_keys(defs: dg.Definitions, instance: Any) -> None:
    upstream = execute_blueprint(
        load_blueprint(ROOT / "blueprints" / "support_triage.yaml"),
        discover_skills(ROOT),
        project_root=ROOT,
        instance=instance,
        initial_data={"ticket": "refund my invoice"},
    )
    assert upstream.status == "completed"
    run = instance.get_run_by_id(upstream.run_id)
    sensor = defs.resolve_sensor_def("summarize_ticket_after_support_triage_1")
    event = next(
        r.event_log_entry.dagster_event
        for r in instance.get_records_for_run(
            run.run_id, of_type=dg.DagsterEventType.RUN_SUCCESS
        ).records
    )
    context = dg.build_run_status_sensor_context(
        sensor_name=sensor.name, dagster_instance=instance, dagster_run=run, dagster_event=event
    )
    request = sensor(context)
    assert request.run_config["resources"]["neurocore"]["config"]["initial_data"] == {
        "ticket": "refund my invoice"
    }
    dg.validate_run_config(defs.resolve_job_def("summarize_ticket"), request.run_config)


BASE = """\
name: t
components: [{name: a, type: greet}]
flow:
  steps: [{component: a}]
triggers:
"""


@pytest.mark.parametrize(
    "trigger,line,snippet",
    [
        ("  - schedule: {cron: 'every day'}\n", 6, "every day"),
        ("  - schedule: {cron: '0 9 * * *', timezone: Mars/Olympus}\n", 6, "unknown timezone"),
        ("  - run_status: {blueprint: nope}\n", 6, "no blueprint named 'nope'"),
        ("  - schedule: {cron: '0 9 * * *', initial_data: {user_name: 5}}\n", 6, "run config"),
        ("  - schedule: {cron: '0 9 * * *'}\n    file_sensor: {path: x}\n", 6, "exactly one"),
        ("  - file_sensor: {path: inbox, interval: 5}\n", 6, "interval"),
    ],
)
def test_bad_triggers_are_located(tmp_path: Path, trigger: str, line: int, snippet: str) -> None:
    shutil.copytree(ROOT / "skills", tmp_path / "skills")
    (tmp_path / "blueprints").mkdir()
    (tmp_path / "blueprints" / "t.yaml").write_text(
        BASE.replace(
            "components: [{name: a, type: greet}]",
            "inputs: {user_name: {type: string}}\ncomponents: [{name: a, type: greet}]",
        )
        + trigger
    )
    with pytest.raises(BlueprintError) as caught:
        build_definitions(tmp_path, strict=True)
    message = str(caught.value)
    assert f"blueprints/t.yaml:{line + 1}" in message, message
    assert snippet in message
    defs = build_definitions(tmp_path)
    assert [j.name for j in defs.resolve_all_job_defs() if not j.name.startswith("__")] == [
        "broken__t",
        APPROVE_JOB_NAME,
    ]


def test_definitions_include_example_triggers(defs: dg.Definitions) -> None:
    sensors = (
        {s.name for s in defs.resolve_all_sensor_defs()}
        if hasattr(defs, "resolve_all_sensor_defs")
        else {s.name for s in defs.sensors or []}
    )
    assert {"summarize_ticket_files_0", "summarize_ticket_after_support_triage_1"} <= sensors
