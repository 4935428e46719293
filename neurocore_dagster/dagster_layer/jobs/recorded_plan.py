"""The one way back from a job or a run to the plan record its job was built with.

``jobs.build`` writes :class:`~neurocore_dagster.plan.serial.PlanRecord` into job
metadata under ``keys.PLAN_METADATA``; a run keeps it in its job snapshot. Runs
recorded before the record was versioned (format 1: an ``{"ops": {name: ...}}``
dict beside a ``neurocore/resources`` map) are read too and converted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg

from neurocore_dagster.errors import ExecutionError
from neurocore_dagster.keys import PLAN_METADATA, RESOURCES_METADATA
from neurocore_dagster.plan.serial import PlanRecord, RecordedOp


def recorded_plan(
    source: dg.JobDefinition | dg.DagsterRun, instance: dg.DagsterInstance | None = None
) -> PlanRecord:
    """The plan record of a job, or of the job a run ran (read from ``instance``)."""
    if isinstance(source, dg.JobDefinition):
        return _from_metadata(
            source.metadata, f"job {source.name!r}", "is not a neurocore-dagster job"
        )
    if instance is None:
        raise TypeError("recorded_plan needs the instance that holds the run")
    snapshot = instance.get_job_snapshot(source.job_snapshot_id) if source.job_snapshot_id else None
    metadata = snapshot.metadata if snapshot else {}
    return _from_metadata(
        metadata, f"run {source.run_id}", "is not a run of a neurocore-dagster job"
    )


def _from_metadata(metadata: Mapping[str, Any], where: str, unknown: str) -> PlanRecord:
    value = _plain(metadata.get(PLAN_METADATA))
    if value is None:
        raise ExecutionError(f"{where} {unknown} (its job metadata has no {PLAN_METADATA})")
    if "format" not in value:
        return _format_1(value, _plain(metadata.get(RESOURCES_METADATA)) or {})
    return PlanRecord.from_dict(value, where)


def _format_1(value: Mapping[str, Any], resources: Mapping[str, str]) -> PlanRecord:
    """A plan recorded before format 2: op name -> key, order, kind, records_skip, component."""
    ops = sorted(
        (RecordedOp(name=name, **op) for name, op in value["ops"].items()),
        key=lambda op: op.order,
    )
    return PlanRecord(ops=tuple(ops), resource_keys={str(k): str(v) for k, v in resources.items()})


def _plain(value: Any) -> Any:
    """A metadata entry's JSON (job metadata holds MetadataValues; tests may hold plain dicts)."""
    return value.value if isinstance(value, dg.MetadataValue) else value
