"""flowengine's ``hard_process`` timeout mode: ``process`` in a child process that can be killed.

Used for sequential steps, graph nodes and loop visits alike.
"""

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
                returned, port, child_log = future.result(timeout=remaining)
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
    if returned is None:
        return None  # type: ignore[return-value]  # the runner names the skill that returned it
    result = FlowContext.from_dict(returned)
    if port is not None:
        result.set_port(port)
    if log is not None:
        log.merge(child_log)
        record_access(result, log)
    return result


def _process_in_child(
    module: str,
    qualname: str,
    name: str,
    config: dict[str, Any],
    data: dict[str, Any],
    decision: dict[str, Any] | None,
) -> tuple[dict[str, Any] | None, str | None, AccessLog]:
    """Run ``process`` on a copy of the context; return it (None when ``process`` returned
    no context), its port (``to_dict`` leaves the port out) and what the skill accessed.

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
    if not isinstance(result, FlowContext):
        return None, None, log
    with unrecorded(result):
        returned = result.to_dict()
    port = result.get_active_port()
    return returned, port, (log if access_log(result) is log else AccessLog(read_all=True))
