"""The executor of blueprint jobs: Dagster's own, plus threads, with step processes kept light.

Its config is Dagster's ``multi_or_in_process_executor`` selector
(``multiprocess`` or ``in_process``) with a third choice, ``threads``, the
default: ready steps run concurrently in threads of the run's process
(``threaded_executor``), so I/O-bound branches overlap as in NeuroCore. A
launched run already has a process of its own (the run worker), so threads are
safe there too and spare a Python start-up and a project load per step, which is
most of a step process's time. ``multiprocess`` is the choice for CPU-bound
skills, one setting away.

The multiprocess executor is wrapped so that the step processes it starts know
which blueprint file their job came from: ``build_definitions`` in a step
process then builds that one job only, not every blueprint in the project. The
hint travels with the run's execution plan, as Dagster reconstruction metadata
(``neurocore/step_blueprint``) that a step process reads while it loads the code
location; nothing process-global (such as an environment variable) is set, so
runs that share a process cannot see each other's hint.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from typing import Any, cast

import dagster as dg

# The config type of Dagster's executor selector, whose fields the threads choice joins.
from dagster._config.field_utils import _ConfigHasFields

# Where a step process finds the reconstruction metadata its run's plan carried;
# Dagster exports no public accessor for it.
from dagster._core.definitions.definitions_load_context import (
    DefinitionsLoadContext,
    DefinitionsLoadType,
)
from dagster._core.definitions.metadata.metadata_value import (
    CodeLocationReconstructionMetadataValue,
)
from dagster._core.definitions.repository_definition import RepositoryLoadData
from dagster._core.execution.plan.plan import ExecutionPlan

from neurocore_dagster.dagster_layer.executors.liveness import record_process
from neurocore_dagster.dagster_layer.executors.threaded import (
    THREADS_CONFIG,
    check_max_concurrent,
    threaded_executor_from_config,
)
from neurocore_dagster.keys import STEP_BLUEPRINT_KEY

THREADS_EXECUTION: dict[str, Any] = {"config": {"threads": {}}}
"""Run config ``execution`` section selecting the threads executor with its defaults."""


class _ScopedExecutor(dg.Executor):
    def __init__(self, inner: dg.Executor, blueprint_path: str | None) -> None:
        self._inner = inner
        self._blueprint_path = blueprint_path

    @property
    def retries(self) -> Any:
        return self._inner.retries

    def execute(self, plan_context: Any, execution_plan: Any) -> Iterator[Any]:
        """The inner executor, on a plan whose load data names this run's blueprint file."""
        if self._blueprint_path:
            execution_plan = with_step_blueprint(execution_plan, self._blueprint_path)
        yield from self._inner.execute(plan_context, execution_plan)


def with_step_blueprint(execution_plan: ExecutionPlan, blueprint_path: str) -> ExecutionPlan:
    """``execution_plan`` whose repository load data carries the step-blueprint hint.

    Dagster hands a plan's load data to each step process, which loads the code
    location with it as reconstruction metadata (see :func:`step_blueprint_hint`).
    """
    load = execution_plan.repository_load_data or RepositoryLoadData()
    metadata = {
        **load.reconstruction_metadata,
        STEP_BLUEPRINT_KEY: CodeLocationReconstructionMetadataValue(blueprint_path),
    }
    return execution_plan._replace(
        repository_load_data=load._replace(reconstruction_metadata=metadata)
    )


def step_blueprint_hint() -> str | None:
    """The blueprint file the executor named, when this process is loading a step's code."""
    if not DefinitionsLoadContext.is_set():
        return None
    context = DefinitionsLoadContext.get()
    if context.load_type != DefinitionsLoadType.RECONSTRUCTION:
        return None
    hint = context.reconstruction_metadata.get(STEP_BLUEPRINT_KEY)
    return hint if isinstance(hint, str) else None


class _RecordingExecutor(dg.Executor):
    """Any executor, with the run's orchestrating process recorded before it starts.

    That process writes the run's events; once it is gone the run can never end,
    so :mod:`reaping` checks it (see ``liveness``).
    """

    def __init__(self, inner: dg.Executor) -> None:
        self._inner = inner

    @property
    def retries(self) -> Any:
        return self._inner.retries

    @property
    def step_dependency_config(self) -> Any:
        return self._inner.step_dependency_config

    def execute(self, plan_context: Any, execution_plan: Any) -> Iterator[Any]:
        record_process(plan_context.instance, plan_context.run_id)
        yield from self._inner.execute(plan_context, execution_plan)


def check_execution_config(execution: Any) -> None:
    """Refuse, before a run is created, what Dagster's config types cannot express.

    ``max_concurrent`` of ``threads`` must be at least 1; anything else in the
    section is checked by Dagster when the run starts.
    """
    threads = _executor_choice(execution).get("threads")
    if isinstance(threads, Mapping) and "max_concurrent" in threads:
        check_max_concurrent(threads["max_concurrent"])


def runs_in_this_process(execution: Any) -> bool:
    """Whether the ``execution`` section keeps every step in the run's process."""
    return bool(set(_executor_choice(execution)) & {"threads", "in_process"})


def _executor_choice(execution: Any) -> Mapping[str, Any]:
    """The selector under ``execution.config`` (``{}`` when absent or malformed)."""
    choice = execution.get("config") if isinstance(execution, Mapping) else None
    return choice if isinstance(choice, Mapping) else {}


@functools.cache
def _executor_config_field() -> dg.Field:
    """Dagster's selector plus ``threads``; built once, as every job shares it."""
    selector = dg.multi_or_in_process_executor.config_schema.as_field().config_type
    if not isinstance(selector, _ConfigHasFields):
        raise TypeError(
            "Dagster's multi_or_in_process_executor config is no longer a selector with fields "
            f"(got {type(selector).__name__}): the threads choice cannot be added beside it"
        )
    choices = dict(selector.fields)
    choices["threads"] = dg.Field(THREADS_CONFIG)
    return dg.Field(dg.Selector(choices), default_value={"threads": {}})


def blueprint_executor(blueprint_path: str | None) -> dg.ExecutorDefinition:
    """Dagster's default executor or threads; step processes scoped to ``blueprint_path``."""
    default = dg.multi_or_in_process_executor

    def create(init_context: dg.InitExecutorContext) -> dg.Executor:
        config = init_context.executor_config
        if "threads" in config:
            threads = cast(Mapping[str, Any], config["threads"])  # checked by Dagster's schema
            return _RecordingExecutor(threaded_executor_from_config(threads))
        make_default = default.executor_creation_fn
        if make_default is None:
            raise TypeError("Dagster's multi_or_in_process_executor has no creation function")
        scoped = _ScopedExecutor(make_default(init_context), blueprint_path)
        return _RecordingExecutor(scoped)

    return dg.ExecutorDefinition(
        name="neurocore_executor",
        config_schema=_executor_config_field(),
        executor_creation_fn=create,
        description="threads (the default: ready steps run concurrently in threads of the "
        "run's process), multiprocess (Dagster's; its step processes build only this "
        "blueprint's job), or in_process (Dagster's, one step at a time).",
    )
