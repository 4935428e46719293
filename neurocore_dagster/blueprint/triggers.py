"""The ``triggers:`` section: schedules and sensors declared with a blueprint.

Each item has exactly one of ``schedule``, ``file_sensor``, ``run_status`` or
``asset_sensor``::

    triggers:
      - schedule: {cron: "0 9 * * 1-5", timezone: Europe/Berlin,
                   initial_data: {ticket: daily digest}, default_status: running}
      - file_sensor: {path: inbox, pattern: "*.txt", key: file_path}
      - run_status: {blueprint: support-triage, status: success, pass_keys: [reply]}
      - asset_sensor: {asset: raw/tickets, inputs: {batch_size: row_count}}

What a trigger says about the rest of its blueprint (the inputs an ``asset_sensor``
fills) is checked with the blueprint, in :mod:`.trigger_checks`.
"""

from __future__ import annotations

import re
import zoneinfo
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_FORBID = ConfigDict(extra="forbid", strict=True)
Status = Literal["running", "stopped"]


class _TriggerBase(BaseModel):
    model_config = _FORBID
    name: str | None = Field(default=None, description="Dagster name (default: derived)")
    initial_data: dict[str, Any] = Field(default_factory=dict)
    default_status: Status = "stopped"


class ScheduleTrigger(_TriggerBase):
    """Run on a cron schedule."""

    cron: str = Field(..., min_length=1)
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        # A key that is not a zone file can also surface as OSError (a directory
        # such as "America", a name longer than the file system allows).
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError(
                f"unknown timezone {value!r} (an IANA name such as Europe/Berlin or UTC)"
            ) from None
        return value


class FileSensorTrigger(_TriggerBase):
    """Run once per new file in a folder (relative to the project root); the file's
    path is put in the initial data under ``key``."""

    path: str = Field(..., min_length=1)
    pattern: str = "*"
    key: str = "file_path"
    interval_seconds: int = Field(default=30, ge=1)


class RunStatusTrigger(_TriggerBase):
    """Run when another blueprint's job succeeds (or fails), passing keys of its
    final context as initial data."""

    blueprint: str = Field(..., min_length=1)
    status: Literal["success", "failure"] = "success"
    pass_keys: list[str] = Field(default_factory=list)


ASSET_KEY_PART = re.compile(r"[A-Za-z0-9_.\-]+")
"""One part of an asset key as a trigger may name it: the characters Dagster's own asset
names use (letters, digits, ``_``), and ``-`` and ``.``, which its key prefixes and the
common integrations' keys also hold. A space or an empty part is a typo, not a key."""


def asset_key_problem(value: str) -> str | None:
    """Why ``value`` is not a ``/``-separated asset key (``raw/tickets``), or None."""
    parts = value.split("/")
    bad = [p for p in parts if not ASSET_KEY_PART.fullmatch(p)]
    if not bad:
        return None
    shown = "an empty part" if "" in bad else f"part {bad[0]!r}"
    return f"asset key {value!r} has {shown}"


class AssetSensorTrigger(_TriggerBase):
    """Run once per materialization of a Dagster asset (defined anywhere in the code
    location or instance), with some of its metadata values as run inputs: ``inputs``
    maps a blueprint input name to a metadata key of the materialization."""

    asset: str = Field(..., min_length=1, description='asset key, "/"-separated')
    inputs: dict[str, str] = Field(
        default_factory=dict, description="blueprint input <- materialization metadata key"
    )
    interval_seconds: int = Field(default=30, ge=1)

    @field_validator("asset")
    @classmethod
    def _asset_key(cls, value: str) -> str:
        problem = asset_key_problem(value)
        if problem is not None:
            raise ValueError(
                f"{problem} (expected parts of letters, digits, _, - or . joined by /,"
                " such as raw/tickets)"
            )
        return value

    @field_validator("inputs")
    @classmethod
    def _metadata_keys(cls, value: dict[str, str]) -> dict[str, str]:
        blank = [name for name, key in value.items() if not key.strip()]
        if blank:
            raise ValueError(
                f"input {blank[0]!r} names a blank metadata key (expected the key the"
                " materialization reports its value under, such as row_count)"
            )
        return value


TriggerSpec = ScheduleTrigger | FileSensorTrigger | RunStatusTrigger | AssetSensorTrigger
KINDS = ("schedule", "file_sensor", "run_status", "asset_sensor")


class Trigger(BaseModel):
    model_config = _FORBID
    schedule: ScheduleTrigger | None = None
    file_sensor: FileSensorTrigger | None = None
    run_status: RunStatusTrigger | None = None
    asset_sensor: AssetSensorTrigger | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Trigger:
        given = [k for k in KINDS if getattr(self, k)]
        if len(given) != 1:
            raise ValueError(
                f"a trigger has exactly one of {', '.join(KINDS)}"
                f" (found {', '.join(given) or 'none'})"
            )
        return self

    @property
    def kind(self) -> str:
        return next(k for k in KINDS if getattr(self, k))

    @property
    def spec(self) -> TriggerSpec:
        value = getattr(self, self.kind)
        assert value is not None
        return value  # type: ignore[no-any-return]
