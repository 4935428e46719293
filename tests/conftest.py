from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import dagster as dg
import pytest

SECRETS: set[str] = set()
"""Secret values tests configured (through {env: NAME}); none may be stored anywhere."""


def find_secrets(folder: Path, secrets: set[str]) -> list[tuple[str, str]]:
    """(file, secret) for every secret value found in any file under ``folder``."""
    found = []
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found.extend((str(path), s) for s in secrets if s.encode() in data)
    return found


@pytest.fixture(scope="session")
def instance() -> Iterator[dg.DagsterInstance]:
    """A real sqlite-backed Dagster instance in a temporary DAGSTER_HOME.

    When the session ends, its whole storage (runs, run config, event logs, compute
    logs, stored contexts) is searched for every secret the suite configured.
    """
    with (
        tempfile.TemporaryDirectory(prefix="nc-dagster-home-") as home,
        dg.instance_for_test(temp_dir=home) as inst,
    ):
        yield inst
        leaks = find_secrets(Path(home), SECRETS)
        assert not leaks, f"secret values found in instance storage: {leaks}"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL server on 127.0.0.1 for the whole session."""
    from postgres_server import postgres_server

    with postgres_server() as url:
        yield url


@pytest.fixture()
def register_secret() -> Callable[[str], str]:
    def register(value: str) -> str:
        SECRETS.add(value)
        return value

    return register
