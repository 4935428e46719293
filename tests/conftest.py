from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

import dagster as dg
import pytest
from hypothesis import HealthCheck, settings

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


@pytest.fixture(scope="session")
def instance() -> Iterator[dg.DagsterInstance]:
    """A real sqlite-backed Dagster instance in a temporary DAGSTER_HOME."""
    with (
        tempfile.TemporaryDirectory(prefix="nc-dagster-home-") as home,
        dg.instance_for_test(temp_dir=home) as inst,
    ):
        yield inst
