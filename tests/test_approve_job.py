"""The approve job (``neurocore__approve_run``) on a real sqlite instance, in process.

It decides a suspended run of the example project's ``publish_with_approval``
exactly as ``runs approve`` does: one decision per suspension, the decision on
the child run's tags and in its final context. The UI path (launched by a real
webserver, run in a run worker process) is in test_webserver_approvals.py.
"""

from __future__ import annotations

import getpass
import multiprocessing
import shutil
import uuid
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml
from dagster._core.instance import InstanceRef
from hypothesis import given, settings
from hypothesis import strategies as st

from neurocore_dagster import BlueprintError, build_definitions, execute_blueprint, final_context
from neurocore_dagster.blueprint.loader import load_blueprint
from neurocore_dagster.dagster_layer.approvals.approve_job import (
    APPROVE_OP_NAME,
    find_run,
    served_project,
)
from neurocore_dagster.dagster_layer.approvals.reexecution_claims import children_of
from neurocore_dagster.dagster_layer.storage.run_outcome import run_failure_message
from neurocore_dagster.errors import ExecutionError
from neurocore_dagster.keys import (
    APPROVE_JOB_NAME,
    DECIDED_BY_TAG,
    DECIDED_IN_TAG,
    DECIDES_TAG,
    DECISION_NOTE_TAG,
    DECISION_TAG,
    PACKAGE_JOB_PREFIX,
    RESUMED_IN_TAG,
    STATUS_TAG,
)

ROOT = Path(__file__).resolve().parent.parent
GATED = ROOT / "blueprints" / "publish_with_approval.yaml"


@pytest.fixture(scope="module")
def approve_job() -> dg.JobDefinition:
    return build_definitions(ROOT).resolve_job_def(APPROVE_JOB_NAME)


def suspended(instance: dg.DagsterInstance) -> str:
    run = execute_blueprint(load_blueprint(GATED), instance=instance, project_root=ROOT)
    assert run.status == "suspended"
    return run.run_id


def approve(
    job: dg.JobDefinition,
    instance: dg.DagsterInstance,
    tags: dict[str, str] | None = None,
    **config: Any,
) -> dg.ExecuteInProcessResult:
    run_config = {"ops": {APPROVE_OP_NAME: {"config": config}}}
    return job.execute_in_process(
        run_config=run_config, instance=instance, tags=tags, raise_on_error=False
    )


def failure_text(result: dg.ExecuteInProcessResult) -> str:
    [event] = [e for e in result.all_events if e.is_step_failure]
    error = event.step_failure_data.error
    assert error is not None
    return "\n".join(e.message for e in (error, error.cause) if e is not None)


def test_approves_a_suspended_run_by_prefix(
    approve_job: dg.JobDefinition, instance: dg.DagsterInstance
) -> None:
    parent = suspended(instance)
    result = approve(approve_job, instance, run_id=parent[:13], approved=True, note="ok", by="ada")
    assert result.success
    tags = instance.get_run_by_id(result.run_id).tags
    child = tags[RESUMED_IN_TAG]
    assert tags[DECIDES_TAG] == parent
    assert [r.run_id for r in children_of(instance, parent)] == [child]
    child_run = instance.get_run_by_id(child)
    assert child_run.status == dg.DagsterRunStatus.SUCCESS
    assert child_run.tags[DECISION_TAG] == "approved"
    assert child_run.tags[DECIDED_BY_TAG] == "ada"
    assert child_run.tags[DECISION_NOTE_TAG] == "ok"
    parent_tags = instance.get_run_by_id(parent).tags
    assert parent_tags[STATUS_TAG] == "decided"
    assert parent_tags[DECIDED_IN_TAG] == child
    context = final_context(child, instance=instance)
    assert context.get("approval") == {"approved": True, "note": "ok", "by": "ada"}
    assert context.get("published")


def test_a_second_decision_fails_naming_the_first(
    approve_job: dg.JobDefinition, instance: dg.DagsterInstance
) -> None:
    parent = suspended(instance)
    assert approve(approve_job, instance, run_id=parent, approved=True, by="ada").success
    again = approve(approve_job, instance, run_id=parent, approved=False, by="bob")
    assert not again.success
    text = failure_text(again)
    assert "already decided by 'ada'" in text and "(approved)" in text
    assert len(children_of(instance, parent)) == 1


def decide_in_process(ref: InstanceRef, parent: str, by: str, gate: Any) -> None:
    """In a fresh process, as a run worker: build the definitions, launch the approve job."""
    job = build_definitions(ROOT).resolve_job_def(APPROVE_JOB_NAME)
    with dg.DagsterInstance.from_ref(ref) as instance:
        gate.wait()
        approve(job, instance, run_id=parent, approved=True, by=by)


def test_concurrent_approve_runs_make_one_decision(instance: dg.DagsterInstance) -> None:
    parent = suspended(instance)
    deciders = ("ada", "bob", "cy")
    spawn = multiprocessing.get_context("spawn")
    gate = spawn.Barrier(len(deciders))
    processes = [
        spawn.Process(target=decide_in_process, args=(instance.get_ref(), parent, by, gate))
        for by in deciders
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=300)
        assert process.exitcode == 0
    runs = instance.get_runs(filters=dg.RunsFilter(tags={DECIDES_TAG: parent}))
    assert len(runs) == len(deciders)
    [winner] = [r for r in runs if r.status == dg.DagsterRunStatus.SUCCESS]
    [child] = children_of(instance, parent)
    assert winner.tags[RESUMED_IN_TAG] == child.run_id
    decider = child.tags[DECIDED_BY_TAG]
    for loser in (r for r in runs if r.run_id != winner.run_id):
        assert loser.status == dg.DagsterRunStatus.FAILURE
        assert f"already decided by {decider!r}" in run_failure_message(instance, loser.run_id)


def test_a_rejection_fails_the_gate_and_the_approve_run(
    approve_job: dg.JobDefinition, instance: dg.DagsterInstance
) -> None:
    parent = suspended(instance)
    result = approve(approve_job, instance, run_id=parent, approved=False, note="no", by="ed")
    assert not result.success  # require: true fails the child, as `runs approve` exits 1
    assert f"run {parent} was rejected by 'ed'" in failure_text(result)
    [child] = children_of(instance, parent)
    assert child.status == dg.DagsterRunStatus.FAILURE
    assert child.tags[DECISION_TAG] == "rejected"
    assert instance.get_run_by_id(parent).tags[STATUS_TAG] == "decided"
    assert instance.get_run_by_id(result.run_id).tags[RESUMED_IN_TAG] == child.run_id


def test_the_decider_defaults_to_the_launching_user_then_the_os_user(
    approve_job: dg.JobDefinition, instance: dg.DagsterInstance
) -> None:
    by_tag, by_os = suspended(instance), suspended(instance)
    assert approve(approve_job, instance, {"user": "ada@example.com"}, run_id=by_tag, approved=True)
    assert approve(approve_job, instance, run_id=by_os, approved=True).success
    [tagged] = children_of(instance, by_tag)
    [os_user] = children_of(instance, by_os)
    assert tagged.tags[DECIDED_BY_TAG] == "ada@example.com"
    assert os_user.tags[DECIDED_BY_TAG] == getpass.getuser()


def test_a_run_that_is_not_pending_is_refused(
    approve_job: dg.JobDefinition, instance: dg.DagsterInstance
) -> None:
    done = execute_blueprint(
        load_blueprint(ROOT / "blueprints" / "greet.yaml"), instance=instance, project_root=ROOT
    )
    result = approve(approve_job, instance, run_id=done.run_id, approved=True, by="ada")
    text = failure_text(result)
    assert f"run {done.run_id} (greet_flow) is success, not suspended" in text
    assert f"{STATUS_TAG}=suspended" in text
    assert not children_of(instance, done.run_id)


@pytest.mark.parametrize("given_id", ["", "not-a-run!", "ffffffff-ffff"])
def test_unknown_run_ids_are_refused(
    approve_job: dg.JobDefinition, instance: dg.DagsterInstance, given_id: str
) -> None:
    result = approve(approve_job, instance, run_id=given_id, approved=True, by="ada")
    assert f"run_id {given_id!r}" in failure_text(result)


HEX = "0123456789abcdef"


@settings(max_examples=30)
@given(
    ids=st.lists(st.text(HEX, min_size=3, max_size=3), min_size=1, max_size=6, unique=True),
    prefix=st.text(HEX, min_size=1, max_size=3),
)
def test_a_prefix_finds_exactly_the_run_it_names(ids: list[str], prefix: str) -> None:
    """A unique prefix finds its run; none or several are refused, naming the candidates."""
    stem = uuid.uuid4().hex[:8]  # each example's ids are its own
    with dg.instance_for_test() as inst:
        full = [f"{stem}{i}" for i in ids]
        for run_id in full:
            inst.add_run(dg.DagsterRun(job_name="j", run_id=run_id))
        matching = sorted(r for r in full if r.startswith(stem + prefix))
        if len(matching) == 1:
            assert find_run(inst, (stem + prefix).upper()).run_id == matching[0]
            return
        with pytest.raises(ExecutionError) as caught:
            find_run(inst, stem + prefix)
        if matching:
            assert "ambiguous" in str(caught.value)
            assert all(r in str(caught.value) for r in matching[:5])
        else:
            assert "no run in this Dagster instance" in str(caught.value)


def test_a_blueprint_cannot_take_the_approve_jobs_name(tmp_path: Path) -> None:
    (tmp_path / "blueprints").mkdir()
    (tmp_path / "blueprints" / "clash.yaml").write_text(
        "name: neurocore__approve_run\ncomponents:\n  - name: a\n    type: approval\n"
        "flow:\n  steps: [{component: a}]\n"
    )
    defs = build_definitions(tmp_path)
    assert APPROVE_JOB_NAME in {job.name for job in defs.resolve_all_job_defs()}
    description = defs.resolve_job_def("broken__clash").description or ""
    assert "clash.yaml" in description and "job.reserved_name" in description
    assert repr(PACKAGE_JOB_PREFIX) in description
    with pytest.raises(BlueprintError) as caught:
        build_definitions(tmp_path, strict=True)
    [problem] = caught.value.issues
    assert (problem.type, problem.line) == ("job.reserved_name", 1)


def test_the_suspended_runs_log_gives_a_launchpad_config_that_works(
    approve_job: dg.JobDefinition, instance: dg.DagsterInstance
) -> None:
    parent = suspended(instance)
    [hint] = [e.user_message for e in instance.all_logs(parent) if "Decide with" in e.user_message]
    written = hint.split(f"launch job {APPROVE_JOB_NAME} with config ", 1)[1]
    config = yaml.safe_load(written.split(" (or re-execute", 1)[0])
    result = approve_job.execute_in_process(run_config=config, instance=instance)
    assert result.success
    assert instance.get_run_by_id(result.run_id).tags[DECIDES_TAG] == parent


def test_two_projects_in_one_code_location_share_the_job(
    instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    """Two ``dg`` components (two projects) load together; each run is decided in its own."""
    copy = tmp_path / "copy"
    shutil.copytree(ROOT / "skills", copy / "skills")
    shutil.copy(ROOT / "neurocore.yaml", copy / "neurocore.yaml")
    (copy / "blueprints").mkdir()
    text = GATED.read_text().replace("name: publish-with-approval", "name: publish-copy")
    (copy / "blueprints" / "publish_with_approval.yaml").write_text(text)
    defs = dg.Definitions.merge(build_definitions(ROOT), build_definitions(copy))
    job = defs.resolve_job_def(APPROVE_JOB_NAME)  # one job: no duplicate-definition error
    blueprint = load_blueprint(copy / "blueprints" / "publish_with_approval.yaml")
    parent = execute_blueprint(blueprint, instance=instance, project_root=copy).run_id
    run = instance.get_run_by_id(parent)
    assert served_project(instance, run).root == copy.resolve()
    assert served_project(instance, instance.get_run_by_id(suspended(instance))).root == ROOT
    assert approve(job, instance, run_id=parent, approved=True, by="ada").success
