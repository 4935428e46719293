"""The ``triggers:`` section: schedules and sensors declared with a blueprint.

Each item has exactly one of ``schedule``, ``file_sensor`` or ``run_status``::

    triggers:
      - schedule: {cron: "0 9 * * 1-5", timezone: Europe/Berlin,
                   initial_data: {ticket: daily digest}, default_status: running}
      - file_sensor: {path: inbox, pattern: "*.txt", key: file_path}
      - run_status: {blueprint: support-triage, status: success, pass_keys: [reply]}
"""

from __future__ import annotations

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


class Trigger(BaseModel):
    model_config = _FORBID
    schedule: ScheduleTrigger | None = None
    file_sensor: FileSensorTrigger | None = None
    run_status: RunStatusTrigger | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Trigger:
        given = [k for k in ("schedule", "file_sensor", "run_status") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError(
                "a trigger has exactly one of schedule, file_sensor, run_status"
                f" (found {', '.join(given) or 'none'})"
            )
        return self

    @property
    def kind(self) -> str:
        return next(k for k in ("schedule", "file_sensor", "run_status") if getattr(self, k))

    @property
    def spec(self) -> ScheduleTrigger | FileSensorTrigger | RunStatusTrigger:
        value = getattr(self, self.kind)
        assert value is not None
        return value  # type: ignore[no-any-return]
