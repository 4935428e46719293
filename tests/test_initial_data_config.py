"""A blueprint's declared ``inputs`` close the launchpad's ``initial_data``; other keys still reach
the run through ``undeclared_data`` (CLI, ``execute_blueprint``, triggers)."""

from __future__ import annotations

import shutil
import string
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from hypothesis import given
from hypothesis import strategies as st

from neurocore_dagster import (
    build_definitions,
    build_job,
    execute_blueprint,
    final_context,
    load_blueprint,
    run_config,
)
from neurocore_dagster.dagster_layer.storage.run_outcome import run_failure_message

ROOT = Path(__file__).resolve().parent.parent
GREET = load_blueprint(ROOT / "blueprints" / "greet.yaml")
JOB = build_job(GREET, project_root=ROOT)
DECLARED = {"user_name", "loud"}

keys = st.text(string.ascii_letters + "_", min_size=1, max_size=12).filter(
    lambda k: k not in DECLARED
)
values = st.one_of(st.integers(), st.text(max_size=8), st.booleans(), st.none())


def _raw(data: dict[str, Any]) -> dict[str, Any]:
    return {"resources": {"neurocore": {"config": {"initial_data": data}}}}


@given(key=keys, value=values)
def test_the_launchpad_refuses_a_key_no_input_declares(key: str, value: Any) -> None:
    with pytest.raises(dg.DagsterInvalidConfigError) as caught:
        dg.validate_run_config(JOB, _raw({"user_name": "ada", key: value}))
    [error] = caught.value.errors
    assert f'unexpected config entry "{key}"' in error.message
    assert "loud?: Bool" in error.message and "user_name?: String" in error.message


@given(extra=st.dictionaries(keys, values, max_size=4), name=st.text(max_size=8))
def test_run_config_puts_undeclared_keys_apart_and_the_job_accepts_them(
    extra: dict[str, Any], name: str
) -> None:
    config = run_config(JOB, initial_data={"user_name": name, **extra})
    sections = config["resources"]["neurocore"]["config"]
    assert sections["initial_data"] == {"user_name": name}
    assert sections.get("undeclared_data", {}) == extra
    dg.validate_run_config(JOB, config)


def test_undeclared_keys_reach_the_context(instance: dg.DagsterInstance) -> None:
    outcome = execute_blueprint(
        GREET, instance=instance, project_root=ROOT, initial_data={"user_name": "Ada", "ticket": 7}
    )
    assert outcome.status == "completed"
    assert outcome.context.get("ticket") == 7
    assert outcome.context.get("greeting") == "Hello, Ada!"


def test_a_key_given_in_both_sections_fails_the_run_naming_it(
    instance: dg.DagsterInstance,
) -> None:
    config = {
        "resources": {
            "neurocore": {
                "config": {
                    "initial_data": {"user_name": "a"},
                    "undeclared_data": {"user_name": "b"},
                }
            }
        }
    }
    result = JOB.execute_in_process(run_config=config, instance=instance, raise_on_error=False)
    assert not result.success
    message = run_failure_message(instance, result.run_id)
    assert "'user_name' given both in initial_data" in message


def test_a_blueprint_without_inputs_keeps_free_form_initial_data() -> None:
    bp = load_blueprint(ROOT / "blueprints" / "greet.yaml").model_copy(update={"inputs": None})
    job = build_job(bp, project_root=ROOT)
    dg.validate_run_config(job, _raw({"anything": 1, "user_name": "x"}))
    assert run_config(job, initial_data={"anything": 1})["resources"]["neurocore"] == {
        "config": {"initial_data": {"anything": 1}}
    }


SENSED = """\
name: sensed
inputs:
  user_name: {type: string, default: World}
components:
  - {name: greeter, type: greet}
flow:
  steps: [{component: greeter}]
triggers:
  - file_sensor: {path: inbox, pattern: "*.txt", key: dropped, initial_data: {source: inbox}}
  - schedule: {cron: "0 9 * * *", initial_data: {user_name: Cron, batch: nightly}}
  - run_status: {blueprint: sensed, status: success, pass_keys: [greeting]}
"""


def test_triggers_that_pass_undeclared_keys_still_run(
    tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    """A file sensor's key, a schedule's extra initial_data and a run_status trigger's
    pass_keys are not declared inputs: they travel in undeclared_data and reach the run."""
    shutil.copytree(ROOT / "skills", tmp_path / "skills")
    (tmp_path / "blueprints").mkdir()
    (tmp_path / "blueprints" / "sensed.yaml").write_text(SENSED)
    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "a.txt").write_text("x")
    defs = build_definitions(tmp_path, strict=True)
    job = defs.resolve_job_def("sensed")
    sensor, schedule = (
        defs.resolve_sensor_def("sensed_files_0"),
        defs.resolve_schedule_def("sensed_schedule_1"),
    )
    with dg.build_sensor_context() as context:
        [from_file] = sensor.evaluate_tick(context).run_requests
    with dg.build_schedule_context() as context:
        [scheduled] = schedule.evaluate_tick(context).run_requests
    first = job.execute_in_process(run_config=from_file.run_config, instance=instance)
    assert final_context(first).get("dropped") == str(tmp_path / "inbox" / "a.txt")
    assert final_context(first).get("source") == "inbox"
    second = job.execute_in_process(run_config=scheduled.run_config, instance=instance)
    assert final_context(second).get("batch") == "nightly"
    assert final_context(second).get("greeting") == "Hello, Cron!"
    sensor = defs.resolve_sensor_def("sensed_after_sensed_2")
    event = next(
        r.event_log_entry.dagster_event
        for r in instance.get_records_for_run(
            second.run_id, of_type=dg.DagsterEventType.RUN_SUCCESS
        ).records
    )
    run = instance.get_run_by_id(second.run_id)
    context = dg.build_run_status_sensor_context(
        sensor_name=sensor.name, dagster_instance=instance, dagster_run=run, dagster_event=event
    )
    request = sensor(context)
    third = job.execute_in_process(run_config=request.run_config, instance=instance)
    assert final_context(third).get("greeting") == "Hello, World!"  # passed, then greeted
    assert request.run_config["resources"]["neurocore"]["config"]["undeclared_data"] == {
        "greeting": "Hello, Cron!"
    }
