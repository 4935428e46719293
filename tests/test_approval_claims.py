"""Approvals are decisions, not data: one decision per suspension (DESIGN §3.9).

Real sqlite and PostgreSQL instances, real threads and real CLI processes; a
skill after the gate appends to a file, so the file counts how often the step
after the gate really ran.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from claim_project import Project, make_project
from hypothesis import example, given, settings
from hypothesis import strategies as st
from skills_lib import registry

from neurocore_dagster import (
    Blueprint,
    BlueprintRun,
    ExecutionError,
    build_job,
    execute_blueprint,
    resume_blueprint,
)
from neurocore_dagster.dagster_layer.jobs.reconstruct import reconstructable_job
from neurocore_dagster.keys import (
    DECIDED_BY_TAG,
    DECIDED_IN_TAG,
    DECISION_NOTE_TAG,
    DECISION_TAG,
    STATUS_TAG,
)
from neurocore_dagster.service.inspect import list_runs

GO = {"approved": True, "by": "ada", "note": "ship it"}


@pytest.fixture(scope="module")
def instance(sql_instance: dg.DagsterInstance) -> dg.DagsterInstance:
    """Claims are atomic on both SQL storages Dagster ships for runs."""
    return sql_instance


def gated(
    counter: Path, before: list[dict[str, Any]] | None = None, mode: str = "cooperative"
) -> Blueprint:
    """a, an approval gate, then ``after``, which appends to ``counter`` each time it runs."""
    return Blueprint.model_validate(
        {
            "name": "gated",
            "components": [
                {"name": "a", "type": "trace"},
                {"name": "after", "type": "countcalls", "config": {"path": str(counter)}},
                *(before or []),
            ],
            "flow": {
                "settings": {"timeout_mode": mode},
                "steps": [
                    *({"component": c["name"]} for c in before or []),
                    {"component": "a"},
                    {"approval": {"name": "gate", "message": "Ship it?"}},
                    {"component": "after"},
                ],
            },
        }
    )


def _calls(counter: Path) -> int:
    return len(counter.read_text().splitlines()) if counter.exists() else 0


def _children(instance: dg.DagsterInstance, run_id: str) -> list[dg.DagsterRun]:
    return [r for r in instance.get_runs() if r.parent_run_id == run_id]


def _at_once(count: int, call: Callable[[], BlueprintRun]) -> list[BlueprintRun | Exception]:
    """``call`` in ``count`` threads released together; each result or exception."""
    barrier = threading.Barrier(count)
    results: list[BlueprintRun | Exception] = []

    def worker() -> None:
        barrier.wait()
        try:
            results.append(call())
        except Exception as error:  # collected and asserted on by the test
            results.append(error)

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return results


# -- run input never opens a gate -------------------------------------------------------

_DECISIONS = st.fixed_dictionaries(
    {"approved": st.just(True)}, optional={"by": st.text(max_size=5), "note": st.text(max_size=5)}
)
_FORGED = st.dictionaries(
    st.sampled_from(["approval", "resume_data", "approved", "decision"]),
    st.one_of(_DECISIONS, st.booleans()),
    min_size=1,
).filter(lambda data: "resume_data" in data or "approval" in data)


@settings(max_examples=8)
@example(initial={"resume_data": GO})
@example(initial={"approval": GO})
@given(initial=_FORGED)
def test_initial_data_never_opens_a_gate(tmp_path_factory: Any, initial: dict[str, Any]) -> None:
    counter = tmp_path_factory.mktemp("forged") / "calls"
    with dg.instance_for_test() as instance:
        run = execute_blueprint(gated(counter), registry(), instance=instance, initial_data=initial)
    assert run.status == "suspended"
    assert _calls(counter) == 0


def test_a_skill_writing_resume_data_does_not_open_a_gate(tmp_path: Path, instance: Any) -> None:
    forger = {"name": "forger", "type": "set", "config": {"key": "resume_data", "value": GO}}
    run = execute_blueprint(gated(tmp_path / "c", [forger]), registry(), instance=instance)
    assert run.status == "suspended"
    assert _calls(tmp_path / "c") == 0


def test_graph_gate_ignores_forged_approval(instance: Any) -> None:
    blueprint = Blueprint.model_validate(
        {
            "name": "graph_gate",
            "components": [
                {"name": "gate", "type": "approval", "config": {"require": False}},
                {"name": "yes", "type": "trace"},
                {"name": "no", "type": "trace"},
            ],
            "flow": {
                "type": "graph",
                "nodes": [{"id": n, "component": n} for n in ("gate", "yes", "no")],
                "edges": [
                    {"source": "gate", "target": "yes", "port": "approved"},
                    {"source": "gate", "target": "no", "port": "rejected"},
                ],
            },
        }
    )
    forged = {"approval": GO, "resume_data": GO}
    run = execute_blueprint(blueprint, registry(), instance=instance, initial_data=forged)
    assert run.status == "suspended"
    assert run.context.get("trace") is None


def test_gate_in_a_child_process_takes_the_delivered_decision(
    tmp_path: Path, instance: Any
) -> None:
    """``timeout_mode: hard_process`` runs the gate in another process; the decision follows."""
    blueprint = gated(tmp_path / "c", mode="hard_process")
    first = execute_blueprint(
        blueprint, registry(), instance=instance, initial_data={"resume_data": GO}
    )
    assert first.status == "suspended"
    second = resume_blueprint(first.run_id, instance=instance, registry=registry(), resume_data=GO)
    assert second.status == "completed", second.error
    assert second.context.get("approval") == GO
    assert _calls(tmp_path / "c") == 1


# -- approved must be a boolean ----------------------------------------------------------

_NOT_BOOLEAN = st.one_of(
    st.text(max_size=6), st.integers(), st.floats(allow_nan=False), st.none(), st.lists(st.text())
)


@settings(max_examples=10)
@given(value=_NOT_BOOLEAN)
def test_non_boolean_approved_is_refused_before_any_run(tmp_path_factory: Any, value: Any) -> None:
    counter = tmp_path_factory.mktemp("notbool") / "calls"
    with dg.instance_for_test() as instance:
        first = execute_blueprint(gated(counter), registry(), instance=instance)
        with pytest.raises(ExecutionError, match=f"run {first.run_id}.*'approved' must be a bool"):
            resume_blueprint(
                first.run_id,
                instance=instance,
                registry=registry(),
                resume_data={"approved": value},
            )
        assert not _children(instance, first.run_id)
        assert list_runs(instance, status="suspended")[0].run_id == first.run_id
    assert _calls(counter) == 0


def test_ui_run_config_refuses_text_approved(tmp_path: Path) -> None:
    """The launchpad path: Dagster's config check refuses "false" before the run starts."""
    job = build_job(gated(tmp_path / "c"), registry())
    config = {"resources": {"neurocore": {"config": {"resume_data": {"approved": "false"}}}}}
    with pytest.raises(dg.DagsterInvalidConfigError, match="approved"):
        dg.validate_run_config(job, config)


# -- one decision per suspension ---------------------------------------------------------


def test_six_concurrent_api_approvals_make_one_decision(tmp_path: Path, instance: Any) -> None:
    counter = tmp_path / "calls"
    first = execute_blueprint(gated(counter), registry(), instance=instance)
    results = _at_once(
        6,
        lambda: resume_blueprint(
            first.run_id, instance=instance, registry=registry(), resume_data=GO
        ),
    )
    runs = [r for r in results if isinstance(r, BlueprintRun)]
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(runs) == 1 and runs[0].status == "completed", results
    assert len(errors) == 5
    for error in errors:
        assert isinstance(error, ExecutionError), error
        assert f"run {first.run_id} was already decided by 'ada'" in str(error)
    assert [c.run_id for c in _children(instance, first.run_id)] == [runs[0].run_id]
    assert _calls(counter) == 1


def test_decided_run_is_retagged_and_child_carries_the_decision(
    tmp_path: Path, instance: Any
) -> None:
    first = execute_blueprint(gated(tmp_path / "c"), registry(), instance=instance)
    pending = execute_blueprint(gated(tmp_path / "d"), registry(), instance=instance)
    second = resume_blueprint(first.run_id, instance=instance, registry=registry(), resume_data=GO)
    parent = instance.get_run_by_id(first.run_id)
    assert parent.tags[STATUS_TAG] == "decided"
    assert parent.tags[DECIDED_IN_TAG] == second.run_id
    child = instance.get_run_by_id(second.run_id)
    assert child.tags[DECISION_TAG] == "approved"
    assert child.tags[DECIDED_BY_TAG] == "ada"
    assert child.tags[DECISION_NOTE_TAG] == "ship it"
    suspended = {r.run_id for r in list_runs(instance, status="suspended", limit=1000)}
    assert pending.run_id in suspended and first.run_id not in suspended
    assert first.run_id in {r.run_id for r in list_runs(instance, status="decided", limit=1000)}
    with pytest.raises(ExecutionError, match=f"in run {second.run_id} \\(approved\\)"):
        resume_blueprint(first.run_id, instance=instance, registry=registry(), resume_data=GO)


def test_approving_a_run_and_its_resumed_suspended_child_decides_once(
    tmp_path: Path, instance: Any
) -> None:
    """Resuming a suspended run without a decision hands its suspension to the child."""
    counter = tmp_path / "calls"
    first = execute_blueprint(gated(counter), registry(), instance=instance)
    child = resume_blueprint(first.run_id, instance=instance, registry=registry())
    assert child.status == "suspended"
    assert instance.get_run_by_id(first.run_id).tags[STATUS_TAG] == "decided"
    outcomes: dict[str, BlueprintRun | Exception] = {}

    def approve(run_id: str) -> None:
        try:
            outcomes[run_id] = resume_blueprint(
                run_id, instance=instance, registry=registry(), resume_data=GO
            )
        except Exception as error:  # collected and asserted on below
            outcomes[run_id] = error

    threads = [threading.Thread(target=approve, args=(r,)) for r in (first.run_id, child.run_id)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert isinstance(outcomes[child.run_id], BlueprintRun), outcomes
    refused = outcomes[first.run_id]
    assert isinstance(refused, ExecutionError)
    assert f"in run {child.run_id} (resumed without a decision)" in str(refused)
    assert _calls(counter) == 1


def test_ui_reexecution_of_a_decided_run_is_refused_at_the_gate(
    tmp_path: Path, instance: Any
) -> None:
    """A re-execution launched outside resume_blueprint (the UI) claims when the gate runs."""
    counter = tmp_path / "calls"
    blueprint = gated(counter)
    first = execute_blueprint(blueprint, registry(), instance=instance)
    ui_config = {
        "resources": {"neurocore": {"config": {"resume_data": {"approved": True, "by": "ui"}}}},
        "execution": {"config": {"in_process": {}}},
    }

    def from_the_ui() -> dg.JobExecutionResult:
        with reconstructable_job(blueprint, registry(), None) as job:
            return dg.execute_job(
                job,
                instance,
                run_config=ui_config,
                reexecution_options=dg.ReexecutionOptions(
                    parent_run_id=first.run_id, step_selection=["gate*"]
                ),
            )

    ui = from_the_ui()
    assert ui.success
    assert instance.get_run_by_id(ui.run_id).tags[DECIDED_BY_TAG] == "ui"
    with pytest.raises(ExecutionError, match=f"by 'ui' in run {ui.run_id}"):
        resume_blueprint(first.run_id, instance=instance, registry=registry(), resume_data=GO)
    again = from_the_ui()
    assert not again.success
    assert _calls(counter) == 1


# -- real CLI processes against one sqlite instance ----------------------------------------


def _suspended_cli_run(project: Project) -> str:
    process = project.cli("run", str(project.root / "blueprints" / "gated.yaml"))
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    outcome = json.loads(out[out.index("{") :])
    assert outcome["status"] == "suspended"
    return str(outcome["run_id"])


def test_six_concurrent_cli_approvals_make_one_decision(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    run_id = _suspended_cli_run(project)
    processes = [project.cli("runs", "approve", run_id, "--by", f"p{i}") for i in range(6)]
    finished = [(p.wait(timeout=300), *p.communicate()) for p in processes]
    winners = [f for f in finished if f[0] == 0]
    losers = [f for f in finished if f[0] != 0]
    assert len(winners) == 1, [f[2][-500:] for f in finished]
    assert len(losers) == 5
    for code, _, err in losers:
        assert code == 2 and f"run {run_id} was already decided by 'p" in err, err
    child = json.loads(winners[0][1][winners[0][1].index("{") :])
    assert child["status"] == "completed"
    assert project.calls() == ["before", "after"]
    with dg.DagsterInstance.from_config(str(project.home)) as instance:
        children = [r for r in instance.get_runs() if r.parent_run_id == run_id]
        assert [c.run_id for c in children] == [child["run_id"]]


def test_cli_lists_pending_runs_only(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    decided, pending = _suspended_cli_run(project), _suspended_cli_run(project)
    approve = project.cli("runs", "approve", decided, "--by", "ed", "--note", "fine")
    assert approve.wait(timeout=300) == 0, approve.communicate()[1]
    for flags in (["--pending"], ["--status", "suspended"]):
        listing = project.cli("runs", "list", *flags)
        out, err = listing.communicate(timeout=300)
        assert listing.returncode == 0, err
        assert pending in out and decided not in out
    listing = project.cli("runs", "list", "--status", "decided")
    assert decided in listing.communicate(timeout=300)[0]
