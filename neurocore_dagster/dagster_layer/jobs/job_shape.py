"""What shaped a blueprint's job besides the blueprint itself, recorded when it is built.

A job is its blueprint (job.py records a snapshot) and:

* the translator: its class (``module:QualName``) and settings, and the names it
  chose (job, ops, resources);
* the config overrides given in code, per component;
* the ``neurocore.yaml`` values the job read: ``skills.<skill>`` for each skill
  the blueprint uses, and the ``llm`` section when a skill needs an LLM.

Secrets stay references: ``{env: NAME}`` is recorded as written and read again
by every run, and a literal ``llm.api_key`` is recorded only as its digest.
Skill code is not part of the shape: fixing a skill and resuming is the point
of resume.

The record is job metadata (:data:`SHAPE_METADATA`, kept in the job snapshot of
every run), and a fingerprint of blueprint and shape is the job tag
:data:`SHAPE_TAG`, so two runs of one job carry the same value. A re-execution
started outside ``resume_blueprint`` (the UI's *Re-execute*, which uses the code
location's current job) checks that tag against its parent's when its steps
start (:class:`SameJobAsParent`) and fails, naming what differs, rather than run
another job as if it were a resume.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import dagster as dg

from neurocore_dagster.dagster_layer.translation.translator import BlueprintTranslator
from neurocore_dagster.errors import ExecutionError
from neurocore_dagster.keys import (
    SHAPE_METADATA,
    SHAPE_TAG,
)
from neurocore_dagster.project.config import Project

DIGEST_KEY = "sha256"


class ShapeMismatchError(ExecutionError):
    """A run's job cannot be run again as it was; the message lists each difference."""


def mismatch(run_id: str, problems: list[str], advice: str) -> ShapeMismatchError:
    lines = "\n".join(f"  {p}" for p in problems)
    return ShapeMismatchError(
        f"run {run_id} cannot be resumed as the job it ran; {len(problems)} "
        f"difference(s):\n{lines}\n{advice}"
    )


@dataclass(frozen=True)
class SameJobAsParent:
    """Refuses to start the steps of a re-execution whose job is not its parent's.

    Called when a run's ``neurocore`` resource starts. Runs that are not
    re-executions, and parents that predate recorded shapes, pass unchecked.
    """

    tag: str
    shape: dict[str, Any]

    def __call__(self, context: dg.InitResourceContext) -> None:
        run, instance = context.dagster_run, context.instance
        if run is None or instance is None or not run.parent_run_id:
            return
        parent = instance.get_run_by_id(run.parent_run_id)
        if parent is None or parent.tags.get(SHAPE_TAG) in (None, self.tag):
            return
        snapshot = (
            instance.get_job_snapshot(parent.job_snapshot_id) if parent.job_snapshot_id else None
        )
        value = snapshot.metadata.get(SHAPE_METADATA) if snapshot is not None else None
        found = differences(value.value, self.shape) if value is not None else []
        raise mismatch(
            parent.run_id,
            found or ["blueprint: differs from the snapshot that run recorded"],
            f"This re-execution uses the code location's current job. To resume run "
            f"{parent.run_id} as it ran, use `neurocore-dagster runs resume {parent.run_id}` "
            "(or resume_blueprint), which rebuilds its job from what it recorded.",
        )


def translator_path(translator: BlueprintTranslator) -> str:
    cls = type(translator)
    return f"{cls.__module__}:{cls.__qualname__}"


def translator_settings(translator: BlueprintTranslator) -> dict[str, Any]:
    settings = translator.settings
    if dataclasses.is_dataclass(settings) and not isinstance(settings, type):
        plain: dict[str, Any] = _plain(dataclasses.asdict(settings))
        return plain
    return {"repr": repr(settings)}


def project_values(project: Project, skills: Iterable[str], uses_llm: bool) -> dict[str, Any]:
    """The ``neurocore.yaml`` values a job of these skills reads, secrets as references."""
    values: dict[str, Any] = {
        "skills": {s: _plain(project.skill_config(s)) for s in sorted(skills)}
    }
    if uses_llm:
        llm = project.config.llm.model_dump()
        if isinstance(llm["api_key"], str) and llm["api_key"]:
            llm["api_key"] = {DIGEST_KEY: digest(llm["api_key"])}
        values["llm"] = _plain(llm)
    return values


def job_shape(
    translator: BlueprintTranslator,
    overrides: Mapping[str, Mapping[str, Any]],
    project: dict[str, Any],
    names: dict[str, Any],
) -> dict[str, Any]:
    """The record kept in job metadata (plain JSON)."""
    return {
        "translator": {
            "class": translator_path(translator),
            "settings": translator_settings(translator),
        },
        "config_overrides": _plain({k: dict(v) for k, v in overrides.items()}),
        "neurocore_yaml": project,
        "names": _plain(names),
    }


def fingerprint(blueprint: Any, shape: Mapping[str, Any]) -> str:
    """Equal for two jobs exactly when their blueprint snapshots and shapes are equal."""
    text = json.dumps({"blueprint": blueprint, "shape": shape}, sort_keys=True)
    return digest(text)[:16]


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def differences(recorded: Any, current: Any, path: str = "") -> list[str]:
    """One line per key path whose value differs: ``path: was X, now Y``."""
    if isinstance(recorded, dict) and isinstance(current, dict):
        found = []
        for key in sorted(set(recorded) | set(current), key=str):
            where = f"{path}.{key}" if path else str(key)
            found.extend(
                differences(recorded.get(key, _MISSING), current.get(key, _MISSING), where)
            )
        return found
    if recorded == current:
        return []
    return [f"{path or '(value)'}: was {_show(recorded)}, now {_show(current)}"]


class _Missing:
    def __repr__(self) -> str:
        return "(not set)"


_MISSING: Any = _Missing()


def _show(value: Any) -> str:
    text = repr(value) if value is _MISSING else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 80 else f"{text[:38]}...{text[-38:]}"


def _plain(value: Any) -> Any:
    """``value`` as the JSON the record keeps (tuples become lists, keys strings)."""
    return json.loads(json.dumps(value, sort_keys=True))
