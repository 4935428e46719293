"""``asset_sensor`` triggers: load-time checks, and the sensor evaluated with Dagster's own
context against a real instance holding real materializations of the example's
``raw/tickets`` asset (run with ``dg.materialize``) or reported ones."""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import dagster as dg
import pytest

from neurocore_dagster import BlueprintError, build_definitions, final_context
from neurocore_dagster.dagster_layer.asset_sensor import FROM_START, MAX_RUNS_PER_TICK
from neurocore_dagster.keys import UPSTREAM_ASSET_TAG, UPSTREAM_EVENT_TAG, UPSTREAM_RUN_TAG

ROOT = Path(__file__).resolve().parent.parent
SENSOR = "ticket_batch_asset_0"
JOB = "ticket_batch"
TICKETS = dg.AssetKey(["raw", "tickets"])


def load_example() -> ModuleType:
    """The example project's ``definitions.py``, as Dagster loads it."""
    spec = importlib.util.spec_from_file_location("example_definitions", ROOT / "definitions.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def example() -> ModuleType:
    return load_example()


@pytest.fixture
def fresh_instance() -> Iterator[dg.DagsterInstance]:
    """An instance of its own: cursors and materializations are per test."""
    with (
        tempfile.TemporaryDirectory(prefix="nc-asset-trigger-") as home,
        dg.instance_for_test(temp_dir=home) as instance,
    ):
        yield instance


def materialize(example: ModuleType, instance: dg.DagsterInstance, size: int) -> str:
    """Materialize ``raw/tickets`` with ``size`` tickets; the run id."""
    result = dg.materialize(
        [example.raw_tickets],
        instance=instance,
        run_config={"ops": {"raw__tickets": {"config": {"size": size}}}},
    )
    assert result.success
    return result.run_id


def tick(
    example: ModuleType, instance: dg.DagsterInstance, cursor: str | None
) -> dg.SensorExecutionData:
    sensor = example.defs.resolve_sensor_def(SENSOR)
    with dg.build_sensor_context(
        instance=instance, cursor=cursor, definitions=example.defs
    ) as context:
        return sensor.evaluate_tick(context)


def inputs_of(request: dg.RunRequest) -> dict[str, Any]:
    data = request.run_config["resources"]["neurocore"]["config"]["initial_data"]
    return dict(data)


def test_each_materialization_starts_one_run(
    example: ModuleType, fresh_instance: dg.DagsterInstance
) -> None:
    """First tick: the newest materialization only (as Dagster's asset sensor); then every
    later one, oldest first, and none twice."""
    materialize(example, fresh_instance, 2)
    newest = materialize(example, fresh_instance, 3)
    first = tick(example, fresh_instance, None)
    [request] = first.run_requests
    assert inputs_of(request)["batch_size"] == 3
    assert request.tags[UPSTREAM_RUN_TAG] == newest
    assert request.tags[UPSTREAM_ASSET_TAG] == "raw/tickets"

    assert tick(example, fresh_instance, first.cursor).run_requests == []
    later = [materialize(example, fresh_instance, size) for size in (4, 5)]
    second = tick(example, fresh_instance, first.cursor)
    assert [inputs_of(r)["batch_size"] for r in second.run_requests] == [4, 5]
    assert [r.tags[UPSTREAM_RUN_TAG] for r in second.run_requests] == later
    keys = [r.run_key for r in second.run_requests]
    assert len(set(keys)) == 2 and request.run_key not in keys
    assert keys == [f"raw/tickets@{r.tags[UPSTREAM_EVENT_TAG]}" for r in second.run_requests]
    # A tick evaluated again from the same cursor (a daemon restart) asks for the same
    # run keys, which Dagster's sensor daemon launches once.
    again = tick(example, fresh_instance, first.cursor)
    assert [r.run_key for r in again.run_requests] == keys
    third = tick(example, fresh_instance, second.cursor)
    assert third.run_requests == [] and third.cursor == second.cursor
    assert third.skip_message == "no new materialization of raw/tickets"


def test_first_tick_without_materializations_then_every_one(
    example: ModuleType, fresh_instance: dg.DagsterInstance
) -> None:
    first = tick(example, fresh_instance, None)
    assert first.run_requests == [] and first.cursor == FROM_START
    for size in (1, 2):
        materialize(example, fresh_instance, size)
    second = tick(example, fresh_instance, first.cursor)
    assert [inputs_of(r)["batch_size"] for r in second.run_requests] == [1, 2]


def test_requested_run_completes_with_metadata_as_inputs(
    example: ModuleType, fresh_instance: dg.DagsterInstance
) -> None:
    upstream = materialize(example, fresh_instance, 5)
    [request] = tick(example, fresh_instance, None).run_requests
    job = example.defs.resolve_job_def(JOB)
    dg.validate_run_config(job, request.run_config)
    result = job.execute_in_process(
        run_config=request.run_config, instance=fresh_instance, tags=request.tags
    )
    assert result.success
    data = final_context(result).data.to_dict()
    [record] = fresh_instance.fetch_materializations(TICKETS, limit=1).records
    metadata = record.asset_materialization.metadata  # type: ignore[union-attr]
    assert data["batch_size"] == metadata["row_count"].value == 5
    assert data["batch_file"] == metadata["path"].value
    assert data["channels"] == metadata["channels"].value == {"email": 2, "chat": 2, "phone": 1}
    assert data["by_category"] == {"bug": 2, "billing": 2, "other": 1}
    run = fresh_instance.get_run_by_id(result.run_id)
    assert run is not None and run.tags[UPSTREAM_RUN_TAG] == upstream


def report(instance: dg.DagsterInstance, **metadata: Any) -> None:
    instance.report_runless_asset_event(dg.AssetMaterialization(TICKETS, metadata=metadata))


GOOD = {"path": "/tmp/batch.jsonl", "row_count": 2, "channels": {"email": 2}}


def test_unfit_metadata_is_skipped_with_a_reason_and_later_ones_still_run(
    example: ModuleType, fresh_instance: dg.DagsterInstance
) -> None:
    first = tick(example, fresh_instance, None)
    report(fresh_instance, **{**GOOD, "row_count": 1})
    report(fresh_instance, **{**GOOD, "row_count": "3"})  # text, not an int
    report(fresh_instance, **{**GOOD, "channels": ["email"]})  # a list, not an object
    report(fresh_instance, path="/tmp/x.jsonl", channels={})  # no row_count
    report(fresh_instance, **{**GOOD, "row_count": 4})
    outcomes: list[Any] = []  # per tick: the runs' batch sizes, or the skip reason
    cursor = first.cursor
    for _ in range(5):
        result = tick(example, fresh_instance, cursor)
        assert result.cursor != cursor
        cursor = result.cursor
        sizes = [inputs_of(r)["batch_size"] for r in result.run_requests]
        outcomes.append(sizes or result.skip_message)
    assert outcomes[0] == [1]
    assert (
        "input 'batch_size' is declared integer, but metadata 'row_count' holds text '3'"
        in (outcomes[1])
    )
    assert "materialization of raw/tickets (reported outside a run" in outcomes[1]
    assert (
        "input 'channels' is declared object, but metadata 'channels' holds json" in (outcomes[2])
    )
    assert (
        "input 'batch_size' needs metadata 'row_count', which the materialization does not"
        " have (it has: channels, path)" in outcomes[3]
    )
    assert outcomes[4] == [4]
    assert tick(example, fresh_instance, cursor).run_requests == []


def test_a_burst_is_handled_over_ticks(
    example: ModuleType, fresh_instance: dg.DagsterInstance
) -> None:
    cursor = tick(example, fresh_instance, None).cursor
    total = MAX_RUNS_PER_TICK + 3
    for count in range(total):
        report(fresh_instance, **{**GOOD, "row_count": count})
    first = tick(example, fresh_instance, cursor)
    second = tick(example, fresh_instance, first.cursor)
    sizes = [inputs_of(r)["batch_size"] for r in [*first.run_requests, *second.run_requests]]
    assert len(first.run_requests) == MAX_RUNS_PER_TICK
    assert sizes == list(range(total))


def test_bad_cursor_is_named(example: ModuleType, fresh_instance: dg.DagsterInstance) -> None:
    result = tick(example, fresh_instance, "yesterday")
    assert result.run_requests == [] and result.cursor == "yesterday"
    assert "cursor 'yesterday' is not a storage id" in (result.skip_message or "")


# --- load time -------------------------------------------------------------------------------

BLUEPRINT = """\
name: t
inputs:
  batch_size: {type: integer, required: true}
  note: {type: string}
components: [{name: a, type: greet}]
flow:
  steps: [{component: a}]
triggers:
"""


def project(tmp_path: Path, triggers: str, blueprint: str = BLUEPRINT) -> Path:
    shutil.copytree(ROOT / "skills", tmp_path / "skills", dirs_exist_ok=True)
    (tmp_path / "blueprints").mkdir(exist_ok=True)
    (tmp_path / "blueprints" / "t.yaml").write_text(blueprint + triggers)
    return tmp_path


@pytest.mark.parametrize(
    "triggers,line,snippets",
    [
        (
            "  - asset_sensor: {asset: raw//tickets, inputs: {batch_size: row_count}}\n",
            9,
            ["asset key 'raw//tickets' has an empty part", "such as raw/tickets"],
        ),
        (
            "  - asset_sensor: {asset: 'raw/my tickets', inputs: {batch_size: n}}\n",
            9,
            ["part 'my tickets'"],
        ),
        (
            "  - asset_sensor:\n      asset: raw/tickets\n      inputs:\n"
            "        batch_size: row_count\n        batch_sise: row_count\n",
            13,
            [
                "triggers.0.asset_sensor.inputs.batch_sise",
                "input 'batch_sise' (from metadata 'row_count') is not declared",
                "did you mean 'batch_size'?",
                "expected=a declared input: batch_size, note",
            ],
        ),
        (
            "  - asset_sensor: {asset: raw/tickets, inputs: {batch_size: row_count}}\n"
            "  - asset_sensor: {asset: raw/tickets, inputs: {batch_size: rows}}\n",
            10,
            ["asset 'raw/tickets' is already watched by trigger 0"],
        ),
        (
            "  - asset_sensor:\n      asset: raw/tickets\n      inputs: {batch_size: row_count}\n"
            "      initial_data: {batch_size: 3}\n",
            12,
            ["input 'batch_size' comes from metadata 'row_count' and is also set in initial_data"],
        ),
        (
            "  - asset_sensor: {asset: raw/tickets, inputs: {batch_size: a, batch_size: b}}\n",
            9,
            ["key 'batch_size' is written twice"],
        ),
        (
            "  - asset_sensor: {asset: raw/tickets, inputs: {batch_size: ' '}}\n",
            9,
            ["input 'batch_size' names a blank metadata key"],
        ),
        (
            "  - asset_sensor: {asset: raw/tickets, inputs: {note: text}}\n",
            9,
            ["run config refused by job 't'", "batch_size"],
        ),
        (
            "  - asset_sensor: {asset: raw/tickets, inputs: {batch_size: n}, every: 5}\n",
            9,
            ["every"],
        ),
        (
            "  - asset_sensor: {asset: raw/tickets, inputs: {batch_size: n},"
            " initial_data: {note: 5}}\n",
            9,
            ["run config refused", "note"],
        ),
    ],
)
def test_bad_asset_triggers_are_located(
    tmp_path: Path, triggers: str, line: int, snippets: list[str]
) -> None:
    root = project(tmp_path, triggers)
    with pytest.raises(BlueprintError) as caught:
        build_definitions(root, strict=True)
    message = str(caught.value)
    assert f"blueprints/t.yaml:{line}:" in message, message
    for snippet in snippets:
        assert snippet in message, message


def test_inputs_of_a_blueprint_without_inputs(tmp_path: Path) -> None:
    blueprint = BLUEPRINT.replace(
        "inputs:\n  batch_size: {type: integer, required: true}\n  note: {type: string}\n", ""
    )
    root = project(tmp_path, "  - asset_sensor: {asset: a, inputs: {n: row_count}}\n", blueprint)
    with pytest.raises(BlueprintError) as caught:
        build_definitions(root, strict=True)
    assert "(the blueprint declares none)" in str(caught.value)


def test_an_asset_no_definition_has_is_named_when_the_sensor_runs(
    tmp_path: Path, fresh_instance: dg.DagsterInstance, example: ModuleType
) -> None:
    """Not a load error: the asset may come from other definitions merged later, or from
    another code location; the sensor names it, with the keys it may have meant."""
    root = project(
        tmp_path, "  - asset_sensor: {asset: raw/tikets, inputs: {batch_size: row_count}}\n"
    )
    defs = dg.Definitions.merge(
        build_definitions(root, strict=True), dg.Definitions(assets=[example.raw_tickets])
    )
    sensor = defs.resolve_sensor_def("t_asset_0")
    with dg.build_sensor_context(instance=fresh_instance, definitions=defs) as context:
        result = sensor.evaluate_tick(context)
    assert result.skip_message == (
        "no new materialization of raw/tikets: no asset raw/tikets is defined in this code"
        " location and none was materialized in this instance yet (did you mean raw/tickets?)"
    )
    # Once the instance holds it (materialized from another code location), it is known.
    fresh_instance.report_runless_asset_event(
        dg.AssetMaterialization(dg.AssetKey(["raw", "tikets"]), metadata={"row_count": 1})
    )
    with dg.build_sensor_context(instance=fresh_instance, definitions=defs) as context:
        [request] = sensor.evaluate_tick(context).run_requests
    assert inputs_of(request) == {"batch_size": 1}


def test_example_definitions_hold_the_asset_and_the_trigger(example: ModuleType) -> None:
    defs = example.defs
    assert TICKETS in defs.resolve_asset_graph().get_all_asset_keys()
    sensor = defs.resolve_sensor_def(SENSOR)
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert sensor.minimum_interval_seconds == 10
    assert [t.job_name for t in sensor.targets] == [JOB]
    assert "once per materialization of asset raw/tickets" in (sensor.description or "")
