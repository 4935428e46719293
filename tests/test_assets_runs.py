"""Declared outputs as assets on a real instance: materializations and checks per run."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from skills_lib import registry

from neurocore_dagster import Blueprint, ExecutionError, execute_blueprint, resume_blueprint
from neurocore_dagster.keys import ASSET_BLUEPRINT_KEY, ASSET_NODE_KEY, ASSET_VERSION_KEY


def _events(instance: dg.DagsterInstance, run_id: str, kind: dg.DagsterEventType) -> list[Any]:
    records = instance.get_records_for_run(run_id, of_type=kind).records
    return [r.event_log_entry.dagster_event.event_specific_data for r in records]


def _materialized(instance: dg.DagsterInstance, run_id: str) -> dict[str, dict[str, Any]]:
    found = {}
    for data in _events(instance, run_id, dg.DagsterEventType.ASSET_MATERIALIZATION):
        m = data.materialization
        found[m.asset_key.to_user_string()] = {k: v.value for k, v in m.metadata.items()}
    return found


def _checks(instance: dg.DagsterInstance, run_id: str) -> dict[str, dg.AssetCheckEvaluation]:
    found = {}
    for data in _events(instance, run_id, dg.DagsterEventType.ASSET_CHECK_EVALUATION):
        found[f"{data.asset_key.to_user_string()}:{data.check_name}"] = data
    return found


def _setter(name: str, key: str, value: Any) -> dict[str, Any]:
    return {"name": name, "type": "set", "config": {"key": key, "value": value}}


def test_only_the_active_branch_materializes(instance: dg.DagsterInstance) -> None:
    ns = f"b{uuid.uuid4().hex[:8]}"
    bp = Blueprint.model_validate(
        {
            "name": "branches",
            "version": "2.1",
            "outputs": {
                "left": {"type": "string", "asset": {"key": f"{ns}/left", "deps": ["raw/x"]}},
                "right": {"type": "string", "asset": {"key": f"{ns}/right"}},
            },
            "components": [
                {"name": "router", "type": "port", "config": {"key": "route"}},
                _setter("l", "left", "went left"),
                _setter("r", "right", "went right"),
            ],
            "flow": {
                "type": "graph",
                "nodes": [
                    {"id": "route", "component": "router"},
                    {"id": "l", "component": "l"},
                    {"id": "r", "component": "r"},
                ],
                "edges": [
                    {"source": "route", "target": "l", "port": "left"},
                    {"source": "route", "target": "r", "port": "right"},
                ],
            },
        }
    )
    run = execute_blueprint(bp, registry(), initial_data={"route": "left"}, instance=instance)
    assert run.status == "completed"
    found = _materialized(instance, run.run_id)
    assert set(found) == {f"{ns}/left"}
    meta = found[f"{ns}/left"]
    assert meta["preview"] == "went left" and meta["type"] == "string"
    assert meta["size_bytes"] == len('"went left"')
    assert meta["run_id"] == run.run_id
    assert meta[ASSET_BLUEPRINT_KEY] == "branches"
    assert meta[ASSET_VERSION_KEY] == "2.1"
    assert meta[ASSET_NODE_KEY] == "l"


def _gated(ns: str) -> Blueprint:
    return Blueprint.model_validate(
        {
            "name": "gated",
            "outputs": {
                "draft": {"type": "string", "asset": {"key": f"{ns}/draft"}},
                "post": {"type": "string", "asset": {"key": f"{ns}/post"}},
            },
            "components": [_setter("w", "draft", "a draft"), _setter("p", "post", "posted")],
            "flow": {
                "steps": [
                    {"component": "w"},
                    {"approval": {"name": "review", "message": "ok?", "require": True}},
                    {"component": "p"},
                ]
            },
        }
    )


def test_suspended_run_records_only_what_came_before_the_gate(
    instance: dg.DagsterInstance,
) -> None:
    ns = f"g{uuid.uuid4().hex[:8]}"
    reg = registry()
    run = execute_blueprint(_gated(ns), reg, instance=instance)
    assert run.status == "suspended"
    assert set(_materialized(instance, run.run_id)) == {f"{ns}/draft"}
    resumed = resume_blueprint(
        run.run_id, instance=instance, registry=reg, resume_data={"approved": True}
    )
    assert resumed.status == "completed"
    assert set(_materialized(instance, resumed.run_id)) == {f"{ns}/post"}
    assert (
        instance.fetch_materializations(dg.AssetKey([ns, "draft"]), limit=10).records[0].run_id
        == run.run_id
    )


def _checked(ns: str, blocking: bool) -> Blueprint:
    return Blueprint.model_validate(
        {
            "name": "checked",
            "outputs": {
                "reply": {
                    "type": "string",
                    "asset": {
                        "key": f"{ns}/reply",
                        "checks": [
                            {"present": {}},
                            {"json_schema": {"type": "string"}},
                            {
                                "condition": {
                                    "expression": "len(value) > 10",
                                    "name": "long_enough",
                                    "blocking": blocking,
                                }
                            },
                        ],
                    },
                },
                "after": {"type": "string", "asset": {"key": f"{ns}/after"}},
            },
            "components": [_setter("w", "reply", "short"), _setter("a", "after", "later")],
            "flow": {"steps": [{"component": "w"}, {"component": "a"}]},
        }
    )


def test_failing_non_blocking_check_is_recorded_and_the_run_goes_on(
    instance: dg.DagsterInstance,
) -> None:
    ns = f"c{uuid.uuid4().hex[:8]}"
    run = execute_blueprint(_checked(ns, blocking=False), registry(), instance=instance)
    assert run.status == "completed"
    checks = _checks(instance, run.run_id)
    assert checks[f"{ns}/reply:present"].passed
    assert checks[f"{ns}/reply:json_schema"].passed
    failed = checks[f"{ns}/reply:long_enough"]
    assert not failed.passed and not failed.blocking
    assert failed.severity == dg.AssetCheckSeverity.WARN
    assert set(_materialized(instance, run.run_id)) == {f"{ns}/reply", f"{ns}/after"}


def test_failing_blocking_check_stops_downstream_and_fails_the_run(
    instance: dg.DagsterInstance,
) -> None:
    ns = f"k{uuid.uuid4().hex[:8]}"
    run = execute_blueprint(_checked(ns, blocking=True), registry(), instance=instance)
    assert run.status == "failed"
    failed = _checks(instance, run.run_id)[f"{ns}/reply:long_enough"]
    assert not failed.passed and failed.blocking
    assert set(_materialized(instance, run.run_id)) == {f"{ns}/reply"}  # `a` never ran
    assert "after" not in run.context.data


def test_resume_after_failure_materializes_only_what_the_new_run_wrote(
    instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    """Re-execution from failure: ops that succeeded are not run again, so their assets
    are not recorded again; the resumed op records its own. The final context is the one
    the same blueprint without ``asset:`` ends with."""
    ns = f"r{uuid.uuid4().hex[:8]}"
    flag, calls = tmp_path / "flag", tmp_path / "calls"
    doc = {
        "name": "resumable",
        "outputs": {
            "first": {"type": "string", "asset": {"key": f"{ns}/first"}},
            "done_gate": {"type": "boolean", "asset": {"key": f"{ns}/gate"}},
        },
        "components": [
            _setter("w", "first", "one"),
            {
                "name": "gate",
                "type": "fail_until_file",
                "config": {"path": str(flag), "calls": str(calls)},
            },
        ],
        "flow": {"steps": [{"component": "w"}, {"component": "gate"}]},
    }
    reg = registry()
    failed = execute_blueprint(Blueprint.model_validate(doc), reg, instance=instance)
    assert failed.status == "failed"
    assert set(_materialized(instance, failed.run_id)) == {f"{ns}/first"}
    flag.write_text("go")
    resumed = resume_blueprint(failed.run_id, instance=instance, registry=reg)
    assert resumed.status == "completed"
    assert set(_materialized(instance, resumed.run_id)) == {f"{ns}/gate"}
    plain = {**doc, "outputs": {k: {"type": v["type"]} for k, v in doc["outputs"].items()}}
    baseline = execute_blueprint(Blueprint.model_validate(plain), reg, instance=instance)
    assert resumed.context.data.to_dict() == baseline.context.data.to_dict()


def test_approving_twice_at_once_records_the_gated_asset_once(
    instance: dg.DagsterInstance,
) -> None:
    """Two decisions on one suspended run, sequentially then concurrently: one child run,
    so the asset after the gate is materialized once."""
    ns = f"a{uuid.uuid4().hex[:8]}"
    reg = registry()
    run = execute_blueprint(_gated(ns), reg, instance=instance)
    assert run.status == "suspended"
    barrier = threading.Barrier(3)
    results: list[Any] = []

    def decide() -> None:
        barrier.wait()
        try:
            results.append(
                resume_blueprint(
                    run.run_id, instance=instance, registry=reg, resume_data={"approved": True}
                )
            )
        except Exception as error:  # collected and asserted on below
            results.append(error)

    threads = [threading.Thread(target=decide) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    decided = [r for r in results if not isinstance(r, Exception)]
    assert len(decided) == 1 and decided[0].status == "completed", results
    assert all(isinstance(r, ExecutionError) for r in results if isinstance(r, Exception))
    with pytest.raises(ExecutionError):  # the later, sequential decision is refused too
        resume_blueprint(
            run.run_id, instance=instance, registry=reg, resume_data={"approved": True}
        )
    post = instance.fetch_materializations(dg.AssetKey([ns, "post"]), limit=10).records
    assert [r.run_id for r in post] == [decided[0].run_id]
