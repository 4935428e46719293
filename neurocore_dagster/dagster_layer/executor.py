"""The executor of blueprint jobs: Dagster's own, with step processes kept light.

It is Dagster's ``multi_or_in_process_executor`` (same config: ``multiprocess``
by default, or ``in_process``), wrapped so that the step processes it starts
know which blueprint file their job came from: ``build_definitions`` in a step
process then builds that one job only, not every blueprint in the project. The
hint travels in the environment variable ``NEUROCORE_DAGSTER_STEP_BLUEPRINT``,
set in the run worker just before it starts step processes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import dagster as dg

STEP_BLUEPRINT_ENV = "NEUROCORE_DAGSTER_STEP_BLUEPRINT"


class _ScopedExecutor(dg.Executor):
    def __init__(self, inner: dg.Executor, blueprint_path: str | None) -> None:
        self._inner = inner
        self._blueprint_path = blueprint_path

    @property
    def retries(self) -> Any:
        return self._inner.retries

    def execute(self, plan_context: Any, execution_plan: Any) -> Iterator[Any]:
        if self._blueprint_path:
            os.environ[STEP_BLUEPRINT_ENV] = self._blueprint_path
        yield from self._inner.execute(plan_context, execution_plan)


def blueprint_executor(blueprint_path: str | None) -> dg.ExecutorDefinition:
    """Dagster's default executor, scoping step processes to ``blueprint_path``."""
    default = dg.multi_or_in_process_executor

    def create(init_context: dg.InitExecutorContext) -> dg.Executor:
        return _ScopedExecutor(default.executor_creation_fn(init_context), blueprint_path)

    return dg.ExecutorDefinition(
        name="neurocore_executor",
        config_schema=default.config_schema.as_field(),
        executor_creation_fn=create,
        description="Dagster's multi_or_in_process executor (multiprocess by default); "
        "its step processes build only this blueprint's job.",
    )
