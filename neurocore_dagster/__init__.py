"""Run NeuroCore blueprints as Dagster jobs, with flowengine's results.

The public API (DESIGN §2) is importable from here, but each name is imported
when first used, not when the package is: ``import neurocore_dagster.plan`` (or
``.runtime``, ``.blueprint``, ``.skills``) must not load Dagster, and Python
runs this module before any of its submodules. Type checkers read the imports
under ``TYPE_CHECKING``; :data:`_PUBLIC` says where each name lives at run time.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from neurocore_dagster.blueprint import Blueprint, load_blueprint
    from neurocore_dagster.dagster_layer.component.component import (
        BlueprintOverrides,
        BlueprintsComponent,
    )
    from neurocore_dagster.dagster_layer.definitions import build_definitions
    from neurocore_dagster.dagster_layer.executors.threaded import threads_executor
    from neurocore_dagster.dagster_layer.jobs.build import build_job
    from neurocore_dagster.dagster_layer.jobs.run_config import run_config
    from neurocore_dagster.dagster_layer.storage.results import final_context
    from neurocore_dagster.dagster_layer.translation.translator import (
        BlueprintTranslator,
        JobSpec,
        OpSpec,
        TranslatorSettings,
    )
    from neurocore_dagster.errors import (
        BlueprintError,
        BlueprintIssue,
        ExecutionError,
        NeuroCoreDagsterError,
        SkillError,
    )
    from neurocore_dagster.service.events import (
        FlowEvent,
        FlowEventType,
        execute_blueprint_stream,
        iter_blueprint_events,
        watch_run,
    )
    from neurocore_dagster.service.execute import execute_blueprint
    from neurocore_dagster.service.results import BlueprintRun
    from neurocore_dagster.service.resume import resume_blueprint
    from neurocore_dagster.skills import (
        AsyncSkill,
        Skill,
        SkillMeta,
        SkillRegistry,
        discover_skills,
    )

_PUBLIC: dict[str, str] = {
    "AsyncSkill": "neurocore_dagster.skills",
    "Blueprint": "neurocore_dagster.blueprint",
    "BlueprintError": "neurocore_dagster.errors",
    "BlueprintIssue": "neurocore_dagster.errors",
    "BlueprintOverrides": "neurocore_dagster.dagster_layer.component.component",
    "BlueprintRun": "neurocore_dagster.service.results",
    "BlueprintTranslator": "neurocore_dagster.dagster_layer.translation.translator",
    "BlueprintsComponent": "neurocore_dagster.dagster_layer.component.component",
    "ExecutionError": "neurocore_dagster.errors",
    "FlowEvent": "neurocore_dagster.service.events",
    "FlowEventType": "neurocore_dagster.service.events",
    "JobSpec": "neurocore_dagster.dagster_layer.translation.translator",
    "NeuroCoreDagsterError": "neurocore_dagster.errors",
    "OpSpec": "neurocore_dagster.dagster_layer.translation.translator",
    "Skill": "neurocore_dagster.skills",
    "SkillError": "neurocore_dagster.errors",
    "SkillMeta": "neurocore_dagster.skills",
    "SkillRegistry": "neurocore_dagster.skills",
    "TranslatorSettings": "neurocore_dagster.dagster_layer.translation.translator",
    "build_definitions": "neurocore_dagster.dagster_layer.definitions",
    "build_job": "neurocore_dagster.dagster_layer.jobs.build",
    "discover_skills": "neurocore_dagster.skills",
    "execute_blueprint": "neurocore_dagster.service.execute",
    "execute_blueprint_stream": "neurocore_dagster.service.events",
    "final_context": "neurocore_dagster.dagster_layer.storage.results",
    "iter_blueprint_events": "neurocore_dagster.service.events",
    "load_blueprint": "neurocore_dagster.blueprint",
    "resume_blueprint": "neurocore_dagster.service.resume",
    "run_config": "neurocore_dagster.dagster_layer.jobs.run_config",
    "threads_executor": "neurocore_dagster.dagster_layer.executors.threaded",
    "watch_run": "neurocore_dagster.service.events",
}
"""Each public name and the module that defines it."""

__all__ = [
    "AsyncSkill",
    "Blueprint",
    "BlueprintError",
    "BlueprintIssue",
    "BlueprintOverrides",
    "BlueprintRun",
    "BlueprintTranslator",
    "BlueprintsComponent",
    "ExecutionError",
    "FlowEvent",
    "FlowEventType",
    "JobSpec",
    "NeuroCoreDagsterError",
    "OpSpec",
    "Skill",
    "SkillError",
    "SkillMeta",
    "SkillRegistry",
    "TranslatorSettings",
    "build_definitions",
    "build_job",
    "discover_skills",
    "execute_blueprint",
    "execute_blueprint_stream",
    "final_context",
    "iter_blueprint_events",
    "load_blueprint",
    "resume_blueprint",
    "run_config",
    "threads_executor",
    "watch_run",
]
"""The public names (DESIGN §2); each is a key of :data:`_PUBLIC` (a test checks)."""


def __getattr__(name: str) -> Any:
    """Import a public name on first use (and keep it, so this runs once per name)."""
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(
            f"module 'neurocore_dagster' has no attribute {name!r}; its public names are: "
            f"{', '.join(__all__)}"
        )
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names too, so tools that list a module (``dg``) find them."""
    return sorted({*globals(), *__all__})
