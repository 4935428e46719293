"""Runs whose process died: recognised, marked failed, and so resumable (DESIGN §3.10).

A run killed with SIGKILL (or by the OOM killer) writes no failure event, so
its storage says "started" forever and re-execution from failure refuses it.
Whoever reads a started run (``runs list``, ``inspect``, resume) checks the
process the executor recorded for it (:mod:`liveness`); when that process is
gone, the run is marked failed with a run-failure event through Dagster's
public ``report_run_failed``, once (a claim), naming the process. A run
orchestrated on another host is never judged from this one.
"""

from __future__ import annotations

from collections.abc import Iterable

import dagster as dg

from neurocore_dagster.dagster_layer.approvals.claims import Claim, claim_key, insert_claim
from neurocore_dagster.dagster_layer.executors.liveness import run_process

UNFINISHED = frozenset(
    {dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING}
)


def reap_if_dead(instance: dg.DagsterInstance, run: dg.DagsterRun) -> dg.DagsterRun:
    """``run`` as storage holds it after marking it failed if its process is gone."""
    if run.status not in UNFINISHED:
        return run
    process = run_process(run)
    if process is None or process.alive() is not False:
        return run
    if insert_claim(instance, claim_key("dead", run.run_id), Claim(token=run.run_id)) is None:
        instance.report_run_failed(
            run,
            message=f"{process.describe()}, which ran this run, is gone (killed or crashed); "
            "the run is marked failed so that it can be resumed",
        )
    return instance.get_run_by_id(run.run_id) or run


def reap_dead_runs(
    instance: dg.DagsterInstance, runs: Iterable[dg.DagsterRun]
) -> list[dg.DagsterRun]:
    return [reap_if_dead(instance, run) for run in runs]
