"""One-winner claims in the Dagster instance's run storage.

A suspended run takes one decision and a failed run one resume, even when two
processes ask at once. The claim that decides who goes ahead is a row of run
storage's key-value table (``kvs``), whose key has a unique index in every SQL
run storage Dagster ships (sqlite, PostgreSQL, MySQL): the database itself
refuses a second insert of a key, so of any number of processes that claim one
key at the same moment exactly one wins, with no lock held in Python. A claim
is handed over (its holder died, or a resume is forced) by compare-and-set: an
``UPDATE`` guarded by the value the caller read, which matches for at most one
of several concurrent callers (sqlite serialises writers; PostgreSQL re-checks
the guard on the row it waited for).

Why not a run tag: ``add_run_tags`` reads, merges and writes a run's tags with
no condition, and the tags table has no unique key, so two callers both "win".
Why not a child run with a deterministic id: Dagster's re-execution API picks
the child's id itself, and a re-execution launched from the UI has a random one,
yet must be checked against the same claim.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import dagster as dg

# Dagster exposes no insert-if-absent for its key-value table (``set_cursor_values``
# overwrites), so claims write the table through the storage's own connection.
from dagster._core.storage.runs.schema import KeyValueStoreTable
from dagster._core.storage.runs.sql_run_storage import SqlRunStorage
from sqlalchemy import exc as db_exc

from neurocore_dagster.dagster_layer.executors.liveness import ProcessRef
from neurocore_dagster.errors import ExecutionError
from neurocore_dagster.keys import CLAIM_KEY_PREFIX

_BUSY_RETRIES = 20
_BUSY_WAIT_S = 0.05


@dataclass(frozen=True)
class Claim:
    """Who took a run's one decision or resume, and the token its child run carries."""

    token: str
    by: str = ""
    decision: str = ""
    holder: ProcessRef = field(default_factory=ProcessRef.current)
    """The process that took the claim (it creates the child run next)."""
    at: float = field(default_factory=time.time)

    def dumps(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def loads(cls, text: str) -> Claim:
        data: dict[str, Any] = json.loads(text)
        return cls(**{**data, "holder": ProcessRef(**data["holder"])})


def claim_key(kind: str, run_id: str) -> str:
    """The storage key of the claim on ``run_id`` (``kind``: suspension or resume)."""
    return f"{CLAIM_KEY_PREFIX}{kind}/{run_id}"


def read_claim(instance: dg.DagsterInstance, key: str) -> Claim | None:
    text = _storage(instance).get_cursor_values({key}).get(key)
    return Claim.loads(text) if text is not None else None


def insert_claim(instance: dg.DagsterInstance, key: str, claim: Claim) -> Claim | None:
    """Take ``key`` for ``claim`` if nobody holds it: None when taken, else the holder's claim."""
    storage = _storage(instance)
    for _ in range(_BUSY_RETRIES):
        try:
            _write(storage, KeyValueStoreTable.insert().values(key=key, value=claim.dumps()))
        except db_exc.IntegrityError:
            holder = read_claim(instance, key)
            if holder is not None:
                return holder
            continue  # released between our insert and our read: try again
        return None
    raise ExecutionError(f"could not claim {key!r}: it was taken and released too often")


def replace_claim(instance: dg.DagsterInstance, key: str, old: Claim, new: Claim) -> bool:
    """Hand ``key`` from ``old`` to ``new`` if it still holds ``old``; True when it did."""
    statement = (
        KeyValueStoreTable.update()
        .where(KeyValueStoreTable.c.key == key)
        .where(KeyValueStoreTable.c.value == old.dumps())
        .values(value=new.dumps())
    )
    return _write(_storage(instance), statement) == 1


def release_claim(instance: dg.DagsterInstance, key: str, claim: Claim) -> bool:
    """Drop ``key`` if ``claim`` still holds it (its child run was never created)."""
    statement = (
        KeyValueStoreTable.delete()
        .where(KeyValueStoreTable.c.key == key)
        .where(KeyValueStoreTable.c.value == claim.dumps())
    )
    return _write(_storage(instance), statement) == 1


def _write(storage: SqlRunStorage, statement: Any) -> int:
    """Execute one write, waiting out sqlite's "database is locked" under contention."""
    for attempt in range(_BUSY_RETRIES):
        try:
            with storage.connect() as conn:
                return int(conn.execute(statement).rowcount)
        except db_exc.OperationalError as error:
            if "locked" not in str(error) or attempt == _BUSY_RETRIES - 1:
                raise
            time.sleep(_BUSY_WAIT_S * (attempt + 1))
    raise AssertionError("unreachable")


def _storage(instance: dg.DagsterInstance) -> SqlRunStorage:
    storage = instance.run_storage
    if not isinstance(storage, SqlRunStorage):
        raise ExecutionError(
            "deciding or resuming a run needs SQL run storage (sqlite, postgres or mysql), "
            f"where its claim is atomic; this instance uses {type(storage).__name__}"
        )
    return storage
