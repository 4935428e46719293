"""Materialization metadata as typed blueprint inputs: generated metadata values of every
kind against every declared input type, checked against a table written by kind, and
what the conversion returns accepted by Dagster as the job's run config; then through a
real instance's storage and the example's sensor."""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_asset_triggers import GOOD, TICKETS, inputs_of, load_example, tick

from neurocore_dagster import Blueprint, build_job, run_config
from neurocore_dagster.dagster_layer.metadata_inputs import (
    EXPECTED,
    MetadataInputError,
    metadata_input,
)
from neurocore_dagster.skills.discovery import discover_skills

ROOT = Path(__file__).resolve().parent.parent
TYPES = ["string", "integer", "number", "boolean", "object", "array", "any"]

json_data = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=6,
)


def _json_types(data: Any) -> set[str]:
    """What JSON data of this shape fits, by its JSON type."""
    if data is None:
        return {"any"}
    if isinstance(data, bool):
        return {"boolean", "any"}
    if isinstance(data, int):
        return {"integer", "number", "any"}
    if isinstance(data, float):
        return {"number", "any"}
    if isinstance(data, str):
        return {"string", "any"}
    return {"array" if isinstance(data, list) else "object", "any"}


# (metadata value, the declared types it fits), written by metadata kind.
def _finite_number(value: float) -> set[str]:
    return {"number", "any"} if math.isfinite(value) else set()


metadata_values = st.one_of(
    st.integers().map(lambda v: (dg.MetadataValue.int(v), {"integer", "number", "any"})),
    st.floats().map(lambda v: (dg.MetadataValue.float(v), _finite_number(v))),
    st.booleans().map(lambda v: (dg.MetadataValue.bool(v), {"boolean", "any"})),
    st.text().map(lambda v: (dg.MetadataValue.text(v), {"string", "any"})),
    st.text().map(lambda v: (dg.MetadataValue.md(v), {"string", "any"})),
    st.text(min_size=1).map(lambda v: (dg.MetadataValue.path(v), {"string", "any"})),
    st.text(min_size=1).map(lambda v: (dg.MetadataValue.url(v), {"string", "any"})),
    st.just((dg.MetadataValue.null(), {"any"})),
    st.floats(min_value=0, max_value=4e9).map(
        lambda v: (dg.MetadataValue.timestamp(v), {"number", "any"})
    ),
    json_data.filter(lambda d: d is None or isinstance(d, dict | list | str)).map(
        lambda d: (dg.MetadataValue.json(d), _json_types(d))
    ),
    st.just(
        (
            dg.MetadataValue.table(records=[dg.TableRecord({"a": 1})]),
            set(),
        )
    ),
    st.just((dg.MetadataValue.dagster_run("abc"), set())),
)


def _job(declared: str) -> dg.JobDefinition:
    blueprint = Blueprint.model_validate(
        {
            "name": f"typed-{declared}",
            "inputs": {"x": {"type": declared, "required": True}},
            "components": [{"name": "a", "type": "greet"}],
            "flow": {"steps": [{"component": "a"}]},
        }
    )
    return build_job(blueprint, discover_skills(ROOT), project_root=ROOT)


@pytest.fixture(scope="module")
def jobs() -> dict[str, dg.JobDefinition]:
    return {declared: _job(declared) for declared in TYPES}


@given(value=metadata_values, declared=st.sampled_from(TYPES))
def test_metadata_fits_its_declared_type_or_is_refused_by_name(
    jobs: dict[str, dg.JobDefinition], value: tuple[dg.MetadataValue, set[str]], declared: str
) -> None:
    metadata, fits = value
    if declared in fits:
        plain = metadata_input("x", declared, "meta_key", metadata)
        assert plain == metadata.value or (plain is None and metadata.value is None)
        job = jobs[declared]
        dg.validate_run_config(job, run_config(job, initial_data={"x": plain}))
        return
    with pytest.raises(MetadataInputError) as caught:
        metadata_input("x", declared, "meta_key", metadata)
    message = str(caught.value)
    assert message.startswith(f"input 'x' is declared {declared}, but metadata 'meta_key' holds")
    assert message.endswith(f"expected {EXPECTED[declared]}")
    assert (caught.value.input_name, caught.value.metadata_key) == ("x", "meta_key")


# --- through a real instance's storage and the example sensor --------------------------------

row_counts = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
    st.booleans(),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.none(),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)).map(
        lambda d: dg.MetadataValue.timestamp(d.timestamp())
    ),
)


@pytest.fixture(scope="module")
def instance_and_cursor() -> Iterator[tuple[dg.DagsterInstance, dict[str, Any]]]:
    with (
        tempfile.TemporaryDirectory(prefix="nc-metadata-inputs-") as home,
        dg.instance_for_test(temp_dir=home) as instance,
    ):
        yield instance, {}


@settings(max_examples=40)
@given(row_count=row_counts)
def test_stored_metadata_reaches_the_run_typed_or_is_skipped_by_name(
    instance_and_cursor: tuple[dg.DagsterInstance, dict[str, Any]], row_count: Any
) -> None:
    """One materialization per example, one tick per materialization: the cursor moves
    past each, and the run's ``batch_size`` (an integer input) is the stored int."""
    instance, state = instance_and_cursor
    example = state.setdefault("example", load_example())
    if "cursor" not in state:
        state["cursor"] = tick(example, instance, None).cursor
    instance.report_runless_asset_event(
        dg.AssetMaterialization(TICKETS, metadata={**GOOD, "row_count": row_count})
    )
    result = tick(example, instance, state["cursor"])
    assert result.cursor != state["cursor"]
    state["cursor"] = result.cursor
    is_int = isinstance(row_count, int) and not isinstance(row_count, bool)
    if is_int:
        [request] = result.run_requests
        assert inputs_of(request)["batch_size"] == row_count
        assert type(inputs_of(request)["batch_size"]) is int
        dg.validate_run_config(example.defs.resolve_job_def("ticket_batch"), request.run_config)
    else:
        assert result.run_requests == []
        assert "input 'batch_size' is declared integer, but metadata 'row_count' holds" in (
            result.skip_message or ""
        )
