"""Real dagster-celery workers for the tests, each its own process group.

Each worker is started as a user would start it, with ``dagster-celery worker
start`` (which writes the broker settings where Celery finds them and runs
``celery -A dagster_celery.app worker``), one task at a time, and a name of its
own. Workers are stopped by the id of the process group they were started in,
also when the test fails.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from celery import Celery

START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 20.0
_Worker = subprocess.Popen[bytes]


def worker_env(dagster_home: Path) -> dict[str, str]:
    """The test's environment with this instance, and the venv's ``celery`` on PATH."""
    env = dict(os.environ)
    env["DAGSTER_HOME"] = str(dagster_home)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def _start(name: str, config_yaml: Path, env: dict[str, str], cwd: Path, log: Path) -> _Worker:
    command = [
        str(Path(sys.executable).with_name("dagster-celery")),
        "worker",
        "start",
        "--app",
        "dagster_celery.app",
        "--config-yaml",
        str(config_yaml),
        "--name",
        name,
        "--loglevel",
        "INFO",
        "--",
        "--concurrency=1",
        "--without-mingle",
        "--without-gossip",
    ]
    with log.open("wb") as output:
        return subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _stop_groups(workers: Sequence[_Worker]) -> None:
    """Warm shutdown of every worker's process group at once; killed if not gone in time.

    The CLI process leads each group; celery and its pool child run under it.
    """
    for sig in (signal.SIGTERM, signal.SIGKILL):
        alive = [worker for worker in workers if _signal_group(worker, sig)]
        deadline = time.time() + STOP_TIMEOUT_S
        while alive and time.time() < deadline:
            for worker in alive:
                worker.poll()  # reap the leader, so that its group can disappear
            alive = [worker for worker in alive if _signal_group(worker, 0)]
            time.sleep(0.1)
        if not alive:
            return


def _signal_group(worker: _Worker, sig: int) -> bool:
    """Send ``sig`` to the worker's process group; False when the group is gone."""
    try:
        os.killpg(worker.pid, sig)
    except ProcessLookupError:
        return False
    return True


@contextmanager
def celery_workers(
    names: Sequence[str],
    *,
    broker: str,
    config_yaml: Path,
    dagster_home: Path,
    cwd: Path,
    logs: Path,
) -> Iterator[list[str]]:
    """Start one worker per name; yield their Celery hostnames once all answer a ping."""
    env = worker_env(dagster_home)
    workers: dict[str, _Worker] = {}
    try:
        for name in names:
            workers[name] = _start(name, config_yaml, env, cwd, logs / f"worker-{name}.log")
        yield _wait_until_ready(workers, broker, logs)
    finally:
        _stop_groups(list(workers.values()))


def _wait_until_ready(processes: dict[str, _Worker], broker: str, logs: Path) -> list[str]:
    app = Celery(broker=broker)
    try:
        deadline = time.time() + START_TIMEOUT_S
        while True:
            replies = app.control.ping(timeout=1.0)
            hosts = sorted(host for reply in replies for host in reply)
            ready = {host.split("@", 1)[0] for host in hosts}
            if ready >= set(processes):
                return hosts
            dead = [name for name, process in processes.items() if process.poll() is not None]
            if dead or time.time() > deadline:
                raise RuntimeError(
                    f"celery workers not ready (answered: {hosts}; exited: {dead}):\n"
                    + worker_logs(logs)
                )
    finally:
        app.close()


def worker_logs(logs: Path) -> str:
    """The end of every worker's log, for assertion messages."""
    return "\n".join(
        f"--- {path.name}\n{path.read_text(errors='replace')[-4000:]}"
        for path in sorted(logs.glob("worker-*.log"))
    )
