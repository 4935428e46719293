from __future__ import annotations

import tempfile
from collections.abc import Iterator

import dagster as dg
import pytest


@pytest.fixture(scope="session")
def instance() -> Iterator[dg.DagsterInstance]:
    """A real sqlite-backed Dagster instance in a temporary DAGSTER_HOME."""
    with (
        tempfile.TemporaryDirectory(prefix="nc-dagster-home-") as home,
        dg.instance_for_test(temp_dir=home) as inst,
    ):
        yield inst
