"""Issue 17: stored contexts are JSON where they can be, and a damaged one is a clear error."""

from __future__ import annotations

import datetime
import math
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from flowengine import FlowContext
from hypothesis import given
from hypothesis import strategies as st

from neurocore_dagster import Blueprint, Skill, SkillMeta, SkillRegistry, execute_blueprint
from neurocore_dagster.cli.main import main
from neurocore_dagster.dagster_layer.storage.context_codec import JSON_MAGIC, decode, encode
from neurocore_dagster.runtime.delta import Change, Delta, MetaDelta

_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
_scalars |= st.floats(allow_nan=True, allow_infinity=True)
_values = st.recursive(
    _scalars | st.datetimes() | st.binary(max_size=4),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=4) | st.integers(), inner, max_size=3)
        | st.frozensets(st.integers(), max_size=2)
    ),
    max_leaves=12,
)


def _same(a: Any, b: Any) -> bool:
    """Equal, with the same container types all the way down (NaN equals NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


def _plain_json(value: Any) -> bool:
    if value is None or type(value) in (bool, int, str):
        return True
    if type(value) is float:
        return math.isfinite(value)
    if type(value) in (list, tuple):
        return all(_plain_json(v) for v in value)
    if type(value) is dict:
        return all(type(k) is str and _plain_json(v) for k, v in value.items())
    return False


@given(_values)
def test_a_stored_value_loads_back_exactly_and_is_json_when_it_can_be(value: Any) -> None:
    delta = Delta(
        "node",
        3,
        {"k": Change("set", value), "m": Change("merge", children={"x": Change("extend", (1,))})},
        MetaDelta(appended={"completed_nodes": ("node",)}, iteration_count=2),
        port="p",
        location=("run", "step", "file"),
    )
    data = encode(delta)
    assert data.startswith(JSON_MAGIC) == _plain_json(value)
    loaded = decode(data)
    assert loaded == delta
    assert _same(loaded.data["k"].value, value)
    assert loaded.location == ("run", "step", "file")


class Writes(Skill):
    skill_meta = SkillMeta(name="writes", version="1.0")

    def process(self, context: FlowContext) -> FlowContext:
        context.set("plain", {"a": [1, 2.5, "x"], "b": (1, 2)})
        if self.name == "dated":
            context.set("when", datetime.date(2026, 1, 2))
        return context


def _run(instance: dg.DagsterInstance, components: list[str]) -> Any:
    registry = SkillRegistry()
    registry.register(Writes)
    blueprint = Blueprint.model_validate(
        {
            "name": "storage-" + "-".join(components),
            "components": [{"name": c, "type": "writes"} for c in components],
            "flow": {"steps": [{"component": c} for c in components]},
        }
    )
    return execute_blueprint(blueprint, registry, instance=instance)


def _stored(instance: dg.DagsterInstance, run_id: str) -> list[Path]:
    folder = Path(instance.storage_directory()) / "neurocore" / run_id
    return sorted(p for p in folder.rglob("*") if p.is_file())


def test_json_data_is_stored_as_json_and_other_values_still_round_trip(
    instance: dg.DagsterInstance,
) -> None:
    plain = _run(instance, ["plain"])
    assert plain.status == "completed", plain.error
    files = _stored(instance, plain.run_id)
    assert files and all(p.read_bytes().startswith(JSON_MAGIC) for p in files)
    assert plain.context.get("plain") == {"a": [1, 2.5, "x"], "b": (1, 2)}
    dated = _run(instance, ["plain", "dated"])
    assert dated.status == "completed", dated.error
    assert dated.context.get("when") == datetime.date(2026, 1, 2)
    kinds = {p.read_bytes().startswith(JSON_MAGIC) for p in _stored(instance, dated.run_id)}
    assert kinds == {True, False}  # the datetime's delta alone needs pickle


@pytest.mark.parametrize("damage", [b"", b"\x80\x05garbage", JSON_MAGIC + b'{"r": ["Delta"'])
def test_a_damaged_stored_context_is_a_one_line_error_naming_file_and_run(
    instance: dg.DagsterInstance,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    damage: bytes,
) -> None:
    run = _run(instance, ["plain"])
    deltas = [p for p in _stored(instance, run.run_id) if p.suffix == ".delta"]
    for delta_file in deltas:
        delta_file.write_bytes(damage)
    capsys.readouterr()  # the run's own console log
    code = main(["--project", str(tmp_path), "runs", "inspect", run.run_id])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert any(str(p) in err for p in deltas) and run.run_id in err and "damaged" in err
