"""Helpers for tests that drive Dagster's own command line in a fresh DAGSTER_HOME."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def new_dagster_home(folder: Path) -> Path:
    """An empty instance folder (sqlite storage, defaults) that Dagster accepts."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dagster.yaml").write_text("")
    return folder


def dagster_env(home: Path) -> dict[str, str]:
    return {**os.environ, "DAGSTER_HOME": str(home)}


def job_execute(definitions: Path, job: str, *, config: Path | None = None) -> list[str]:
    """``dagster job execute`` of one job (the job's default executor, or ``config``'s)."""
    command = [sys.executable, "-m", "dagster", "job", "execute", "-f", str(definitions)]
    return [*command, "-j", job, *(["-c", str(config)] if config is not None else [])]


def multiprocess_config(folder: Path) -> Path:
    """A run config file that selects Dagster's multiprocess executor (steps in processes)."""
    path = folder / "multiprocess.yaml"
    path.write_text("execution:\n  config:\n    multiprocess: {}\n")
    return path
