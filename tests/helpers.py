"""Helpers several test modules share: copies of the example project, a Dagster home
of a test's own, the CLI called in-process, and small inline blueprints.

(Fixtures live in conftest.py; these are plain functions, as each test module shapes
its project a little differently.)
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from neurocore_dagster.blueprint import Blueprint

ROOT = Path(__file__).resolve().parent.parent
"""The checkout: the example project (skills/, blueprints/, neurocore.yaml, ...)."""

EXAMPLE_PARTS = ("skills", "blueprints", "neurocore.yaml")


def copy_example_project(folder: Path, parts: Sequence[str] = EXAMPLE_PARTS) -> Path:
    """``folder`` holding a copy of the example project's ``parts`` (folders or files)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in parts:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, folder / name)
        else:
            shutil.copy(source, folder / name)
    return folder


def use_dagster_home(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``DAGSTER_HOME`` set (for this test) to ``home``, a new folder with an empty
    ``dagster.yaml``, so the CLI's instance is the test's own."""
    home.mkdir(parents=True)
    (home / "dagster.yaml").write_text("")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return home


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``neurocore-dagster ARGS`` in this process: exit code, stdout, stderr."""
    from neurocore_dagster.cli.main import main

    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_step_blueprint(name: str, skill: str = "trace", **config: Any) -> Blueprint:
    """A sequential blueprint of one step: component ``a`` of ``skill`` with ``config``."""
    component: dict[str, Any] = {"name": "a", "type": skill}
    if config:
        component["config"] = config
    return Blueprint.model_validate(
        {"name": name, "components": [component], "flow": {"steps": [{"component": "a"}]}}
    )


def self_loop_blueprint(name: str, until: int) -> Blueprint:
    """Graph ``s -> l``, ``l -> l`` on port ``again``: the loop skill ``l`` (skills_lib)
    visits itself until its counter reaches ``until``."""
    return Blueprint.model_validate(
        {
            "name": name,
            "components": [
                {"name": "s", "type": "trace"},
                {"name": "l", "type": "loop", "config": {"until": until}},
            ],
            "flow": {
                "type": "graph",
                "nodes": [{"id": "s", "component": "s"}, {"id": "l", "component": "l"}],
                "edges": [
                    {"source": "s", "target": "l"},
                    {"source": "l", "target": "l", "port": "again"},
                ],
            },
        }
    )


def checkout_env(home: Path) -> dict[str, str]:
    """The environment of a Dagster process on instance ``home`` that imports this
    checkout's package before any installed copy."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "DAGSTER_HOME": str(home), "PYTHONPATH": path}


@contextlib.contextmanager
def running_daemon(home: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A real ``dagster-daemon`` on instance ``home`` serving the example project's
    ``definitions.py`` (its output in ``home/daemon.log``), stopped on exit."""
    with (home / "daemon.log").open("w") as log:
        daemon = subprocess.Popen(
            [sys.executable, "-m", "dagster._daemon", "run", "-f", str(ROOT / "definitions.py")],
            cwd=ROOT,
            env=checkout_env(home),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield daemon
        finally:
            daemon.terminate()
            try:
                daemon.wait(timeout=30)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait()
