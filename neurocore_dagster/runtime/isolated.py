"""flowengine's ``hard_process`` timeout mode: ``process`` in a child process that can be killed."""

from __future__ import annotations

import importlib
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from typing import Any

from flowengine import BaseComponent, FlowContext
from flowengine.errors import FlowTimeoutError

from neurocore_dagster.runtime.access import AccessLog, access_log, record_access, unrecorded
from neurocore_dagster.skills.decisions import delivering, take_decision


def run_in_process(
    component: BaseComponent, context: FlowContext, remaining: float | None
) -> FlowContext:
    component.setup(context)
    try:
        cls = type(component)
        log = access_log(context)
        with unrecorded(context):
            sent = context.to_dict()
        with ProcessPoolExecutor(max_workers=1) as pool:
            future = pool.submit(
                _process_in_child,
                cls.__module__,
                cls.__qualname__,
                component.name,
                dict(component.config),
                sent,
                take_decision(),  # a step's one unit: the gate, if it is one, takes it there
            )
            try:
                returned, child_log = future.result(timeout=remaining)
                context = FlowContext.from_dict(returned)
                if log is not None:
                    log.merge(child_log)
                    record_access(context, log)
            except FuturesTimeout:
                for process in list(getattr(pool, "_processes", {}).values()):
                    # ProcessPoolExecutor has no public way to kill a hung worker.
                    process.kill()
                raise FlowTimeoutError(
                    f"Hard process timeout: component '{component.name}' exceeded {remaining:.2f}s",
                    timeout=remaining,
                    elapsed=remaining or 0.0,
                    flow_id=context.metadata.flow_id,
                    step=component.name,
                ) from None
    finally:
        component.teardown(context)
        context.metadata.deadline = None
    return context


def _process_in_child(
    module: str,
    qualname: str,
    name: str,
    config: dict[str, Any],
    data: dict[str, Any],
    decision: dict[str, Any] | None,
) -> tuple[dict[str, Any], AccessLog]:
    """Run ``process`` on a copy of the context; return it and what the skill accessed.

    ``decision`` is the one delivered to the calling op, delivered here in turn.
    """
    from neurocore_dagster.runtime.runner import resolve

    target: Any = importlib.import_module(module)
    for part in qualname.split("."):
        target = getattr(target, part)
    component = target(name)
    component.init(config)
    context = FlowContext.from_dict(data)
    log = record_access(context)
    with delivering(decision):
        result = resolve(component.process(context))
    with unrecorded(result):
        returned = result.to_dict()
    return returned, (log if access_log(result) is log else AccessLog(read_all=True))
