"""plan/ and runtime/ load without Dagster; the package root imports its API lazily.

Each check runs in a fresh interpreter: this test process has Dagster loaded
already (the suite's conftest imports it), so only a new one shows what an
import pulls in.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

_LOADED_AFTER = """
import importlib, json, pkgutil, sys
for package in {packages!r}:
    root = importlib.import_module(package)
    for info in pkgutil.walk_packages(root.__path__, package + "."):
        importlib.import_module(info.name)
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0].startswith("dagster"))))
"""


def _dagster_modules_after_importing(*packages: str) -> list[str]:
    """The ``dagster*`` modules a fresh interpreter holds after importing every module
    of ``packages`` (this checkout's copy)."""
    paths = [str(REPO), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    completed = subprocess.run(
        [sys.executable, "-c", _LOADED_AFTER.format(packages=list(packages))],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(paths)},
        cwd=REPO,
    )
    return list(json.loads(completed.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    "package",
    [
        "neurocore_dagster.plan",
        "neurocore_dagster.runtime",
        "neurocore_dagster.blueprint",
        "neurocore_dagster.skills",
    ],
)
def test_package_loads_no_dagster(package: str) -> None:
    assert _dagster_modules_after_importing(package) == []


def test_the_check_sees_dagster_where_it_is_loaded() -> None:
    """The same check reports Dagster for a layer that uses it (so it can fail)."""
    assert "dagster" in _dagster_modules_after_importing("neurocore_dagster.dagster_layer.jobs")


def test_public_api_resolves_lazily() -> None:
    """Every name of ``__all__`` is importable from the root, as DESIGN §2 promises."""
    import neurocore_dagster

    assert sorted(neurocore_dagster._PUBLIC) == sorted(neurocore_dagster.__all__)
    for name in neurocore_dagster.__all__:
        assert getattr(neurocore_dagster, name).__name__ == name
    assert set(neurocore_dagster.__all__) <= set(dir(neurocore_dagster))
    with pytest.raises(AttributeError, match="public names are: AsyncSkill"):
        _ = neurocore_dagster.not_a_name
