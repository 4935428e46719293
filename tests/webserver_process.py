"""A real ``dagster-webserver`` on a free port of 127.0.0.1, driven over HTTP (GraphQL)."""

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
