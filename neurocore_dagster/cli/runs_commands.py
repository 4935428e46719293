"""``neurocore-dagster runs``: list, inspect, resume, approve and replay runs."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from neurocore_dagster.cli.data import positive_int
from neurocore_dagster.cli.run_ids import resolve_run_id
from neurocore_dagster.cli.run_progress import console_level
from neurocore_dagster.cli.values import RESUME_DATA_TYPES, parse_data_items
from neurocore_dagster.dagster_layer.jobs.recorded_job import recorded_blueprint
from neurocore_dagster.dagster_layer.resources.initial_data import run_initial_data
from neurocore_dagster.keys import BLUEPRINT_TAG, RUN_RESOURCE_KEY
from neurocore_dagster.service.execute import execute_blueprint
from neurocore_dagster.service.inspect import STATUSES, get_run, list_runs, run_report, run_status
from neurocore_dagster.service.results import BlueprintRun
from neurocore_dagster.service.resume import resume_blueprint
from neurocore_dagster.service.run_request import resolve_instance


def add_runs_commands(commands: Any) -> None:
    runs = commands.add_parser("runs", help="runs in the project's Dagster instance")
    sub = runs.add_subparsers(dest="runs_command", required=True)
    listing = sub.add_parser("list", help="newest runs first")
    listing.add_argument("--blueprint", help="only runs of this blueprint (its name)")
    listing.add_argument("--status", choices=STATUSES)
    listing.add_argument(
        "--pending", action="store_true", help="only runs still awaiting an approval decision"
    )
    listing.add_argument("--limit", type=positive_int, default=20, help="most runs to list")
    listing.set_defaults(handler=_list)
    inspect = sub.add_parser("inspect", help="steps and final context of a run")
    inspect.add_argument("run_id", help="the run id or a unique prefix of it")
    inspect.add_argument("--json", action="store_true", help="print JSON")
    inspect.set_defaults(handler=_inspect)
    resume = sub.add_parser(
        "resume", help="re-execute a failed run from failure, or a suspended one with --data"
    )
    resume.add_argument("run_id", help="the run id or a unique prefix of it")
    resume.add_argument(
        "--force",
        action="store_true",
        help="resume even though a re-execution of the run succeeded or is running",
    )
    resume.add_argument(
        "--data",
        "-d",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="resume data for a suspended run (text as written; approved=true|false)",
    )
    resume.set_defaults(handler=_resume)
    approve = sub.add_parser("approve", help="decide a run suspended at an approval gate")
    approve.add_argument("run_id", help="the run id or a unique prefix of it")
    approve.add_argument("--reject", action="store_true", help="reject instead of approve")
    approve.add_argument("--note", default="")
    approve.add_argument("--by", default="")
    approve.set_defaults(handler=_approve)
    watch = sub.add_parser("watch", help="follow a run started anywhere until it ends")
    watch.add_argument("run_id", help="the run id or a unique prefix of it")
    watch.add_argument("--json", action="store_true", help="one JSON event per line")
    watch.set_defaults(handler=_watch)
    replay = sub.add_parser("replay", help="a new run of the same blueprint with the same inputs")
    replay.add_argument("run_id", help="the run id or a unique prefix of it")
    replay.set_defaults(handler=_replay)


def _instance(args: argparse.Namespace) -> Any:
    return resolve_instance(None, args.project)


def _run_id(args: argparse.Namespace) -> str:
    """The run the user named: its full id or a unique prefix (refused when ambiguous)."""
    return resolve_run_id(_instance(args), args.run_id)


def _list(args: argparse.Namespace) -> int:
    if args.pending and args.status not in (None, "suspended"):
        from neurocore_dagster.cli.main import UsageError

        raise UsageError(
            f"--pending lists the suspended runs; it cannot be combined with --status {args.status}"
        )
    status = "suspended" if args.pending else args.status
    runs = list_runs(_instance(args), blueprint=args.blueprint, status=status, limit=args.limit)
    print(f"{'run id':36}  {'blueprint':24}  {'status':9}  {'started (UTC)':19}  parent")
    instance = _instance(args)
    for run in runs:
        record = instance.get_run_record_by_id(run.run_id)
        started = ""
        if record is not None and record.start_time:
            started = datetime.fromtimestamp(record.start_time, UTC).strftime("%Y-%m-%d %H:%M:%S")
        print(
            f"{run.run_id:36}  {run.tags.get(BLUEPRINT_TAG, ''):24}  "
            f"{run_status(run):9}  {started:19}  {run.parent_run_id or ''}"
        )
    return 0


def _inspect(args: argparse.Namespace) -> int:
    report = run_report(_instance(args), _run_id(args))
    if args.json:
        print(json.dumps(report, indent=2, default=str))
        return 0
    print(f"run {report['run_id']}  blueprint {report['blueprint']}  status {report['status']}")
    if report["parent_run_id"]:
        print(f"parent {report['parent_run_id']}")
    if report["error"]:
        print(f"error: {report['error']}")
    print(f"\n{'step':24}  {'status':9}  {'ms':>8}  {'port':10}  keys written")
    for step in report["steps"]:
        duration = f"{step['duration_ms']:.1f}" if step["duration_ms"] is not None else ""
        keys = ", ".join(step["keys_written"]) or step["skip_reason"]
        print(f"{step['step']:24}  {step['status']:9}  {duration:>8}  {step['port']:10}  {keys}")
    print("\ncontext:")
    print(json.dumps(report["context"], indent=2, default=str))
    return 0


def print_outcome(run: BlueprintRun) -> int:
    """Print a run's outcome as JSON; the exit code is 1 when it failed."""
    print(
        json.dumps(
            {
                "run_id": run.run_id,
                "status": run.status,
                "error": run.error,
                "context": run.context.data.to_dict(),
            },
            indent=2,
            default=str,
        )
    )
    return 1 if run.status == "failed" else 0


def _resume(args: argparse.Namespace) -> int:
    data = parse_data_items(args.data, RESUME_DATA_TYPES) if args.data else None
    return print_outcome(
        resume_blueprint(
            _run_id(args),
            instance=_instance(args),
            project_root=args.project,
            force=args.force,
            resume_data=data,
        )
    )


def _approve(args: argparse.Namespace) -> int:
    decision = {"approved": not args.reject, "note": args.note, "by": args.by}
    return print_outcome(
        resume_blueprint(
            _run_id(args), instance=_instance(args), project_root=args.project, resume_data=decision
        )
    )


def _watch(args: argparse.Namespace) -> int:
    from neurocore_dagster.cli.stream import watch

    return watch(_run_id(args), _instance(args), as_json=args.json)


def _replay(args: argparse.Namespace) -> int:
    instance = _instance(args)
    run = get_run(instance, _run_id(args))
    blueprint, _ = recorded_blueprint(instance, run)
    recorded: Mapping[str, Any] = run.run_config
    resources = dict(recorded.get("resources", {}))
    resources.pop(RUN_RESOURCE_KEY, None)
    initial = run_initial_data(resources_config(recorded, RUN_RESOURCE_KEY))
    return print_outcome(
        execute_blueprint(
            blueprint,
            instance=instance,
            project_root=args.project,
            initial_data=initial,
            run_config=console_level({"resources": resources}, verbose=False),
        )
    )


def resources_config(run_config: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """The ``config`` a run's run config gave resource ``key`` (empty when it gave none)."""
    resources: Mapping[str, Any] = run_config.get("resources") or {}
    resource: Mapping[str, Any] = resources.get(key) or {}
    config: Mapping[str, Any] = resource.get("config") or {}
    return config
