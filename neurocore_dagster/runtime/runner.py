"""The one node runner: a skill's lifecycle on a context, for every kind of place.

A sequential step, a graph node and a loop visit all run here, with
flowengine's rules: the time budget is checked first, the port is cleared
before a graph node, ``setup``/``process``/``teardown`` run with a cooperative
deadline, a coroutine returned by ``process`` is awaited, and a failure follows
``on_error`` (``fail`` or ``fail_fast`` re-raise the skill's own exception;
``skip`` and ``continue`` record it in the context metadata). A failure that the
skill's retry policy covers is raised as :class:`RetryNeeded` before any of that.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import inspect
import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from flowengine import BaseComponent, FlowContext
from flowengine.config.schema import FlowSettings
from flowengine.errors import DeadlineCheckError, FlowTimeoutError

from neurocore_dagster.errors import SkillError
from neurocore_dagster.plan.model import Unit
from neurocore_dagster.runtime.clock import FlowClock
from neurocore_dagster.runtime.event_loop import RunLoop
from neurocore_dagster.runtime.observer import Observer, OpWarning, StepFinished, StepStarted

log = logging.getLogger("neurocore_dagster")

DEADLINE_CHECK_THRESHOLD_S = 1.0
Mode = Literal["step", "node"]


class RetryNeeded(Exception):
    """The skill at ``node`` failed in a way its retry policy covers; the op is to be retried."""

    def __init__(
        self,
        error: BaseException,
        node: str,
        attempt: int,
        delay_seconds: float,
        max_retries: int,
    ) -> None:
        super().__init__(f"retry {attempt + 1} after {type(error).__name__}: {error}")
        self.error = error
        self.node = node
        self.attempt = attempt
        self.delay_seconds = delay_seconds
        self.max_retries = max_retries


@dataclass(frozen=True)
class RunParams:
    settings: FlowSettings
    clock: FlowClock
    attempt: int = 0
    loop: RunLoop | None = None
    """The run's event loop for async skills (None: a new loop per call)."""


def run_unit(
    unit: Unit,
    component: BaseComponent,
    context: FlowContext,
    params: RunParams,
    mode: Mode,
    observer: Observer,
) -> FlowContext:
    """Run ``unit``'s skill on ``context`` and return the context flowengine would hold."""
    settings = params.settings
    remaining = params.clock.remaining(context.metadata.flow_id, unit.key)
    if mode == "node":
        context.clear_port()
    observer.on_step_started(StepStarted(unit.key, mode))
    started = time.perf_counter()
    started_at = datetime.now(UTC)
    try:
        context.metadata.deadline = time.time() + remaining if remaining is not None else None
        context.metadata.deadline_checked = False
        context = _returned_context(
            unit, _lifecycle(component, context, settings.timeout_mode, remaining, params.loop)
        )
        elapsed = time.perf_counter() - started
        context.metadata.record_timing(unit.component, elapsed, started_at, unit.step_index)
        if mode == "step":
            _check_deadline_compliance(unit, context, settings, elapsed, remaining)
        observer.on_step_finished(StepFinished(unit.key, elapsed * 1000))
    except (FlowTimeoutError, DeadlineCheckError):
        context.metadata.record_timing(
            unit.component, time.perf_counter() - started, started_at, unit.step_index
        )
        raise
    except Exception as error:
        if unit.retry is not None and unit.retry.allows(error, params.attempt):
            raise RetryNeeded(
                error,
                unit.key,
                params.attempt,
                unit.retry.delay_seconds(params.attempt),
                unit.retry.max_retries,
            ) from error
        elapsed = time.perf_counter() - started
        context.metadata.record_timing(unit.component, elapsed, started_at, unit.step_index)
        context.metadata.add_error(unit.component, error)
        if unit.on_error == "fail" or settings.fail_fast:
            raise
        if unit.on_error == "skip":
            context.metadata.skipped_components.append(unit.component)
        observer.on_warning(
            OpWarning(
                unit.key,
                "error_recorded",
                f"{unit.key} failed and the flow goes on (on_error="
                f"{unit.on_error}): {type(error).__name__}: {error}",
                {
                    "error_type": type(error).__name__,
                    "error": str(error),
                    "duration_ms": elapsed * 1000,
                },
            )
        )
    finally:
        context.metadata.deadline = None
        context.metadata.deadline_checked = False
    return context


def _returned_context(unit: Unit, result: Any) -> FlowContext:
    """``process`` must return a ``FlowContext``; anything else fails the step by name."""
    if isinstance(result, FlowContext):
        return result
    raise SkillError(
        f"skill {unit.skill!r} (component {unit.component!r}, at {unit.key!r}): process() "
        f"returned {type(result).__name__ if result is not None else 'None'}; it must "
        "return the FlowContext it was given (add `return context`)"
    )


def _lifecycle(
    component: BaseComponent,
    context: FlowContext,
    mode: str,
    remaining: float | None,
    loop: RunLoop | None,
) -> FlowContext:
    """``setup``/``process``/``teardown`` under the flow's ``timeout_mode``.

    The hard modes apply to graph nodes and loop visits too, where flowengine's
    graph executor only sets the cooperative deadline: a node that hangs must not
    run past the flow's budget. A node that finishes in time gives the same result.
    """
    if mode == "hard_async":
        return _with_hard_timeout(component, context, remaining, loop)
    if mode == "hard_process":
        from neurocore_dagster.runtime.isolated import run_in_process

        return run_in_process(component, context, remaining)
    component.setup(context)
    try:
        result = resolve(component.process(context), loop)
        if isinstance(result, FlowContext):
            context = result  # teardown sees what process returned, as in flowengine
    finally:
        component.teardown(context)
        context.metadata.deadline = None
    return result  # type: ignore[no-any-return]  # checked by _returned_context


def resolve(result: Any, loop: RunLoop | None = None) -> Any:
    """Await ``result`` if it is a coroutine: the single sync/async boundary.

    On the run's ``loop`` when there is one (so asyncio objects a skill keeps
    between calls stay usable); else on a loop of its own.
    """
    if not inspect.iscoroutine(result):
        return result
    if loop is not None:
        return loop.run(result)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(result)
    context = contextvars.copy_context()
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(context.run, asyncio.run, result).result()


def _with_hard_timeout(
    component: BaseComponent, context: FlowContext, remaining: float | None, loop: RunLoop | None
) -> FlowContext:
    """Stop waiting for ``process`` after ``remaining`` seconds (flowengine's hard_async)."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["context"] = resolve(component.process(context), loop)
        except Exception as exc:  # handed to the calling thread below, not swallowed
            outcome["error"] = exc

    component.setup(context)
    caller = contextvars.copy_context()
    worker = threading.Thread(
        target=caller.run, args=(target,), daemon=True, name=f"neurocore-{component.name}"
    )
    try:
        worker.start()
        worker.join(remaining)
        if worker.is_alive():
            raise FlowTimeoutError(
                f"Hard async timeout: component '{component.name}' exceeded {remaining:.2f}s",
                timeout=remaining,
                elapsed=remaining or 0.0,
                flow_id=context.metadata.flow_id,
                step=component.name,
            )
        if "error" in outcome:
            raise outcome["error"]
    finally:
        component.teardown(context)
        context.metadata.deadline = None
    return outcome["context"]  # type: ignore[no-any-return]  # checked by _returned_context


def _check_deadline_compliance(
    unit: Unit,
    context: FlowContext,
    settings: FlowSettings,
    elapsed: float,
    remaining: float | None,
) -> None:
    if (
        settings.timeout_mode != "cooperative"
        or elapsed <= DEADLINE_CHECK_THRESHOLD_S
        or remaining is None
        or context.metadata.deadline_checked
    ):
        return
    message = f"Component '{unit.component}' took {elapsed:.2f}s but never called check_deadline()."
    if settings.require_deadline_check:
        raise DeadlineCheckError(
            f"{message} This is required when require_deadline_check=True.",
            component=unit.component,
            duration=elapsed,
            threshold=DEADLINE_CHECK_THRESHOLD_S,
            flow_id=context.metadata.flow_id,
        )
    log.warning("%s Consider adding deadline checks for timeout compliance.", message)
