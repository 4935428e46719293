"""Run a job's ready steps concurrently in threads of one process.

NeuroCore overlaps I/O-bound skills (LLM and HTTP calls) for free; Dagster's
in-process executor runs one step at a time and its multiprocess executor pays
a process start per step. This executor keeps Dagster's semantics by reusing
its parts and changing only where steps run:

* ``ActiveExecution`` decides which steps are ready, skipped, retried or done,
  honouring ``max_concurrent``, ``tag_concurrency_limits`` and the instance's op
  concurrency pools (``InstanceConcurrencyContext``), as in Dagster's executors;
* every step runs through Dagster's own step body
  (``dagster_event_sequence_for_step``, what ``inner_plan_execution_iterator``
  calls) with a step context of the run's one execution context, so resources
  are initialised once per run, as in process;
* a worker thread only produces events: it hands them to the orchestrating
  thread through a queue, which yields them and feeds the plan state. An error
  that escapes the step body becomes a step failure or retry, as a crashed
  child process does under the multiprocess executor.

Stdout and stderr are captured once for the whole run (like the in-process
executor), because capture redirects the process's file descriptors and threads
share them. Steps cannot be killed: on termination no new step starts and the
running ones are awaited. Ops must be synchronous (blueprint ops are): the run
has one event loop, which threads cannot share.

Dagster has no public API for an executor that schedules steps itself, so this
module imports the internals its own executors are made of; each import says why.
"""

from __future__ import annotations

import os
import queue
import sys
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import dagster as dg

# Event constructors the executors use; no public equivalent.
from dagster._core.events import DagsterEvent, EngineEventData

# The run-level loop that prepares and tears down the execution context.
from dagster._core.execution.api import ExecuteRunWithPlanIterable
from dagster._core.execution.compute_logs import create_compute_log_file_key
from dagster._core.execution.context.system import PlanExecutionContext, PlanOrchestrationContext
from dagster._core.execution.context_creation_job import PlanExecutionContextManager

# Dagster's plan state and op concurrency pools.
from dagster._core.execution.plan.active import ActiveExecution

# The step body shared by Dagster's executors, and its hook runner.
from dagster._core.execution.plan.execute_plan import (
    _trigger_hook,
    dagster_event_sequence_for_step,
)
from dagster._core.execution.plan.instance_concurrency_context import InstanceConcurrencyContext
from dagster._core.execution.plan.plan import ExecutionPlan
from dagster._core.execution.retries import RetryMode, get_retries_config
from dagster._core.execution.step_dependency_config import (
    StepDependencyConfig,
    get_step_dependency_config_field,
)
from dagster._core.execution.tags import get_tag_concurrency_limits_config
from dagster._utils.error import serializable_error_info_from_exc_info
from dagster_shared.error import SerializableErrorInfo

DEFAULT_MAX_CONCURRENT = 16
"""Steps that may run at once: blueprint steps mostly wait on I/O, not on a core."""

POLL_S = 1.0
IDLE_S = 0.01

THREADS_CONFIG: dict[str, dg.Field] = {
    "max_concurrent": dg.Field(
        int,
        default_value=DEFAULT_MAX_CONCURRENT,
        description="Most steps running at once in this process's threads.",
    ),
    "tag_concurrency_limits": get_tag_concurrency_limits_config(),
    "retries": get_retries_config(),
    "step_dependency_config": get_step_dependency_config_field(),
}


def check_max_concurrent(value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(
            f"threads executor: max_concurrent must be an integer of at least 1, got {value!r}"
        )


@dataclass(frozen=True)
class _StepEvent:
    """An event a step produced; ``feeds_plan`` is false for hook events."""

    event: DagsterEvent
    feeds_plan: bool = True


@dataclass(frozen=True)
class _StepCrashed:
    """An error that escaped Dagster's step body in a worker thread."""

    error: SerializableErrorInfo


@dataclass(frozen=True)
class _StepDone:
    pass


_Message = _StepEvent | _StepCrashed | _StepDone


class ThreadedExecutor(dg.Executor):
    def __init__(
        self,
        retries: RetryMode,
        max_concurrent: int = DEFAULT_MAX_CONCURRENT,
        tag_concurrency_limits: list[dict[str, Any]] | None = None,
        step_dependency_config: StepDependencyConfig | None = None,
    ) -> None:
        check_max_concurrent(max_concurrent)
        self._retries = retries
        self._max_concurrent = max_concurrent
        self._tag_concurrency_limits = list(tag_concurrency_limits or [])
        self._step_dependency_config = step_dependency_config or StepDependencyConfig.default()

    @property
    def retries(self) -> RetryMode:
        return self._retries

    @property
    def step_dependency_config(self) -> StepDependencyConfig:
        return self._step_dependency_config

    def execute(
        self, plan_context: PlanOrchestrationContext, execution_plan: ExecutionPlan
    ) -> Iterator[DagsterEvent]:
        yield DagsterEvent.engine_event(
            plan_context,
            f"Executing steps in up to {self._max_concurrent} threads of process {os.getpid()}",
            event_specific_data=EngineEventData.in_process(
                os.getpid(), execution_plan.step_keys_to_execute
            ),
        )
        context_manager = PlanExecutionContextManager(
            job=plan_context.job,
            retry_mode=plan_context.retry_mode,
            execution_plan=plan_context.execution_plan,
            run_config=plan_context.run_config,
            dagster_run=plan_context.dagster_run,
            instance=plan_context.instance,
            raise_on_error=plan_context.raise_on_error,
            output_capture=plan_context.output_capture,
            step_dependency_config=self._step_dependency_config,
        )
        yield from iter(
            ExecuteRunWithPlanIterable(
                execution_plan=plan_context.execution_plan,
                iterator=partial(_execute_in_threads, executor=self),
                execution_context_manager=context_manager,
            )
        )

    def schedule(
        self, job_context: PlanExecutionContext, execution_plan: ExecutionPlan
    ) -> Iterator[DagsterEvent]:
        """Start ready steps in threads and relay their events until the plan is complete."""
        limit = self._max_concurrent
        messages: queue.Queue[tuple[str, _Message]] = queue.Queue()
        running: set[str] = set()
        stopping = False
        with (
            InstanceConcurrencyContext(job_context.instance, job_context.dagster_run) as pools,
            ActiveExecution(
                execution_plan,
                retry_mode=self._retries,
                max_concurrent=limit,
                tag_concurrency_limits=self._tag_concurrency_limits,
                instance_concurrency_context=pools,
                step_dependency_config=self._step_dependency_config,
            ) as active,
        ):
            while (not stopping and not active.is_complete) or running:
                if not stopping and active.check_for_interrupts():
                    stopping = True
                    active.mark_interrupted()
                    yield DagsterEvent.engine_event(
                        job_context,
                        "Threads executor: termination requested; no new step starts, "
                        f"waiting for running steps {sorted(running)}",
                        EngineEventData.interrupted(sorted(running)),
                    )
                if not stopping:
                    for step in active.get_steps_to_execute(limit=limit - len(running)):
                        step_context = job_context.for_step(step, active.get_known_state())
                        running.add(step.key)
                        threading.Thread(
                            target=_run_step,
                            args=(step_context, messages),
                            name=f"dagster-step-{step.key}",
                            daemon=True,
                        ).start()
                    yield from active.concurrency_event_iterator(job_context)
                yield from self._relay(job_context, active, messages, running)
                yield from active.plan_events_iterator(job_context)

    def _relay(
        self,
        job_context: PlanExecutionContext,
        active: ActiveExecution,
        messages: queue.Queue[tuple[str, _Message]],
        running: set[str],
    ) -> Iterator[DagsterEvent]:
        """Yield what the threads sent, waiting for a first message at most until work is due."""
        try:
            item = messages.get(timeout=_wait_s(active, running))
        except queue.Empty:
            return
        while True:
            key, message = item
            if isinstance(message, _StepEvent):
                yield message.event
                if message.feeds_plan:
                    active.handle_event(message.event)
            elif isinstance(message, _StepCrashed):
                step_context = job_context.for_step(active.get_step_by_key(key))
                outcome = self.log_failure_or_retry_event_after_error(
                    step_context, message.error, active.get_known_state()
                )
                yield outcome
                active.handle_event(outcome)
            else:
                running.discard(key)
                active.verify_complete(job_context, key)
            try:
                item = messages.get_nowait()
            except queue.Empty:
                return


def _wait_s(active: ActiveExecution, running: set[str]) -> float:
    """How long the orchestrator may block on the queue before it must look again.

    A finishing step always sends a message, so with steps running it blocks
    until one does, waking at least every ``POLL_S`` to notice termination; a
    retry delay or a pending op-concurrency claim (``sleep_interval``) wakes it
    sooner.
    """
    due: float = active.sleep_interval()
    if due > 0:
        return min(due, POLL_S)
    return POLL_S if running else IDLE_S


def _execute_in_threads(
    job_context: PlanExecutionContext, execution_plan: ExecutionPlan, *, executor: ThreadedExecutor
) -> Iterator[DagsterEvent]:
    """The run body: one stdout/stderr capture for the process, then the scheduler."""
    log_manager = job_context.instance.compute_log_manager
    log_key = log_manager.build_log_key_for_run(job_context.run_id, create_compute_log_file_key())
    step_keys = [step.key for step in execution_plan.get_steps_to_execute_in_topo_order()]
    with log_manager.capture_logs(log_key) as log_context:
        yield DagsterEvent.capture_logs(job_context, step_keys, log_key, log_context)
        yield from executor.schedule(job_context, execution_plan)


def _run_step(step_context: Any, messages: queue.Queue[tuple[str, _Message]]) -> None:
    """Dagster's step body and hooks for one step, in a worker thread."""
    key = step_context.step.key
    try:
        produced: list[DagsterEvent] = []
        for event in dagster_event_sequence_for_step(step_context):
            produced.append(event)
            messages.put((key, _StepEvent(event)))
        for event in _trigger_hook(step_context, produced):
            messages.put((key, _StepEvent(event, feeds_plan=False)))
    except Exception:  # the orchestrator turns it into a step failure or retry
        messages.put((key, _StepCrashed(serializable_error_info_from_exc_info(sys.exc_info()))))
    finally:
        messages.put((key, _StepDone()))


def threaded_executor_from_config(config: Mapping[str, Any]) -> ThreadedExecutor:
    return ThreadedExecutor(
        retries=RetryMode.from_config(config["retries"]),  # type: ignore[arg-type]
        max_concurrent=config["max_concurrent"],
        tag_concurrency_limits=config.get("tag_concurrency_limits"),
        step_dependency_config=StepDependencyConfig.from_config(
            config.get("step_dependency_config")
        ),
    )


@dg.executor(name="threads", config_schema=THREADS_CONFIG)
def threads_executor(init_context: dg.InitExecutorContext) -> dg.Executor:
    """Ready steps run concurrently in threads of the run's process (I/O-bound work)."""
    return threaded_executor_from_config(init_context.executor_config)
