"""A real Redis server for the tests, started on 127.0.0.1 in a temporary folder.

Uses Debian's ``redis-server`` package (``.ci/run`` installs it). The server keeps
nothing on disk (``--save ""``, no append-only file), listens on loopback only, on
a free port, and is stopped when the tests are done: no system service is used.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _binary() -> str:
    found = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(found).is_file():
        raise RuntimeError("redis-server not found: apt-get install redis-server")
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def redis_server() -> Iterator[str]:
    """Start a throwaway server; yield its URL (database 0)."""
    port = _free_port()
    folder = Path(tempfile.mkdtemp(prefix="nc-redis-"))
    log = (folder / "server.log").open("wb")
    server = subprocess.Popen(
        [
            _binary(),
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--dir",
            str(folder),
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.time() + 30
        while not _answers_ping(port):
            if server.poll() is not None or time.time() > deadline:
                raise RuntimeError(
                    f"redis-server did not start: {(folder / 'server.log').read_text()}"
                )
            time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()
        shutil.rmtree(folder, ignore_errors=True)
