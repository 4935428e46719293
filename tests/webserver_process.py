"""A real ``dagster-webserver`` on a free port of 127.0.0.1, driven over HTTP (GraphQL).

Runs are launched and re-executed with the launchpad's own GraphQL mutations;
the ``webserver`` fixture (conftest.py) starts one per test module.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import dagster as dg

from neurocore_dagster.keys import STATUS_TAG

LOCATION = "definitions.py"
EXAMPLE_DEFINITIONS = Path(__file__).resolve().parent.parent / LOCATION
"""The example project's code location, served unless another is named."""
REPOSITORY = "__repository__"
INSTANCE_YAML = """\
run_coordinator:
  module: dagster._core.run_coordinator
  class: DefaultRunCoordinator
telemetry:
  enabled: false
"""
STARTUP_TIMEOUT_S = 180
"""Dagster 1.13's default for a local code server to start (``local_startup_timeout``)."""

_RESULT = """{
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on PythonError { message }
  }"""
LAUNCH = f"mutation($params: ExecutionParams!) {{ launchRun(executionParams: $params) {_RESULT} }}"
"""The launchpad's launch; its answer is under ``launchRun``."""
REEXECUTE = (
    "mutation($params: ExecutionParams!) "
    f"{{ launchRunReexecution(executionParams: $params) {_RESULT} }}"
)
"""The launchpad's re-execution of chosen steps; its answer is under ``launchRunReexecution``."""


class Webserver:
    """``dagster-webserver -f <definitions>`` in a subprocess; ready once it serves HTTP.

    The webserver serves only after its code server loaded the definitions and
    sent their snapshot, so a started ``Webserver`` has loaded the whole location.
    """

    def __init__(self, home: Path, definitions: Path = EXAMPLE_DEFINITIONS) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.home = home
        env = {**os.environ, "DAGSTER_HOME": str(home)}
        self.log = (home / "webserver.log").open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dagster_webserver",
                "-f",
                str(definitions),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
            ],
            cwd=definitions.parent,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.time() + STARTUP_TIMEOUT_S
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError((home / "webserver.log").read_text()[-3000:])
            try:
                with urllib.request.urlopen(self.url + "/server_info", timeout=5):
                    return
            except OSError:
                time.sleep(1)
        raise RuntimeError(f"dagster-webserver did not start within {STARTUP_TIMEOUT_S} s")

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(
            self.url + "/graphql", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            payload = json.loads(answer.read())
        assert "errors" not in payload, payload
        return payload["data"]

    def selector(self, job: str) -> dict[str, str]:
        """The GraphQL selector of ``job`` in the served location."""
        return {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY, "jobName": job}

    def launch_result(self, job: str, config: dict[str, Any]) -> dict[str, Any]:
        """What the launchpad's launch of ``job`` with ``config`` answers (success or not)."""
        params = {"selector": self.selector(job), "runConfigData": config}
        return dict(self.graphql(LAUNCH, {"params": params})["launchRun"])

    def launch(self, job: str, config: dict[str, Any]) -> str:
        """Launch ``job`` as the launchpad does; the run id (the launch must succeed)."""
        result = self.launch_result(job, config)
        assert result["__typename"] == "LaunchRunSuccess", result
        return str(result["run"]["runId"])

    def reexecute(
        self, job: str, parent_run_id: str, step_keys: list[str], config: dict[str, Any]
    ) -> str:
        """Re-execute ``step_keys`` of a run of ``job`` from the launchpad; the child's id."""
        params = {
            "selector": self.selector(job),
            "runConfigData": config,
            "stepKeys": step_keys,
            "executionMetadata": {"parentRunId": parent_run_id, "rootRunId": parent_run_id},
        }
        result = self.graphql(REEXECUTE, {"params": params})["launchRunReexecution"]
        assert result["__typename"] == "LaunchRunSuccess", result
        return str(result["run"]["runId"])

    def suspended_run(self, job: str = "publish_with_approval") -> str:
        """A finished run of ``job`` that suspended at its approval gate."""
        run_id = self.launch(job, {})
        assert self.wait_for_run(run_id) == "SUCCESS"
        with self.instance() as instance:
            run = instance.get_run_by_id(run_id)
            assert run is not None and run.tags[STATUS_TAG] == "suspended", run
        return run_id

    def instance(self) -> dg.DagsterInstance:
        """The webserver's Dagster instance (use it in ``with``)."""
        return dg.DagsterInstance.from_config(str(self.home))

    def wait_for_run(self, run_id: str, timeout: float = 180) -> str:
        deadline = time.time() + timeout
        while time.time() < deadline:
            data = self.graphql(
                "query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }",
                {"id": run_id},
            )
            status = data["runOrError"]["status"]
            if status in ("SUCCESS", "FAILURE", "CANCELED"):
                return str(status)
            time.sleep(1)
        raise AssertionError(f"run {run_id} did not finish in {timeout} s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()
