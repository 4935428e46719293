"""End to end through a real ``dagster-daemon`` serving the example's ``definitions.py``:
materializing the plain-Dagster asset ``raw/tickets`` starts the ``ticket-batch``
blueprint (its ``asset_sensor`` is running by default), whose run completes with the
materialization's metadata as its inputs; once per materialization, also for two
materializations made at the same time."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.definitions.run_request import InstigatorType
from dagster._core.scheduler.instigation import InstigatorTick, TickStatus
from helpers import ROOT, checkout_env, running_daemon
from test_asset_triggers import JOB, SENSOR, TICKETS

from neurocore_dagster import final_context
from neurocore_dagster.keys import UPSTREAM_ASSET_TAG, UPSTREAM_RUN_TAG

INSTANCE_YAML = "telemetry:\n  enabled: false\n"
WAIT_S = 300


@pytest.fixture(scope="module")
def daemon_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("asset-daemon-home")
    (home / "dagster.yaml").write_text(INSTANCE_YAML)
    with running_daemon(home):
        yield home


def _materialize(home: Path, *sizes: int) -> None:
    """``raw/tickets`` materialized once per size, all at the same time, each by Dagster's
    own command line in a process of its own (as any other process would)."""
    config = '{"ops": {"raw__tickets": {"config": {"size": %d}}}}'
    command = [sys.executable, "-m", "dagster", "asset", "materialize", "--select", "raw/tickets"]
    processes = [
        subprocess.Popen(
            [*command, "-f", str(ROOT / "definitions.py"), "--config-json", config % size],
            cwd=ROOT,
            env=checkout_env(home),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for size in sizes
    ]
    for process in processes:
        output, _ = process.communicate(timeout=WAIT_S)
        assert process.returncode == 0, output[-3000:]


def _upstream_runs(instance: dg.DagsterInstance) -> list[str]:
    records = instance.fetch_materializations(TICKETS, limit=100, ascending=True).records
    return [record.run_id for record in records]


def _finished_runs(instance: dg.DagsterInstance, count: int, home: Path) -> list[dg.DagsterRun]:
    """The blueprint's runs once ``count`` of them have finished (fails after WAIT_S)."""
    deadline = time.time() + WAIT_S
    while time.time() < deadline:
        runs = instance.get_runs(filters=dg.RunsFilter(job_name=JOB))
        if len(runs) >= count and all(r.is_finished for r in runs):
            return list(runs)
        time.sleep(1)
    log = (home / "daemon.log").read_text()[-4000:]
    raise AssertionError(f"{count} runs of {JOB} did not finish in {WAIT_S} s:\n{log}")


def _sensor_ticks(instance: dg.DagsterInstance) -> list[InstigatorTick]:
    [state] = [
        s
        for s in instance.all_instigator_state(instigator_type=InstigatorType.SENSOR)
        if s.name == SENSOR
    ]
    return list(instance.get_ticks(state.instigator_origin_id, state.selector_id))


def _next_finished_tick(instance: dg.DagsterInstance, after: int) -> InstigatorTick:
    """The sensor's first tick after tick ``after`` once the daemon has finished it."""
    deadline = time.time() + 60
    while time.time() < deadline:
        later = [t for t in _sensor_ticks(instance) if t.tick_id > after]
        if later and later[-1].status != TickStatus.STARTED:
            return later[-1]
        time.sleep(1)
    raise AssertionError(f"no sensor tick after tick {after} finished within 60 s")


def test_materializing_the_asset_runs_the_blueprint_once_per_materialization(
    daemon_home: Path,
) -> None:
    with dg.DagsterInstance.from_config(str(daemon_home)) as instance:
        _materialize(daemon_home, 3)
        [upstream] = _upstream_runs(instance)
        [run] = _finished_runs(instance, 1, daemon_home)
        assert run.status == dg.DagsterRunStatus.SUCCESS
        assert run.tags[UPSTREAM_ASSET_TAG] == "raw/tickets"
        assert run.tags[UPSTREAM_RUN_TAG] == upstream
        data = final_context(run, instance=instance).data.to_dict()
        assert data["batch_size"] == 3
        assert data["channels"] == {"email": 2, "chat": 1}
        assert (
            data["triage_report"] == "3 tickets (1 by chat, 2 by email): 1 billing, 1 bug, 1 other"
        )

        # Two materializations at once: one run each, never a third.
        _materialize(daemon_home, 2, 5)
        upstream_runs = _upstream_runs(instance)
        assert len(upstream_runs) == 3
        runs = _finished_runs(instance, 3, daemon_home)
        assert all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs)
        by_upstream = {r.tags[UPSTREAM_RUN_TAG]: r for r in runs}
        assert sorted(by_upstream) == sorted(upstream_runs)
        sizes = {
            upstream_run: final_context(r, instance=instance).get("batch_size")
            for upstream_run, r in by_upstream.items()
        }
        assert sorted(sizes.values()) == [2, 3, 5]

        # The daemon's next tick finds nothing new: still three runs.
        newest = _next_finished_tick(instance, after=_sensor_ticks(instance)[0].tick_id)
        assert newest.status == TickStatus.SKIPPED, newest
        assert newest.skip_reason == "no new materialization of raw/tickets"
        assert len(instance.get_runs(filters=dg.RunsFilter(job_name=JOB))) == 3
