"""``neurocore.yaml`` sections that belong to NeuroCore's runtime: what each means on Dagster.

NeuroCore keeps its own run history (``persistence``: a sqlite or in-memory
run store) and configures its own log output (``logging``). On Dagster both
jobs are Dagster's: every run is recorded in the Dagster instance's run
storage, and every op's logs go to the instance's event log. So these sections
load (a file shared with NeuroCore stays valid, with NeuroCore's types), and each
key written in them is a located warning that says what takes its place here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from neurocore_dagster.errors import BlueprintIssue, issue

UNUSED_SETTING = "project.unused_setting"
"""A ``neurocore.yaml`` key that NeuroCore's runtime reads and Dagster replaces."""

_FORBID = ConfigDict(extra="forbid")

_RUN_STORAGE = (
    "runs are stored in the Dagster instance's run storage ($DAGSTER_HOME, else .dagster/ in "
    "the project; dagster.yaml chooses sqlite or PostgreSQL), not in NeuroCore's run store"
)
_EVENT_LOG = (
    "every op's logs go to the Dagster event log; Dagster's python_logs settings in "
    "dagster.yaml (python_log_level, managed_python_loggers, dagster_handler_config) decide "
    "which Python log records a run keeps and where else they go"
)
MEANINGS: Mapping[str, Mapping[str, str]] = {
    "persistence": {
        "enabled": f"not used: {_RUN_STORAGE}, always",
        "backend": f"not used: {_RUN_STORAGE}",
        "path": f"not used (no NeuroCore sqlite file is written): {_RUN_STORAGE}",
        "persist_step_snapshots": "not used: every op stores its context change with the "
        "IO manager, for every run (runs inspect shows the steps)",
    },
    "logging": {
        "level": f"not applied: {_EVENT_LOG}",
        "format": f"not applied: {_EVENT_LOG}",
        "file": f"not applied (no log file is written): {_EVENT_LOG}",
    },
}
"""What each key of NeuroCore's runtime sections becomes here, by section."""


class LoggingSettings(BaseModel):
    """NeuroCore's ``logging:`` section, with NeuroCore's types (see :data:`MEANINGS`)."""

    model_config = _FORBID
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["console", "json"] = "console"
    file: str | None = None


class PersistenceSettings(BaseModel):
    """NeuroCore's ``persistence:`` section, with NeuroCore's types (see :data:`MEANINGS`)."""

    model_config = _FORBID
    enabled: bool = True
    backend: str = "sqlite"
    path: str = "runs.db"
    persist_step_snapshots: bool = False


def section_warnings(data: Mapping[str, Any]) -> list[BlueprintIssue]:
    """A warning for each key written in a section whose job Dagster does here."""
    found = []
    for section, meanings in MEANINGS.items():
        written = data.get(section)
        if not isinstance(written, Mapping):
            continue
        for key in written:
            meaning = meanings.get(key)
            if meaning is None:  # an unknown key: the reading warned already
                continue
            found.append(
                issue(
                    UNUSED_SETTING,
                    f"NeuroCore's setting, {meaning}",
                    (section, key),
                    input=written[key],
                    expected=f"no {section}.{key} (it is kept for NeuroCore only)",
                )
            )
    return found
