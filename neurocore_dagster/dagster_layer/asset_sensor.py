"""An ``asset_sensor`` trigger's evaluation: one run per materialization of its asset.

Dagster's own ``@asset_sensor`` evaluates only the newest materialization since its
last tick, so two materializations between ticks would start one run; this sensor's
cursor is the storage id of the last materialization it handled, and each tick
handles every later one, oldest first (at most :data:`MAX_RUNS_PER_TICK`; the rest
next tick). History before the sensor first runs counts as Dagster's asset sensor
counts it: the newest materialization starts one run, older ones none.

Each run's inputs are the materialization's metadata, typed as the blueprint
declares them (:mod:`.metadata_inputs`); its run key names the materialization
(asset and storage id), so a tick evaluated twice starts nothing twice. A
materialization whose metadata does not fit is skipped with a reason naming the
input, the metadata key and the types, in a tick of its own: runs of the ones before
it are requested first, and the cursor moves past it, so the ones after still run.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import dagster as dg

from neurocore_dagster.dagster_layer.jobs.run_config import run_config
from neurocore_dagster.dagster_layer.metadata_inputs import MetadataInputError, metadata_inputs
from neurocore_dagster.keys import UPSTREAM_ASSET_TAG, UPSTREAM_EVENT_TAG, UPSTREAM_RUN_TAG

MAX_RUNS_PER_TICK = 25
"""Materializations one tick turns into runs; later ones wait for the next tick."""
FROM_START = "0"
"""The cursor of a sensor that found no materialization on its first tick: every later
materialization (any storage id above 0) is new."""

SensorOutcome = dg.RunRequest | dg.SkipReason


@dataclass(frozen=True)
class AssetTrigger:
    """What one ``asset_sensor`` needs at evaluation: its asset, the job it starts and how
    a materialization's metadata becomes that job's initial data."""

    asset: str
    job: dg.JobDefinition
    inputs: Mapping[str, str]
    """Blueprint input -> metadata key."""
    types: Mapping[str, str]
    """Blueprint input -> declared type."""
    initial_data: Mapping[str, Any]

    @property
    def key(self) -> dg.AssetKey:
        return dg.AssetKey(self.asset.split("/"))

    def evaluate(self, context: dg.SensorEvaluationContext) -> Iterator[SensorOutcome]:
        """Run requests for the materializations after the cursor (see the module)."""
        try:
            records = self._new_records(context.instance, context.cursor)
        except ValueError:
            yield dg.SkipReason(
                f"cursor {context.cursor!r} is not a storage id: set it to the storage id of"
                f" the last materialization of {self.asset} to handle, or clear it"
            )
            return
        if not records:
            if context.cursor is None:
                context.update_cursor(FROM_START)
            yield dg.SkipReason(self._nothing_new(context))
            return
        requests: list[dg.RunRequest] = []
        for record in records:
            try:
                requests.append(self._request(record))
            except MetadataInputError as error:
                if requests:  # the bad one comes first next tick, with its own reason
                    break
                context.update_cursor(str(record.storage_id))
                yield dg.SkipReason(f"{self._describe(record)}: {error}")
                return
            context.update_cursor(str(record.storage_id))
        yield from requests

    def _new_records(
        self, instance: dg.DagsterInstance, cursor: str | None
    ) -> list[dg.EventLogRecord]:
        if cursor is None:  # first tick: the newest materialization only
            found = instance.fetch_materializations(self.key, limit=1, ascending=False)
            return list(found.records)
        records_filter = dg.AssetRecordsFilter(asset_key=self.key, after_storage_id=int(cursor))
        found = instance.fetch_materializations(
            records_filter, limit=MAX_RUNS_PER_TICK, ascending=True
        )
        return list(found.records)

    def _request(self, record: dg.EventLogRecord) -> dg.RunRequest:
        materialization = record.asset_materialization
        assert materialization is not None  # fetch_materializations returns nothing else
        data = metadata_inputs(materialization.metadata, self.inputs, self.types)
        return dg.RunRequest(
            run_key=f"{self.asset}@{record.storage_id}",
            run_config=run_config(self.job, initial_data={**self.initial_data, **data}),
            tags={
                UPSTREAM_ASSET_TAG: self.asset,
                UPSTREAM_RUN_TAG: record.run_id,
                UPSTREAM_EVENT_TAG: str(record.storage_id),
            },
        )

    def _describe(self, record: dg.EventLogRecord) -> str:
        run = f"run {record.run_id}" if record.run_id else "reported outside a run"
        return f"materialization of {self.asset} ({run}, storage id {record.storage_id})"

    def _nothing_new(self, context: dg.SensorEvaluationContext) -> str:
        """No new materialization; and when no definition or record of the asset exists
        anywhere this sensor can see, say so, with the keys it may have meant."""
        text = f"no new materialization of {self.asset}"
        repository = context.repository_def
        if repository is None or context.instance.has_asset_key(self.key):
            return text
        defined = repository.asset_graph.get_all_asset_keys()
        if self.key in defined:
            return text
        known = sorted(k.to_user_string() for k in defined)
        close = difflib.get_close_matches(self.asset, known, n=3)
        hint = f"did you mean {', '.join(close)}?" if close else f"assets here: {_few(known)}"
        return (
            f"{text}: no asset {self.asset} is defined in this code location and none was"
            f" materialized in this instance yet ({hint})"
        )


def _few(names: list[str], limit: int = 10) -> str:
    if not names:
        return "none"
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more
