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


def run_in_process(
    component: BaseComponent, context: FlowContext, remaining: float | None
) -> FlowContext:
    component.setup(context)
    try:
        cls = type(component)
        with ProcessPoolExecutor(max_workers=1) as pool:
            future = pool.submit(
                _process_in_child,
                cls.__module__,
                cls.__qualname__,
                component.name,
                dict(component.config),
                context.to_dict(),
            )
            try:
                data, port = future.result(timeout=remaining)
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
    if data is None:
        return None  # type: ignore[return-value]  # the runner names the skill that returned it
    result = FlowContext.from_dict(data)
    if port is not None:
        result.set_port(port)
    return result


def _process_in_child(
    module: str, qualname: str, name: str, config: dict[str, Any], data: dict[str, Any]
) -> tuple[dict[str, Any] | None, str | None]:
    """The context ``process`` returns, and its port (``to_dict`` leaves the port out)."""
    from neurocore_dagster.runtime.runner import resolve

    target: Any = importlib.import_module(module)
    for part in qualname.split("."):
        target = getattr(target, part)
    component = target(name)
    component.init(config)
    result = resolve(component.process(FlowContext.from_dict(data)))
    if not isinstance(result, FlowContext):
        return None, None
    return result.to_dict(), result.get_active_port()
