"""The plan as its job records it: one versioned record, to and from plain JSON.

A job is built from an :class:`ExecutionPlan` and the names its translator chose;
what a reader of a finished run needs from both is this record, written once into
job metadata (``keys.PLAN_METADATA``) by ``jobs.build`` and read back only through
``dagster_layer.jobs.recorded_plan``: ``final_context`` (which ops' skips are
recorded), ``resume_blueprint`` (the op a run suspended at, by Dagster name) and
``run_config`` (each component's resource key). The fields are listed once, in
the dataclasses; both directions of the conversion are derived from them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from neurocore_dagster.errors import ExecutionError
from neurocore_dagster.plan.model import ExecutionPlan, UnitOp

PLAN_FORMAT = 2
"""The record's format. 1 was the unversioned ``{"ops": ...}`` dict (read by recorded_plan)."""


@dataclass(frozen=True)
class RecordedOp:
    """One op: its plan key, its Dagster name, and what a skip of it means."""

    key: str
    name: str
    kind: str
    order: int
    records_skip: bool
    component: str | None
    """The component a step or node op runs; None for a router or a loop."""


@dataclass(frozen=True)
class PlanRecord:
    """The ops of a job in flowengine's order, and each component's resource key."""

    ops: tuple[RecordedOp, ...]
    resource_keys: dict[str, str]

    def op_names(self) -> dict[str, str]:
        """Plan op key -> Dagster op name."""
        return {op.key: op.name for op in self.ops}

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": PLAN_FORMAT,
            "ops": [asdict(op) for op in self.ops],
            "resource_keys": dict(self.resource_keys),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str) -> PlanRecord:
        """The record ``to_dict`` wrote; ``where`` (a job or run) names it in errors."""
        if data.get("format") != PLAN_FORMAT:
            raise ExecutionError(
                f"{where} recorded its plan in format {data.get('format')!r}; this version "
                f"of neurocore-dagster reads format {PLAN_FORMAT}"
            )
        body = {k: v for k, v in data.items() if k != "format"}
        _check_fields(cls, body, where)
        for op in body["ops"]:
            _check_fields(RecordedOp, op, where)
        return cls(
            ops=tuple(RecordedOp(**op) for op in body["ops"]),
            resource_keys={str(k): str(v) for k, v in body["resource_keys"].items()},
        )


def plan_record(
    plan: ExecutionPlan, op_names: Mapping[str, str], resource_keys: Mapping[str, str]
) -> PlanRecord:
    """The record of a job built from ``plan`` with these op names and resource keys."""
    return PlanRecord(
        ops=tuple(
            RecordedOp(
                key=op.key,
                name=op_names[op.key],
                kind=op.kind,
                order=op.order,
                records_skip=op.records_skip,
                component=op.unit.component if isinstance(op, UnitOp) else None,
            )
            for op in plan.ops
        ),
        resource_keys=dict(resource_keys),
    )


def _check_fields(cls: type, data: Mapping[str, Any], where: str) -> None:
    expected = {f.name for f in fields(cls)}
    if set(data) != expected:
        raise ExecutionError(
            f"{where} recorded a plan whose {cls.__name__} has fields "
            f"{', '.join(sorted(data))}; expected {', '.join(sorted(expected))}"
        )
