"""Hand a blueprint's job to Dagster as a ``ReconstructableJob``.

``dg.execute_job`` (used for resume, and for any executor other than Dagster's
in-process one) accepts only a ``ReconstructableJob``: a module-level function
and its arguments. Ours rebuilds the job from the blueprint snapshot, with the
skills of ``project_root``. A registry built in memory, or a job this process
has already built, cannot travel as an argument: it is held here under a token
for the duration of the ``with`` block, so only this process can use it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from neurocore_dagster.blueprint.model import Blueprint
from neurocore_dagster.dagster_layer.jobs.build import build_job
from neurocore_dagster.errors import ExecutionError
from neurocore_dagster.skills.registry import SkillRegistry


@dataclass(frozen=True)
class _Held:
    registry: SkillRegistry | None
    job: dg.JobDefinition | None


_HELD: dict[str, _Held] = {}


@contextmanager
def reconstructable_job(
    blueprint: Blueprint,
    registry: SkillRegistry | None,
    project_root: str | Path | None,
    *,
    built: dg.JobDefinition | None = None,
) -> Iterator[dg.ReconstructableJob]:
    """``blueprint``'s job for ``dg.execute_job``; ``built`` is reused rather than rebuilt."""
    token = None
    if registry is not None or built is not None:
        token = uuid.uuid4().hex
        _HELD[token] = _Held(registry, built)
    root = str(Path(project_root).resolve()) if project_root is not None else None
    try:
        yield dg.build_reconstructable_job(
            __name__,
            rebuild_job.__name__,
            reconstructable_args=(blueprint.model_dump_json(), root, token),  # type: ignore[arg-type]
        )
    finally:
        if token is not None:
            del _HELD[token]


def rebuild_job(
    blueprint_json: str, project_root: str | None, held_token: str | None
) -> dg.JobDefinition:
    held = _Held(None, None)
    if held_token is not None:
        found = _HELD.get(held_token)
        if found is None:
            raise ExecutionError(
                "this job was built with a skill registry held in another process; "
                "run or resume it in process (the default), or pass project_root so "
                "skills are discovered"
            )
        held = found
    if held.job is not None:
        return held.job
    blueprint = Blueprint.model_validate_json(blueprint_json)
    return build_job(blueprint, held.registry, project_root=project_root)
