"""A real PostgreSQL server for the tests, started on 127.0.0.1 in a temporary folder.

Uses Debian's ``postgresql`` package (``.ci/run`` installs it). The server runs as
the ``postgres`` user (PostgreSQL refuses root) with trust auth on loopback only.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _bin_dir() -> Path:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    if not candidates:
        raise RuntimeError("PostgreSQL server binaries not found: apt-get install postgresql")
    return candidates[-1]


def _as_postgres(args: list[str]) -> list[str]:
    return args if os.geteuid() != 0 else ["runuser", "-u", "postgres", "--", *args]


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a throwaway server; yield its URL (database ``neurocore_test``)."""
    binaries = _bin_dir()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    folder = Path(tempfile.mkdtemp(prefix="nc-pg-"))
    data = folder / "data"
    data.mkdir()
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        shutil.chown(data, "postgres", "postgres")
    subprocess.run(
        _as_postgres([str(binaries / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]),
        check=True,
        capture_output=True,
    )
    subprocess.run(
        _as_postgres(
            [
                str(binaries / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(folder / "server.log"),
                "-w",
                "-o",
                f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off",
                "start",
            ]
        ),
        check=True,
        capture_output=True,
    )
    try:
        deadline = time.time() + 60
        while True:
            ready = subprocess.run(
                _as_postgres(
                    [
                        str(binaries / "psql"),
                        "-h",
                        "127.0.0.1",
                        "-p",
                        str(port),
                        "-U",
                        "postgres",
                        "-c",
                        "create database neurocore_test",
                    ]
                ),
                capture_output=True,
            )
            if ready.returncode == 0 or time.time() > deadline:
                break
            time.sleep(0.5)
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/neurocore_test"
    finally:
        subprocess.run(
            _as_postgres([str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)
