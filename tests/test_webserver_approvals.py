"""Approvals from the UI: the approve job launched through a real ``dagster-webserver``.

Runs are launched over GraphQL as the launchpad does; the webserver's default
run launcher runs each in its own run worker process, on the instance of the
temporary ``DAGSTER_HOME``, so the approve run's child run is created and run
there, with the example project's code.
"""

from __future__ import annotations

from typing import Any

import dagster as dg
from webserver_process import Webserver

from neurocore_dagster import final_context
from neurocore_dagster.dagster_layer.approvals.approve_job import APPROVE_OP_NAME
from neurocore_dagster.dagster_layer.approvals.reexecution_claims import children_of
from neurocore_dagster.dagster_layer.storage.run_outcome import run_failure_message
from neurocore_dagster.keys import (
    APPROVE_JOB_NAME,
    DECIDED_BY_TAG,
    DECIDED_IN_TAG,
    DECIDES_TAG,
    DECISION_NOTE_TAG,
    DECISION_TAG,
    RESUMED_IN_TAG,
    STATUS_TAG,
)


def launch_approve(server: Webserver, run_id: str, **decision: Any) -> str:
    config = {"ops": {APPROVE_OP_NAME: {"config": {"run_id": run_id, **decision}}}}
    return server.launch(APPROVE_JOB_NAME, config)


def test_approve_run_decides_a_suspended_run(webserver: Webserver) -> None:
    parent = webserver.suspended_run()
    approver = launch_approve(webserver, parent[:8], approved=True, note="looks good", by="ada")
    assert webserver.wait_for_run(approver) == "SUCCESS"
    with webserver.instance() as instance:
        tags = instance.get_run_by_id(approver).tags
        [child] = children_of(instance, parent)
        assert tags[DECIDES_TAG] == parent
        assert tags[RESUMED_IN_TAG] == child.run_id
        assert child.status == dg.DagsterRunStatus.SUCCESS
        assert child.tags[DECISION_TAG] == "approved"
        assert child.tags[DECIDED_BY_TAG] == "ada"
        assert child.tags[DECISION_NOTE_TAG] == "looks good"
        parent_tags = instance.get_run_by_id(parent).tags
        assert parent_tags[STATUS_TAG] == "decided"
        assert parent_tags[DECIDED_IN_TAG] == child.run_id
        context = final_context(child.run_id, instance=instance)
        assert context.get("approval") == {"approved": True, "note": "looks good", "by": "ada"}
        assert context.get("published", "").startswith("Human-in-the-loop")


def test_two_concurrent_approve_runs_make_one_child(webserver: Webserver) -> None:
    parent = webserver.suspended_run()
    first = launch_approve(webserver, parent, approved=True, by="ada")
    second = launch_approve(webserver, parent, approved=False, by="bob")
    statuses = {first: webserver.wait_for_run(first), second: webserver.wait_for_run(second)}
    assert sorted(statuses.values()) == ["FAILURE", "SUCCESS"], statuses
    [winner] = [run for run, status in statuses.items() if status == "SUCCESS"]
    [loser] = [run for run, status in statuses.items() if status == "FAILURE"]
    with webserver.instance() as instance:
        [child] = children_of(instance, parent)
        decider = child.tags[DECIDED_BY_TAG]
        assert instance.get_run_by_id(winner).tags[RESUMED_IN_TAG] == child.run_id
        message = run_failure_message(instance, loser)
        assert f"already decided by {decider!r} in run {child.run_id}" in message
        assert RESUMED_IN_TAG not in instance.get_run_by_id(loser).tags


def test_a_rejection_from_the_ui_fails_the_gate(webserver: Webserver) -> None:
    parent = webserver.suspended_run()
    approver = launch_approve(webserver, parent, approved=False, note="not yet", by="ed")
    assert webserver.wait_for_run(approver) == "FAILURE"
    with webserver.instance() as instance:
        [child] = children_of(instance, parent)
        assert child.status == dg.DagsterRunStatus.FAILURE
        assert child.tags[DECISION_TAG] == "rejected"
        assert child.tags[DECISION_NOTE_TAG] == "not yet"
        assert instance.get_run_by_id(parent).tags[STATUS_TAG] == "decided"
        assert f"run {parent} was rejected by 'ed'" in run_failure_message(instance, approver)
        assert final_context(child.run_id, instance=instance).get("published") is None


def test_pending_runs_are_found_by_the_ui_filter_tag(webserver: Webserver) -> None:
    parent = webserver.suspended_run()
    data = webserver.graphql(
        "query($f: RunsFilter) { runsOrError(filter: $f) { ... on Runs { results { runId } } } }",
        {"f": {"tags": [{"key": STATUS_TAG, "value": "suspended"}]}},
    )
    assert parent in {r["runId"] for r in data["runsOrError"]["results"]}
