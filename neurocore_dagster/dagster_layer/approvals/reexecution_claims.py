"""Claim a run's one decision or one resume before its child run is created.

``resume_blueprint`` calls :func:`claimed_reexecution` around the creation of the
child run. For a suspended run the claim is the suspension's one decision
(:mod:`suspensions`); for a failed run it is the resume, which is refused while
an earlier re-execution of the run succeeded or is still running, unless forced
(a resume re-runs every step that did not succeed, side effects included). Both
use the atomic claims of :mod:`claims`, so of concurrent callers exactly one
creates a child run; the others get an error naming the run and who took it.

A claim passes to a new caller only when its child run failed or was canceled
(a resume), or when the process that took it died before creating one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import dagster as dg

from neurocore_dagster.dagster_layer.approvals.claims import (
    Claim,
    claim_key,
    insert_claim,
    release_claim,
    replace_claim,
)
from neurocore_dagster.dagster_layer.approvals.suspensions import (
    claimed_run,
    decision_tags,
    ended_at_gate,
    new_claim,
    suspension_key,
    taken_message,
)
from neurocore_dagster.dagster_layer.executors.reaping import (
    UNFINISHED,
    reap_dead_runs,
    reap_if_dead,
)
from neurocore_dagster.errors import ExecutionError
from neurocore_dagster.keys import (
    CLAIM_TAG,
    DAGSTER_PARENT_TAG,
    DAGSTER_ROOT_TAG,
    DECIDED,
    STATUS_TAG,
    SUSPENDED,
)

RESUME = "resume"
_ATTEMPTS = 20
_FORCE_HINT = "pass force=True (CLI: --force) to resume it again anyway"


@contextmanager
def claimed_reexecution(
    instance: dg.DagsterInstance,
    run: dg.DagsterRun,
    resume_data: Mapping[str, Any] | None,
    *,
    force: bool,
) -> Iterator[dict[str, str]]:
    """Hold ``run``'s one decision or resume; yield the tags its child run must carry.

    The tags name the claim and, as Dagster's UI does, the run group (parent, root).

    If the body fails before the child run exists, the claim is released.
    """
    claim = new_claim(uuid.uuid4().hex, resume_data)
    if ended_at_gate(run):
        if force:
            raise ExecutionError(
                f"run {run.run_id} is suspended at a gate; force applies to failed runs "
                "only, as a suspended run takes exactly one decision"
            )
        key = suspension_key(run.run_id)
        _take(instance, key, claim, lambda old: _stale(instance, old), _taken(instance, run))
        instance.add_run_tags(run.run_id, {STATUS_TAG: DECIDED, **decision_tags(resume_data)})
    else:
        key = claim_key(RESUME, run.run_id)
        if not force:
            _refuse_if_reexecuted(instance, run)
        replaceable = (lambda _: True) if force else (lambda old: _resume_over(instance, old))
        _take(instance, key, claim, replaceable, _resumed(instance, run))
    try:
        yield {
            CLAIM_TAG: claim.token,
            DAGSTER_PARENT_TAG: run.run_id,
            DAGSTER_ROOT_TAG: run.root_run_id or run.run_id,
        }
    except Exception:
        released = claimed_run(instance, claim) is None and release_claim(instance, key, claim)
        if released and ended_at_gate(run):
            instance.add_run_tags(run.run_id, {STATUS_TAG: SUSPENDED})
        raise


def _take(
    instance: dg.DagsterInstance,
    key: str,
    claim: Claim,
    replaceable: Callable[[Claim], bool],
    refusal: Callable[[Claim], str],
) -> None:
    """Hold ``key`` for ``claim``: insert it, or replace a holder ``replaceable`` allows."""
    for _ in range(_ATTEMPTS):
        holder = insert_claim(instance, key, claim)
        if holder is None:
            return
        if not replaceable(holder):
            raise ExecutionError(refusal(holder))
        if replace_claim(instance, key, holder, claim):
            return
    raise ExecutionError(f"could not claim {key!r}: other callers kept taking it")


def _stale(instance: dg.DagsterInstance, old: Claim) -> bool:
    """A claim whose holder died before it created the child run."""
    return claimed_run(instance, old) is None and old.holder.alive() is False


def _resume_over(instance: dg.DagsterInstance, old: Claim) -> bool:
    """Whether a new resume may follow the one ``old`` claimed (it failed, or never began)."""
    child = claimed_run(instance, old)
    if child is None:
        return old.holder.alive() is False
    child = reap_if_dead(instance, child)
    return child.status in (dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED)


def _taken(instance: dg.DagsterInstance, run: dg.DagsterRun) -> Callable[[Claim], str]:
    return lambda holder: taken_message(instance, run.run_id, holder)


def _resumed(instance: dg.DagsterInstance, run: dg.DagsterRun) -> Callable[[Claim], str]:
    def message(holder: Claim) -> str:
        child = claimed_run(instance, holder)
        where = (
            f"in run {child.run_id} ({child.status.value.lower()})"
            if child is not None
            else f"by {holder.holder.describe()}, whose run has not been created yet"
        )
        return f"run {run.run_id} is already being resumed {where}; {_FORCE_HINT}"

    return message


def children_of(instance: dg.DagsterInstance, run_id: str) -> list[dg.DagsterRun]:
    """The re-executions whose parent is ``run_id``, however they were launched."""
    return list(instance.get_runs(filters=dg.RunsFilter(tags={DAGSTER_PARENT_TAG: run_id})))


def _refuse_if_reexecuted(instance: dg.DagsterInstance, run: dg.DagsterRun) -> None:
    """Refuse a resume while a re-execution of ``run`` (from anywhere) succeeded or runs."""
    for child in reap_dead_runs(instance, children_of(instance, run.run_id)):
        if child.status == dg.DagsterRunStatus.SUCCESS:
            raise ExecutionError(
                f"run {run.run_id} was already resumed in run {child.run_id}, which "
                f"succeeded; resuming it again would run its steps' side effects again; "
                f"{_FORCE_HINT}"
            )
        if child.status in UNFINISHED or child.status in (
            dg.DagsterRunStatus.QUEUED,
            dg.DagsterRunStatus.NOT_STARTED,
        ):
            raise ExecutionError(
                f"run {run.run_id} is being resumed in run {child.run_id} "
                f"({child.status.value.lower()}); wait for it to end, or {_FORCE_HINT}"
            )
