"""``run --stream`` and ``runs watch``: live progress in the terminal."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg

from neurocore_dagster.blueprint.model import Blueprint
from neurocore_dagster.cli.event_view import ProgressRenderer
from neurocore_dagster.service.events import (
    FlowEvent,
    FlowEventType,
    follow_run,
    launch_run,
)


def _render(events_for: Any, as_json: bool) -> int:
    renderer = ProgressRenderer(sys.stdout, live=sys.stdout.isatty(), as_json=as_json)
    events: Iterator[FlowEvent] = events_for(renderer.tick)
    last: FlowEvent | None = None
    for event in events:
        renderer.handle(event)
        last = event
    renderer.summary()
    return 1 if last is not None and last.event_type == FlowEventType.FLOW_FAILED else 0


def stream_run(
    blueprint: Blueprint,
    project: str,
    data: Mapping[str, Any],
    *,
    as_json: bool,
    run_config: Mapping[str, Any] | None = None,
) -> int:
    launch, instance = launch_run(blueprint, None, data, None, project, run_config)
    return _render(
        lambda tick: follow_run(instance, launch.run_id, alive=launch.alive, on_idle=tick), as_json
    )


def watch(run_id: str, instance: dg.DagsterInstance, *, as_json: bool) -> int:
    return _render(lambda tick: follow_run(instance, run_id, on_idle=tick), as_json)
