"""Load: 30 runs at once through a real webserver and dagster-daemon, at most 4 at a time."""

from __future__ import annotations

from collections.abc import Iterator

import dagster as dg
import pytest
from helpers import running_daemon
from webserver_process import LAUNCH, Webserver

from neurocore_dagster import final_context

RUNS = 30
LIMIT = 4
QUEUED_INSTANCE = f"""\
run_coordinator:
  module: dagster._core.run_coordinator
  class: QueuedRunCoordinator
  config:
    max_concurrent_runs: 10
    dequeue_interval_seconds: 1
    tag_concurrency_limits:
      - key: "load-test"
        value: "greet"
        limit: {LIMIT}
run_monitoring:
  enabled: true
  poll_interval_seconds: 5
telemetry:
  enabled: false
"""


@pytest.fixture(scope="module")
def queued_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Webserver]:
    home = tmp_path_factory.mktemp("queued-home")
    (home / "dagster.yaml").write_text(QUEUED_INSTANCE)
    server = Webserver(home)
    try:
        with running_daemon(home):
            yield server
    finally:
        server.stop()


def test_thirty_queued_runs_at_most_four_at_once(queued_stack: Webserver) -> None:
    run_ids = []
    for index in range(RUNS):
        data = queued_stack.graphql(
            LAUNCH,
            {
                "params": {
                    "selector": queued_stack.selector("greet_flow"),
                    "runConfigData": {
                        "execution": {"config": {"in_process": {}}},
                        "resources": {
                            "neurocore": {"config": {"initial_data": {"user_name": f"user{index}"}}}
                        },
                    },
                    "executionMetadata": {"tags": [{"key": "load-test", "value": "greet"}]},
                }
            },
        )
        result = data["launchRun"]
        assert result["__typename"] == "LaunchRunSuccess", result
        run_ids.append(result["run"]["runId"])
    statuses = {run_id: queued_stack.wait_for_run(run_id, timeout=600) for run_id in run_ids}
    assert set(statuses.values()) == {"SUCCESS"}, statuses
    with dg.DagsterInstance.from_config(str(queued_stack.home)) as instance:
        spans = []
        for index, run_id in enumerate(run_ids):
            record = instance.get_run_record_by_id(run_id)
            assert record is not None and record.end_time
            # A run holds its slot from launch (its worker process starts) to its end.
            [starting] = instance.get_records_for_run(
                run_id, of_type=dg.DagsterEventType.RUN_STARTING
            ).records
            spans.append((starting.event_log_entry.timestamp, record.end_time))
            context = final_context(run_id, instance=instance)
            assert context.get("greeting") == f"Hello, user{index}!"
        assert len(instance.get_runs(filters=dg.RunsFilter(tags={"load-test": "greet"}))) == RUNS
    events = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    running = peak = 0
    for _, change in events:
        running += change
        peak = max(peak, running)
    assert 1 < peak <= LIMIT, peak
