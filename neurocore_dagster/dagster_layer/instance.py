"""Open the project's Dagster instance, safely when several processes open it first at once.

Dagster creates a sqlite instance's schema (``runs.db``, ``schedules.db``, the
event log index) the first time the instance is opened, and two processes doing
that at the same moment race: one fails with sqlalchemy's ``table ... already
exists``. Cron starting several runs right after a deploy does exactly that. So
an instance folder is opened while holding an exclusive ``fcntl.flock`` on a lock
file inside it: the first process creates the schema, the others wait and then
find it complete. Opening an existing instance under the lock costs milliseconds,
and the lock is released as soon as the instance is open (runs do not hold it).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

LOCK_FILE = ".neurocore-instance.lock"
"""Inside the instance folder; Dagster ignores files it does not know."""


def project_instance(project_root: str | Path | None) -> dg.DagsterInstance:
    """``$DAGSTER_HOME``'s instance, else ``<project>/.dagster`` (created if missing).

    ``$DAGSTER_HOME`` must name an existing folder, as Dagster requires (a typo
    there must not start a new, empty history); its error is Dagster's own.
    """
    if os.environ.get("DAGSTER_HOME"):
        home = Path(os.path.expanduser(os.environ["DAGSTER_HOME"]))
        if not home.is_dir():
            return dg.DagsterInstance.get()
        with _first_open_lock(home):
            return dg.DagsterInstance.get()
    home = Path(project_root if project_root is not None else Path.cwd()).resolve() / ".dagster"
    home.mkdir(parents=True, exist_ok=True)
    with _first_open_lock(home):
        return dg.DagsterInstance.from_config(str(home))


@contextmanager
def _first_open_lock(home: Path) -> Iterator[None]:
    """Held by one process at a time; released when the block ends or the process dies."""
    with (home / LOCK_FILE).open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
