"""A real ``dagster-webserver`` (and optionally ``dagster-daemon``) for the benchmarks.

Both serve a project's ``definitions.py`` on a free port of 127.0.0.1 from a
given DAGSTER_HOME, and are stopped (terminate, then kill) when done.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

STARTUP_TIMEOUT_S = 180.0
"""Dagster 1.13's default ``code_servers.local_startup_timeout`` (and repository gRPC timeout)."""
LOCATION = "definitions.py"
REPOSITORY = "__repository__"

JOBS_QUERY = "{ repositoriesOrError { ... on RepositoryConnection { nodes { jobs { name } } } } }"
RELOAD_MUTATION = """
mutation($name: String!) {
  reloadRepositoryLocation(repositoryLocationName: $name) {
    __typename
    ... on WorkspaceLocationEntry {
      locationOrLoadError { __typename ... on PythonError { message } }
    }
  }
}"""


class Webserver:
    """``dagster-webserver -f definitions.py`` on a free port of 127.0.0.1."""

    def __init__(self, project: Path, home: Path, *, daemon: bool = False) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.project, self.home, self.with_daemon = project, home, daemon
        self.log_path = home / "webserver.log"
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self) -> None:
        """Start the webserver (and the daemon, when asked for); returns at once."""
        self.log = self.log_path.open("w")
        target = ["-f", str(self.project / LOCATION)]
        address = ["-h", "127.0.0.1", "-p", str(self.port)]
        commands = [[sys.executable, "-m", "dagster_webserver", *target, *address]]
        if self.with_daemon:
            commands.append([sys.executable, "-m", "dagster._daemon", "run", *target])
        for command in commands:
            self.processes.append(
                subprocess.Popen(
                    command,
                    cwd=self.project,
                    env={**os.environ, "DAGSTER_HOME": str(self.home)},
                    stdout=self.log,
                    stderr=subprocess.STDOUT,
                )
            )

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(
            self.url + "/graphql", data=body, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=STARTUP_TIMEOUT_S) as answer:
                return json.loads(answer.read())["data"]
        except urllib.error.HTTPError as exc:  # GraphQL says why in the body
            raise RuntimeError(f"GraphQL answered {exc.code}: {exc.read()[:2000]!r}") from exc

    def job_count(self) -> int | None:
        """Jobs GraphQL lists, or None while the server does not answer."""
        if any(process.poll() is not None for process in self.processes):
            raise RuntimeError(self.log_path.read_text()[-3000:])
        try:
            data = self.graphql(JOBS_QUERY)
        except OSError:
            return None
        nodes = (data.get("repositoriesOrError") or {}).get("nodes") or []
        return sum(len(node["jobs"]) for node in nodes)

    def wait_for_jobs(self, count: int, timeout_s: float) -> float:
        """Seconds from now until GraphQL lists ``count`` jobs."""
        started = time.perf_counter()
        while time.perf_counter() - started < timeout_s:
            if (self.job_count() or 0) >= count:
                return time.perf_counter() - started
            time.sleep(0.5)
        raise RuntimeError(f"the webserver did not list {count} jobs in {timeout_s:.0f} s")

    def reload(self) -> float:
        """Seconds for GraphQL's ``reloadRepositoryLocation`` (it returns once reloaded)."""
        started = time.perf_counter()
        data = self.graphql(RELOAD_MUTATION, {"name": LOCATION})
        elapsed = time.perf_counter() - started
        entry = data["reloadRepositoryLocation"]
        loaded = (entry.get("locationOrLoadError") or {}).get("__typename")
        if loaded != "RepositoryLocation":
            raise RuntimeError(f"reload failed: {entry}")
        return elapsed

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.log.close()
