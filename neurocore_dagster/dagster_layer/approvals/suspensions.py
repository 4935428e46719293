"""One decision per suspension: the rules a gate's op and ``resume_blueprint`` share.

A run that ends at a gate is tagged ``neurocore/status=suspended`` (pending).
Any re-execution that runs the op it stopped at takes its one decision by
claiming it (:mod:`claims`), with or without resume data: a second decision,
from the CLI, the API or the UI, and a re-execution that would re-open the
gate, are refused. ``resume_blueprint`` claims before it creates the child run
(the child carries the claim's token as ``neurocore/claim``); a re-execution
launched elsewhere (the UI) claims when the op runs, under its own run id.
The claimed run is retagged ``neurocore/status=decided`` and names its child in
``neurocore/decided_in``; the child carries the decision, decider and note.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg

from neurocore_dagster.dagster_layer.approvals.claims import (
    Claim,
    claim_key,
    insert_claim,
    read_claim,
)
from neurocore_dagster.errors import ExecutionError
from neurocore_dagster.keys import (
    CLAIM_TAG,
    DECIDED,
    DECIDED_BY_TAG,
    DECIDED_IN_TAG,
    DECISION_NOTE_TAG,
    DECISION_TAG,
    STATUS_TAG,
    SUSPENDED,
)

SUSPENSION = "suspension"
_TAG_CHARS = 200


def ended_at_gate(run: dg.DagsterRun) -> bool:
    """Whether the run stopped at a gate (pending or already decided): not a failure."""
    return run.status == dg.DagsterRunStatus.SUCCESS and run.tags.get(STATUS_TAG) in (
        SUSPENDED,
        DECIDED,
    )


def is_pending(run: dg.DagsterRun) -> bool:
    """Whether the run stopped at a gate and still awaits its decision."""
    return run.status == dg.DagsterRunStatus.SUCCESS and run.tags.get(STATUS_TAG) == SUSPENDED


def suspension_key(run_id: str) -> str:
    return claim_key(SUSPENSION, run_id)


def decision_word(resume_data: Mapping[str, Any] | None) -> str:
    """``approved``, ``rejected``, or "" for a resume that carries no decision."""
    if resume_data is None or "approved" not in resume_data:
        return ""
    return "approved" if resume_data["approved"] is True else "rejected"


def decision_tags(resume_data: Mapping[str, Any] | None) -> dict[str, str]:
    """The tags a child run carries for the decision it was created with."""
    word = decision_word(resume_data)
    if resume_data is None or not word:
        return {}
    tags = {DECISION_TAG: word}
    if resume_data.get("by"):
        tags[DECIDED_BY_TAG] = str(resume_data["by"])[:_TAG_CHARS]
    if resume_data.get("note"):
        tags[DECISION_NOTE_TAG] = str(resume_data["note"])[:_TAG_CHARS]
    return tags


def new_claim(token: str, resume_data: Mapping[str, Any] | None) -> Claim:
    by = (resume_data or {}).get("by") or ""
    return Claim(token=token, by=str(by)[:_TAG_CHARS], decision=decision_word(resume_data))


def claimed_run(instance: dg.DagsterInstance, claim: Claim) -> dg.DagsterRun | None:
    """The run created under ``claim`` (its token is a run id, or that run's claim tag)."""
    run = instance.get_run_by_id(claim.token)
    if run is not None:
        return run
    found = instance.get_runs(filters=dg.RunsFilter(tags={CLAIM_TAG: claim.token}), limit=1)
    return found[0] if found else None


def taken_message(instance: dg.DagsterInstance, run_id: str, claim: Claim) -> str:
    """Why a second decision of ``run_id`` is refused: who took the first, and where."""
    child = claimed_run(instance, claim)
    by = f" by {claim.by!r}" if claim.by else ""
    what = f" ({claim.decision})" if claim.decision else " (resumed without a decision)"
    where = (
        f"in run {child.run_id}"
        if child is not None
        else f"by {claim.holder.describe()}, whose run has not been created yet"
    )
    return (
        f"run {run_id} was already decided{by} {where}{what}; a suspended run takes one "
        "decision (decide a run that is still pending: `neurocore-dagster runs list --pending`)"
    )


def take_suspension_in_run(
    instance: dg.DagsterInstance,
    parent: dg.DagsterRun,
    run: dg.DagsterRun,
    resume_data: Mapping[str, Any] | None,
) -> None:
    """In re-execution ``run``, at the op ``parent`` stopped at: own its one decision or fail.

    Idempotent for the run that holds the claim (an op retry calls it again).
    """
    key = suspension_key(parent.run_id)
    mine = {run.run_id, run.tags.get(CLAIM_TAG)}
    holder = read_claim(instance, key)
    if holder is None:
        claim = new_claim(run.run_id, resume_data)
        holder = insert_claim(instance, key, claim) or claim
        if holder is claim:
            instance.add_run_tags(run.run_id, decision_tags(resume_data))
    if holder.token not in mine:
        raise ExecutionError(taken_message(instance, parent.run_id, holder))
    instance.add_run_tags(parent.run_id, {STATUS_TAG: DECIDED, DECIDED_IN_TAG: run.run_id})
