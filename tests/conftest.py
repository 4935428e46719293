from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
import pytest
from hypothesis import HealthCheck, settings

if TYPE_CHECKING:
    from webserver_process import Webserver

# Property tests are deterministic in CI: the same examples every run, no example
# database written into the checkout, no per-example deadline (Dagster runs vary
# with machine load). HYPOTHESIS_PROFILE=explore searches randomly instead.
settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "explore",
    parent=settings.get_profile("ci"),
    derandomize=False,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

SERVICE_FIXTURES = frozenset({"postgres_url", "redis_url"})
"""Fixtures that start a system service (Debian's postgresql, redis-server)."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that start a system service belong to the ``services`` suite.

    The default run (``pytest``) leaves them out, so it passes right after the
    README's install; ``pytest -m services`` runs them, and fails, naming the
    package to install, where a service is missing (nothing is skipped).
    """
    for item in items:
        if SERVICE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.services)


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


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.services)]
)
def sql_instance(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dg.DagsterInstance]:
    """A real instance on each SQL run storage Dagster ships: sqlite, then PostgreSQL.

    Modules whose tests must hold on both (run lifecycle, atomic claims) alias it
    as their ``instance``; the PostgreSQL case belongs to the services suite.
    """
    home = tmp_path_factory.mktemp(f"home-{request.param}")
    overrides = {}
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
        overrides = {"storage": {"postgres": {"postgres_url": url}}}
    with dg.instance_for_test(temp_dir=str(home), overrides=overrides) as inst:
        yield inst


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL server on 127.0.0.1 for the whole session."""
    from postgres_server import postgres_server

    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real Redis server on 127.0.0.1 for the whole session (the Celery broker)."""
    from redis_server import redis_server

    with redis_server() as url:
        yield url


@pytest.fixture(scope="module")
def webserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Webserver]:
    """A real dagster-webserver serving the example project, one per test module, on an
    instance of its own (a temporary ``DAGSTER_HOME``)."""
    from webserver_process import INSTANCE_YAML, Webserver

    home = tmp_path_factory.mktemp("webserver-home")
    (home / "dagster.yaml").write_text(INSTANCE_YAML)
    server = Webserver(home)
    yield server
    server.stop()


@pytest.fixture()
def register_secret() -> Callable[[str], str]:
    def register(value: str) -> str:
        SECRETS.add(value)
        return value

    return register
