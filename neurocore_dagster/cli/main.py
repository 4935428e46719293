"""``neurocore-dagster``: validate and run blueprints from a terminal.

Exit codes: 0 ok, 1 the run failed (or a blueprint is invalid), 2 bad usage.
Runs go to the project's Dagster instance ($DAGSTER_HOME, else ``.dagster/``
in the project), so they show in ``dagster dev``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import dagster as dg

from neurocore_dagster.blueprint.loader import load_blueprint
from neurocore_dagster.cli.data import initial_data, positive_int
from neurocore_dagster.cli.options import (
    PROJECT_FLAGS,
    PROJECT_HELP,
    add_project_option_everywhere,
    package_version,
)
from neurocore_dagster.cli.run_progress import console_level, outcome_after_progress
from neurocore_dagster.dagster_layer.definitions import validate_project
from neurocore_dagster.errors import BlueprintError, NeuroCoreDagsterError
from neurocore_dagster.project.config import load_project
from neurocore_dagster.project.env import project_root_of
from neurocore_dagster.skills.discovery import discover_usable_skills


class UsageError(NeuroCoreDagsterError):
    """The command line itself is wrong (exit code 2)."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    args.project = str(project_root_of(args.project))
    try:
        _check_project(args.project)
        return int(args.handler(args))
    except BlueprintError as error:
        print(error, file=sys.stderr)
        return 1
    except NeuroCoreDagsterError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except dg.DagsterInvalidConfigError as error:
        print(f"error: {config_error_text(error)}", file=sys.stderr)
        return 2


def config_error_text(error: dg.DagsterInvalidConfigError) -> str:
    """Dagster's refusal of a run's config as one line: each problem's own message."""
    problems = []
    for item in error.errors:
        data = getattr(item, "error_data", None)
        text = str(data.message if data is not None else item.message).strip()
        text = text.removeprefix("dagster._config.errors.PostProcessingError: ")
        problems.append(" ".join(text.split()))
    return "run config refused: " + "; ".join(problems)


def _check_project(project: str) -> None:
    """A mistyped ``--project`` is named as such (not as a skill or file it lacks)."""
    path = Path(project)
    if not path.is_dir():
        what = "is a file" if path.exists() else "does not exist"
        raise UsageError(f"--project {project}: {what}; give the project's folder")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="neurocore-dagster", description="Run NeuroCore blueprints as Dagster jobs."
    )
    parser.add_argument(*PROJECT_FLAGS, dest="project", default=None, help=PROJECT_HELP)
    parser.add_argument(
        "--version", "-V", action="version", version=f"%(prog)s {package_version()}"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser("validate", help="check blueprints; list every problem")
    validate.add_argument("paths", nargs="*", help="blueprint files (default: all)")
    validate.add_argument(
        "--strict", action="store_true", help="warnings are errors (exit 1 listing them)"
    )
    validate.set_defaults(handler=_validate)
    run = commands.add_parser("run", help="run a blueprint in the project's Dagster instance")
    run.add_argument("blueprint", help="blueprint file")
    run.add_argument(
        "--data",
        "-d",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="initial data; VALUE is text as written (as in NeuroCore), read as JSON "
        "for an input the blueprint declares integer, number, boolean, array or object",
    )
    run.add_argument("--data-file", help="JSON file with initial data")
    run.add_argument("--stream", action="store_true", help="show live progress of the run")
    run.add_argument(
        "--json", "-j", action="store_true", help="with --stream: one JSON event per line"
    )
    run.add_argument(
        "--verbose",
        "-v",
        action="store_true",
        help="also print Dagster's event log (DEBUG) on stderr",
    )
    run.add_argument(
        "--executor",
        choices=EXECUTORS,
        default="threads",
        help="threads: ready steps at once in this process (default); in_process: one at "
        "a time; multiprocess: a process per step, for CPU-bound skills",
    )
    run.add_argument(
        "--max-concurrent",
        type=positive_int,
        default=None,
        help="most steps running at once (threads and multiprocess)",
    )
    run.set_defaults(handler=_run)
    from neurocore_dagster.cli.project_commands import add_project_commands
    from neurocore_dagster.cli.runs_commands import add_runs_commands

    add_runs_commands(commands)
    add_project_commands(commands)
    add_project_option_everywhere(parser)
    return parser


def _validate(args: argparse.Namespace) -> int:
    """The checks ``build_definitions`` makes (one shared function), for every file or
    ``paths``; warnings are printed, or with ``--strict`` are errors (as ``strict=True``)."""
    project = load_project(args.project)
    check = validate_project(
        project, discover_usable_skills(project), [Path(p) for p in args.paths]
    )
    broken = [*check.broken_skill_files.values(), *check.broken.values()]
    if args.strict and check.warnings:
        warned = BlueprintError(check.warnings)
        print(BlueprintError.combine([warned, *broken]), file=sys.stderr)
        return 1
    for warning in check.warnings:
        print(f"warning: {warning.render()}", file=sys.stderr)
    if broken:
        print(BlueprintError.combine(broken), file=sys.stderr)
        return 1
    print(f"{len(check.loaded)} blueprint(s) valid")
    return 0


def _run(args: argparse.Namespace) -> int:
    blueprint = load_blueprint(args.blueprint)
    for warning in blueprint.warnings:
        print(f"warning: {warning.render()}", file=sys.stderr)
    data = initial_data(args.data_file, args.data, blueprint.inputs or {})
    config = _execution_config(args)
    if args.stream:
        from neurocore_dagster.cli.stream import stream_run

        config = console_level(config, verbose=args.verbose)
        return stream_run(blueprint, args.project, data, as_json=args.json, run_config=config)
    return outcome_after_progress(blueprint, args.project, data, config, verbose=args.verbose)


EXECUTORS = ("threads", "in_process", "multiprocess")


def _execution_config(args: argparse.Namespace) -> dict[str, Any]:
    """The run config ``execution`` section the --executor and --max-concurrent flags ask for."""
    settings: dict[str, Any] = {}
    if args.max_concurrent is not None:
        if args.executor == "in_process":
            raise UsageError("--max-concurrent does not apply to --executor in_process")
        settings["max_concurrent"] = args.max_concurrent
    return {"execution": {"config": {args.executor: settings}}}


if __name__ == "__main__":
    sys.exit(main())
