"""``neurocore-dagster run``: progress lines and warnings on stderr, the result on stdout.

Dagster's console logger prints every event of a run at DEBUG level; a
NeuroCore user expects the run's progress and its result. So ``run`` sets the
console logger's level in the run config (``loggers.console.config.log_level``:
CRITICAL, or DEBUG with ``--verbose``) and renders the run's own events as
progress lines instead. Warnings that steps log (a join's scalar conflict, a
loop's visit limit) are printed after the run, so quiet never means silent.
The run config records the level, so a resume of the run is as quiet as it.
"""

from __future__ import annotations

import copy
import logging
import sys
from collections.abc import Mapping
from typing import Any

import dagster as dg

from neurocore_dagster.blueprint.model import Blueprint
from neurocore_dagster.cli.event_view import ProgressRenderer
from neurocore_dagster.service.events import follow_run, launch_run
from neurocore_dagster.service.results import blueprint_run

QUIET_LEVEL = "CRITICAL"
VERBOSE_LEVEL = "DEBUG"


def console_level(run_config: Mapping[str, Any], *, verbose: bool) -> dict[str, Any]:
    """``run_config`` with Dagster's console logger at DEBUG (verbose) or CRITICAL."""
    config = copy.deepcopy(dict(run_config))
    level = VERBOSE_LEVEL if verbose else QUIET_LEVEL
    config.setdefault("loggers", {})["console"] = {"config": {"log_level": level}}
    return config


def run_with_progress(
    blueprint: Blueprint,
    project: str,
    data: Mapping[str, Any],
    run_config: Mapping[str, Any],
    *,
    verbose: bool,
) -> tuple[str, dg.DagsterInstance]:
    """Run ``blueprint``, printing its progress to stderr; its run id and instance."""
    config = console_level(run_config, verbose=verbose)
    launch, instance = launch_run(blueprint, None, data, None, project, config)
    renderer = ProgressRenderer(sys.stderr, live=sys.stderr.isatty())
    run_id = launch.run_id
    for event in follow_run(instance, run_id, alive=launch.alive, on_idle=renderer.tick):
        renderer.handle(event)
    launch.thread.join()
    for line in logged_warnings(instance, run_id):
        print(f"warning: {line}", file=sys.stderr)
    return run_id, instance


def logged_warnings(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """What the run's steps logged at WARNING or above (not Dagster's own events)."""
    found = []
    for entry in instance.all_logs(run_id):
        level = entry.level if isinstance(entry.level, int) else logging.getLevelName(entry.level)
        if entry.dagster_event is None and isinstance(level, int) and level >= logging.WARNING:
            where = f"{entry.step_key}: " if entry.step_key else ""
            found.append(f"{where}{entry.user_message}")
    return found


def outcome_after_progress(
    blueprint: Blueprint,
    project: str,
    data: Mapping[str, Any],
    run_config: Mapping[str, Any],
    *,
    verbose: bool,
) -> int:
    """Run with progress, then print the outcome as JSON on stdout (exit 1 when failed)."""
    from neurocore_dagster.cli.runs_commands import print_outcome

    run_id, instance = run_with_progress(blueprint, project, data, run_config, verbose=verbose)
    return print_outcome(blueprint_run(run_id, instance=instance))
