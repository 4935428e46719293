"""What a run records in Dagster: op metadata, warnings, loop visits, final_context."""

from __future__ import annotations

import logging
from typing import Any

import dagster as dg
import pytest
from helpers import one_step_blueprint, self_loop_blueprint
from skills_lib import registry

from neurocore_dagster import Blueprint, SkillMeta, build_job, final_context, run_config
from neurocore_dagster.keys import (
    KEYS_WRITTEN_METADATA,
    PORT_METADATA,
    ROUTES_METADATA,
    SKILL_METADATA,
    SKIP_REASON_METADATA,
    SKIPPED_METADATA,
    VISITS_METADATA,
)
from neurocore_dagster.skills.base import Skill


def _messages(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    return [r.event_log_entry.user_message for r in instance.get_records_for_run(run_id).records]


def _output_metadata(instance: dg.DagsterInstance, run_id: str, step: str) -> dict[str, Any]:
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.STEP_OUTPUT)
    for record in records.records:
        event = record.event_log_entry.dagster_event
        data = event.event_specific_data
        if event.step_key == step and data.step_output_handle.output_name == "flow_context":
            return {k: v.value for k, v in data.metadata.items()}
    raise AssertionError(f"no flow_context output for {step}")


def test_final_context_from_in_process_result(instance: Any) -> None:
    blueprint = one_step_blueprint("fc")
    job = build_job(blueprint, registry(), project_root=".")
    result = job.execute_in_process(
        run_config=run_config(job, initial_data={"x": 1}), instance=instance
    )
    context = final_context(result)
    assert context.data.to_dict() == {"x": 1, "trace": ["a"], "last": "a"}
    assert final_context(result.run_id, instance=instance).data.to_dict() == context.data.to_dict()


def test_final_context_reads_each_stored_delta_once(
    instance: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chain's lineages share their deltas; rebuilding the context reads each file once."""
    from neurocore_dagster.dagster_layer.storage import io_manager

    steps = [f"s{i}" for i in range(6)]
    blueprint = Blueprint.model_validate(
        {
            "name": "reads",
            "components": [{"name": s, "type": "trace"} for s in steps],
            "flow": {"steps": [{"component": s} for s in steps]},
        }
    )
    job = build_job(blueprint, registry(), project_root=".")
    result = job.execute_in_process(run_config=run_config(job), instance=instance)
    loaded: list[str] = []
    original = io_manager._load

    def counting(path: Any) -> Any:
        if path.suffix == ".delta":
            loaded.append(str(path))
        return original(path)

    monkeypatch.setattr(io_manager, "_load", counting)
    assert final_context(result.run_id, instance=instance).get("trace") == steps
    # One file per op plus the run's initial data, which is stored as a delta too.
    assert len(loaded) == len(set(loaded)) == len(steps) + 1


def test_op_metadata_records_keys_port_routes_and_skips(instance: Any) -> None:
    blueprint = Blueprint.model_validate(
        {
            "name": "meta",
            "components": [
                {"name": "r", "type": "port", "config": {"key": "route"}},
                {"name": "x", "type": "trace"},
                {"name": "y", "type": "trace"},
            ],
            "flow": {
                "type": "graph",
                "nodes": [{"id": n, "component": n} for n in "rxy"],
                "edges": [
                    {"source": "r", "target": "x", "port": "left"},
                    {"source": "r", "target": "y", "port": "right"},
                ],
            },
        }
    )
    job = build_job(blueprint, registry(), project_root=".")
    result = job.execute_in_process(
        run_config=run_config(job, initial_data={"route": "left"}), instance=instance
    )
    meta = _output_metadata(instance, result.run_id, "r")
    assert meta[PORT_METADATA] == "left"
    assert meta[ROUTES_METADATA] == "x"
    assert "trace" in meta[KEYS_WRITTEN_METADATA]
    assert meta[SKILL_METADATA] == "port 1.0.0"
    skipped = {e.step_key for e in result.all_events if e.is_step_skipped}
    assert skipped == {"y"}
    assert final_context(result).metadata.skipped_components == ["y"]


def test_sequential_skip_is_in_metadata(instance: Any) -> None:
    blueprint = Blueprint.model_validate(
        {
            "name": "skip",
            "components": [{"name": "a", "type": "trace"}],
            "flow": {"steps": [{"component": "a", "condition": "context.data.go == True"}]},
        }
    )
    job = build_job(blueprint, registry(), project_root=".")
    result = job.execute_in_process(instance=instance)
    meta = _output_metadata(instance, result.run_id, "a")
    assert meta[SKIPPED_METADATA] is True and meta[SKIP_REASON_METADATA] == "condition false"


def test_loop_visits_are_events(instance: Any) -> None:
    blueprint = self_loop_blueprint("visits", until=3)
    job = build_job(blueprint, registry(), project_root=".")
    result = job.execute_in_process(instance=instance)
    visits = [m for m in _messages(instance, result.run_id) if m.startswith("visit ")]
    assert visits == [
        "visit 1 of l (iteration 0, port again)",
        "visit 2 of l (iteration 1, port again)",
        "visit 3 of l (iteration 2, port done)",
    ]
    meta = _output_metadata(instance, result.run_id, "loop_l")
    assert [v["iteration"] for v in meta[VISITS_METADATA]] == [0, 1, 2]
    assert all(v["duration_ms"] >= 0 for v in meta[VISITS_METADATA])


def _fork_join(name: str, b: tuple[str, dict[str, Any]], c: tuple[str, dict[str, Any]]) -> Any:
    """a forks into b and c (skill, config), which join at j."""
    return Blueprint.model_validate(
        {
            "name": name,
            "components": [
                {"name": "a", "type": "trace"},
                {"name": "b", "type": b[0], "config": b[1]},
                {"name": "c", "type": c[0], "config": c[1]},
                {"name": "j", "type": "trace"},
            ],
            "flow": {
                "type": "graph",
                "nodes": [{"id": n, "component": n} for n in "abcj"],
                "edges": [
                    {"source": "a", "target": "b"},
                    {"source": "a", "target": "c"},
                    {"source": "b", "target": "j"},
                    {"source": "c", "target": "j"},
                ],
            },
        }
    )


def test_join_conflict_is_logged_with_both_nodes(instance: Any) -> None:
    blueprint = _fork_join(
        "conflict", ("set", {"key": "k", "value": 1}), ("set", {"key": "k", "value": 2})
    )
    job = build_job(blueprint, registry(), project_root=".")
    result = job.execute_in_process(instance=instance)
    warnings = [m for m in _messages(instance, result.run_id) if "both wrote" in m]
    assert warnings == [
        "parallel nodes 'b' and 'c' both wrote 'k'; the value from 'c' is "
        "kept, as flowengine's order would have it"
    ]
    assert final_context(result).get("k") == 2


@pytest.mark.parametrize(
    "b,c,warned",
    [
        # c replaces the dict b changed in place: b's change is lost, as in flowengine.
        (("dictput", {"key": "d", "sub": "k"}), ("replace", {"key": "d", "value": {"z": 1}}), True),
        # b replaces first, c changes in place afterwards: both kept, nothing lost.
        (
            ("replace", {"key": "d", "value": {"z": 1}}),
            ("dictput", {"key": "d", "sub": "k"}),
            False,
        ),
        # equal values still count as two writes of one key.
        (("set", {"key": "d", "value": 1}), ("set", {"key": "d", "value": 1}), True),
    ],
)
def test_join_warns_when_a_later_write_discards_a_parallel_one(
    b: tuple[str, dict[str, Any]], c: tuple[str, dict[str, Any]], warned: bool, instance: Any
) -> None:
    blueprint = _fork_join("overwrite", b, c)
    job = build_job(blueprint, registry(), project_root=".")
    result = job.execute_in_process(
        instance=instance, run_config=run_config(job, initial_data={"d": {"a": 0}})
    )
    warnings = [m for m in _messages(instance, result.run_id) if "both wrote 'd'" in m]
    assert len(warnings) == (1 if warned else 0), warnings


class Reader(Skill):
    skill_meta = SkillMeta(name="reader", version="1", consumes=["shared"])

    def process(self, context):  # type: ignore[no-untyped-def]
        return context


class Writer(Skill):
    skill_meta = SkillMeta(name="writer", version="1", provides=["shared"])

    def process(self, context):  # type: ignore[no-untyped-def]
        context.set("shared", 1)
        return context


def test_parallel_read_warns_at_build(caplog: pytest.LogCaptureFixture) -> None:
    skills = registry()
    skills.register(Reader)
    skills.register(Writer)
    blueprint = Blueprint.model_validate(
        {
            "name": "parallel-read",
            "components": [
                {"name": "r", "type": "reader"},
                {"name": "w", "type": "writer"},
                {"name": "s", "type": "trace"},
            ],
            "flow": {
                "type": "graph",
                "nodes": [{"id": n, "component": n} for n in "srw"],
                "edges": [{"source": "s", "target": "r"}, {"source": "s", "target": "w"}],
            },
        }
    )
    with caplog.at_level(logging.WARNING, logger="neurocore_dagster"):
        build_job(blueprint, skills, project_root=".")
    assert "node 'r' consumes shared, which parallel node 'w' provides" in caplog.text
