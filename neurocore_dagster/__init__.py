"""Run NeuroCore blueprints as Dagster jobs, with flowengine's results."""

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
from neurocore_dagster.skills import AsyncSkill, Skill, SkillMeta, SkillRegistry, discover_skills

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
