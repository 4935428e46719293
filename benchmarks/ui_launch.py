"""ui_launch: a run launched from the UI (webserver + daemon) against the same run from the CLI.

The example project's ``support_triage`` (a 6-node graph with a fork and a
join) is launched the way the Dagster UI launches it: GraphQL ``launchRun``
on a real ``dagster-webserver``, queued by Dagster's ``QueuedRunCoordinator``
and started by a real ``dagster-daemon`` in a run worker process. Its time is
measured from the launch request until the run succeeds, less the time it
waited in the queue (from its creation until the daemon launched it: Dagster's
queue latency, reported on its own line). What remains is the run worker's
start (a Python process loading the project) and the run itself. The baseline is
``neurocore-dagster run blueprints/support_triage.yaml`` in a fresh process
against the same instance, from process start to exit. Both include loading
the project, as a run worker and the CLI both do. Target: within 1.3x.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import common
from webserver import LOCATION, REPOSITORY, STARTUP_TIMEOUT_S, Webserver

TARGET = 1.3
JOB = "support_triage"
BLUEPRINT = "blueprints/support_triage.yaml"
TICKET = "The app crashes with an error on login"
QUEUED_INSTANCE = """\
run_coordinator:
  module: dagster._core.run_coordinator
  class: QueuedRunCoordinator
  config:
    dequeue_interval_seconds: 1
telemetry:
  enabled: false
"""
LAUNCH = """
mutation($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on PythonError { message }
  }
}"""


@dataclass(frozen=True)
class UiRun:
    to_success_s: float
    queued_s: float

    @property
    def sample(self) -> common.Sample:
        return common.Sample(self.to_success_s - self.queued_s, 0.0)


EXECUTOR = os.environ.get("NC_BENCH_UI_EXECUTOR")
"""Set to ``multiprocess`` to launch with step processes instead of the job's default."""


def launch_from_ui(server: Webserver, instance: object) -> UiRun:
    """Launch through GraphQL; seconds until success, and seconds spent in the queue."""
    import dagster as dg

    assert isinstance(instance, dg.DagsterInstance)
    params = {
        "selector": {
            "repositoryLocationName": LOCATION,
            "repositoryName": REPOSITORY,
            "jobName": JOB,
        },
        "runConfigData": {
            "resources": {"neurocore": {"config": {"initial_data": {"ticket": TICKET}}}},
            **({"execution": {"config": {EXECUTOR: {}}}} if EXECUTOR else {}),
        },
    }
    started = time.perf_counter()
    answer = server.graphql(LAUNCH, {"params": params})["launchRun"]
    if answer["__typename"] != "LaunchRunSuccess":
        raise RuntimeError(f"launch failed: {answer}")
    run_id = answer["run"]["runId"]
    while True:
        record = instance.get_run_record_by_id(run_id)
        status = record.dagster_run.status if record else None
        if status == dg.DagsterRunStatus.SUCCESS:
            to_success = time.perf_counter() - started
            break
        if status in (dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED):
            raise RuntimeError(f"run {run_id} ended {status}")
        if time.perf_counter() - started > STARTUP_TIMEOUT_S:
            raise RuntimeError(f"run {run_id} did not finish in {STARTUP_TIMEOUT_S:.0f} s")
        time.sleep(0.05)
    launched = instance.get_records_for_run(
        run_id, of_type={dg.DagsterEventType.RUN_DEQUEUED, dg.DagsterEventType.RUN_STARTING}
    ).records
    assert record is not None and launched, f"run {run_id} was never taken off the queue"
    first = min(r.event_log_entry.timestamp for r in launched)
    queued = first - record.create_timestamp.timestamp()
    return UiRun(to_success, max(queued, 0.0))


def run_from_cli(home: Path) -> common.Sample:
    command = [sys.executable, "-m", "neurocore_dagster.cli.main", "run", BLUEPRINT]
    started = time.perf_counter()
    completed = subprocess.run(
        [*command, "--data", f"ticket={TICKET}"],
        cwd=common.REPO_ROOT,
        env={**os.environ, "DAGSTER_HOME": str(home)},
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(f"CLI run failed: {completed.stderr[-2000:]}")
    return common.Sample(elapsed, 0.0)


def main(argv: Sequence[str] | None = None) -> int:
    args = common.parse_args(__doc__, argv)
    repeats = args.repeats or (1 if args.quick else 5)
    common.header(
        "ui_launch", {"job": JOB, "repeats": repeats, "executor": EXECUTOR or "the job's default"}
    )
    import dagster as dg

    with common.temp_home() as home:
        (home / "dagster.yaml").write_text(QUEUED_INSTANCE)
        server = Webserver(common.REPO_ROOT, home, daemon=True)
        server.start()
        try:
            server.wait_for_jobs(1, timeout_s=STARTUP_TIMEOUT_S)
            with dg.DagsterInstance.from_config(str(home)) as instance:
                launch_from_ui(server, instance)  # warm-up: the code server's first load
                ui_runs: list[UiRun] = []

                def subject() -> common.Sample:
                    ui_runs.append(launch_from_ui(server, instance))
                    return ui_runs[-1].sample

                subjects, baselines = common.interleave(
                    subject, lambda: run_from_cli(home), repeats
                )
        finally:
            server.stop()
    common.note_samples(subjects, baselines, with_cpu=False)
    queued = common.median(r.queued_s for r in ui_runs)
    common.note(
        "queue latency (run created -> launched by the daemon), reported apart: "
        + " ".join(f"{r.queued_s:.2f}" for r in ui_runs)
        + f" s, median {queued:.2f} s"
    )
    common.note(
        "launch -> success including the queue: "
        + " ".join(f"{r.to_success_s:.2f}" for r in ui_runs)
    )
    common.report(
        common.Comparison("ui_launch", common.wall(subjects), common.wall(baselines), TARGET)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
