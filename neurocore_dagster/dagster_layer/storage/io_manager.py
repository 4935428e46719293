"""Storage of context lineages between ops, in files that outlive the process.

An output's value is a lineage: the deltas of the op and of all its ancestors.
Each delta is written once, by the op that made it; every output stores only
references to deltas (run id, step key), so a chain of ops stores each value
once however long the chain. Re-execution loads a parent run's outputs through
the same references.

Layout (``delta_path``, ``refs_file``) and encoding (``context_codec``: JSON
when the values allow it, pickle only for values that need it) are kept apart. The base
folder defaults to ``<instance storage>/neurocore``; set ``base_dir`` to a path
every step process can reach (a shared volume) when steps run on other machines.
Outputs refer to deltas by absolute path, so that folder must be mounted at the
same path everywhere; object-store URIs are refused (mount the bucket instead).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import socket
import tempfile
from pathlib import Path
from typing import Any

import dagster as dg

from neurocore_dagster.dagster_layer.storage.context_codec import decode, encode, storable
from neurocore_dagster.dagster_layer.translation.names import dagster_name
from neurocore_dagster.errors import ExecutionError
from neurocore_dagster.keys import REFS_PATH_METADATA
from neurocore_dagster.runtime.delta import Delta

Lineage = tuple[Delta, ...]
Ref = tuple[str, str, str]
DeltaCache = dict[tuple[Path, str, str, str], Delta]
"""Loaded deltas by (base folder, *ref): a lineage shares most deltas with its parent's."""


class ContextIOManager(dg.IOManager):
    def __init__(self, base_dir: Path) -> None:
        self._root = base_dir
        self._cache: DeltaCache = {}

    def handle_output(self, context: dg.OutputContext, obj: Lineage) -> None:
        root = self._root
        refs: list[Ref] = []
        for delta in obj:
            ref = delta.location
            if ref is None:
                ref = (context.run_id, context.step_key, delta_file_name(delta.op))
                path = delta_path(root, ref)
                if not path.exists():
                    _store(path, delta, context.step_key)
            refs.append(ref)
        refs_path = refs_file(root, context.run_id, context.step_key, context.name)
        _store(refs_path, refs, context.step_key)
        context.add_output_metadata({REFS_PATH_METADATA: str(refs_path), "deltas": len(refs)})

    def load_input(self, context: dg.InputContext) -> Lineage:
        upstream = context.upstream_output
        if upstream is None:
            raise dg.DagsterInvariantViolationError("context inputs come from an op output")
        root = self._root
        refs_path = refs_file(root, upstream.run_id, upstream.step_key, upstream.name)
        return load_lineage(refs_path, root, self._cache)


def delta_file_name(op: str) -> str:
    digest = hashlib.sha1(op.encode()).hexdigest()[:10]
    return f"{dagster_name(op)[:60]}-{digest}.delta"


def delta_path(root: Path, ref: Ref) -> Path:
    run_id, step_key, name = ref
    return root / run_id / step_key / name


def refs_file(root: Path, run_id: str, step_key: str, output: str) -> Path:
    return root / run_id / step_key / f"{output}.refs"


class ContextStorageError(ExecutionError):
    """A context delta could not be written or read (disk full, read-only, removed)."""


def _store(path: Path, value: Any, step_key: str) -> None:
    try:
        data = encode(value)
    except Exception as exc:  # pickle refuses with several types; all mean "cannot store"
        raise ContextStorageError(unstorable_message(value, step_key, exc)) from exc
    try:
        _dump(path, data)
    except OSError as exc:
        raise ContextStorageError(
            f"cannot store the context of step {step_key!r} at {path}: "
            f"{exc.strerror or exc}. The context IO manager writes under its base_dir "
            "(default <instance storage>/neurocore): check that it exists, is writable and "
            "has free space, or set resources.io_manager.config.base_dir"
        ) from exc


def _read(path: Path) -> Any:
    """The stored value; a missing or damaged file is a one-line error naming it and its run."""
    try:
        data = _load(path)
    except OSError as exc:
        raise ContextStorageError(
            f"cannot read stored context at {path}: {exc.strerror or exc}; "
            "was the IO manager's base_dir moved or cleaned since the run, or is it not one "
            f"folder shared by every process that runs steps (this is host {socket.gethostname()})?"
        ) from exc
    try:
        return decode(data)
    except Exception as exc:  # any decoding failure means the file is damaged
        run_id, step_key = path.parent.parent.name, path.parent.name
        raise ContextStorageError(
            f"stored context of run {run_id}, step {step_key!r} is damaged: {path} "
            f"({type(exc).__name__}: {str(exc)[:200]}); the run's results cannot be read back. "
            "Re-run the blueprint, or restore the file from a backup"
        ) from exc


def load_lineage(refs_path: Path, root: Path, cache: DeltaCache | None = None) -> Lineage:
    """The deltas an output refers to, each tagged with where it is stored.

    With a ``cache``, each delta file is read once however many lineages refer
    to it (a chain's lineages grow by one delta per op). Deltas are frozen and
    applying them copies their values, so sharing one object is safe.
    """
    deltas = []
    for stored in _read(refs_path):
        ref: Ref = tuple(stored)
        key = (root, *ref)
        delta = cache.get(key) if cache is not None else None
        if delta is None:
            delta = dataclasses.replace(_read(delta_path(root, ref)), location=ref)
            if cache is not None:
                cache[key] = delta
        deltas.append(delta)
    return tuple(deltas)


def _load(path: Path) -> bytes:
    """A stored file's bytes (one read per file; :func:`load_lineage` caches deltas)."""
    return path.read_bytes()


def unstorable_message(value: Any, step_key: str, error: Exception) -> str:
    """Which context key of a delta holds a value that cannot be stored, and what can be."""
    keys = [key for key, change in getattr(value, "data", {}).items() if not storable(change)]
    what = (
        f"context key {keys[0]!r} (a {_kind(value.data[keys[0]])} value)"
        if keys
        else "a context value"
    )
    return (
        f"step {step_key!r} wrote {what} that cannot be stored between steps "
        f"({type(error).__name__}: {str(error)[:200]}); a context value must be JSON data "
        "(str, int, float, bool, None, list, tuple, dict with string keys) or another value "
        "that pickle can store (not a lock, file, connection, generator or lambda)"
    )


def _kind(change: Any) -> str:
    kind: str = change.kind
    if kind == "set":
        return type(change.value).__name__
    return {"extend": "list item", "merge": "dict entry"}.get(kind, kind)


def _dump(path: Path, data: bytes) -> None:
    """Write atomically: a crash never leaves a half-written file behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    done = False
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temp, path)
        done = True
    finally:
        if not done:
            Path(temp).unlink(missing_ok=True)


@dg.io_manager(
    config_schema={
        "base_dir": dg.Field(
            dg.Noneable(dg.StringSource),
            is_required=False,
            default_value=None,
            description="Folder for context deltas; defaults to <instance storage>/neurocore. "
            "When steps run on several machines: an absolute path to an existing folder on a "
            "volume every machine mounts at that same path.",
        )
    },
    description="Stores each op's context delta once; outputs refer to deltas.",
)
def context_io_manager(init_context: dg.InitResourceContext) -> ContextIOManager:
    """``base_dir`` if set (checked by :func:`configured_base_dir`), else
    ``<instance storage>/neurocore``.
    """
    configured = init_context.resource_config.get("base_dir")
    if configured:
        return ContextIOManager(configured_base_dir(configured))
    if init_context.instance is None:
        raise ContextStorageError(
            "the context IO manager was started without a Dagster instance, so it has no "
            "storage folder to keep contexts in: set its base_dir to a folder"
        )
    return ContextIOManager(Path(init_context.instance.storage_directory()) / "neurocore")


def configured_base_dir(value: str) -> Path:
    """``value`` as the base folder: an absolute path to a folder that exists on this host.

    Every process that runs a step of a run must read what the others wrote, at the
    path the event log records. So a relative path (each process would resolve it
    against its own working directory) and a URI (contexts are files) are refused,
    and the folder is never created: on a machine where the shared volume is not
    mounted, creating it would store contexts where no other machine can read them.
    """
    if "://" in value:
        raise ContextStorageError(
            f"the context IO manager's base_dir {value!r} is a URI; it stores files in a "
            "folder: mount the bucket or share (NFS, EFS, Filestore, gcsfuse, s3fs) at one "
            "path on every machine that runs steps and give that path"
        )
    path = Path(value)
    if not path.is_absolute():
        raise ContextStorageError(
            f"the context IO manager's base_dir {value!r} is a relative path; give an absolute "
            "path, the same on every machine that runs steps"
        )
    if not path.is_dir():
        raise ContextStorageError(
            f"the context IO manager's base_dir {value} is not an existing folder on host "
            f"{socket.gethostname()}; create it on the shared volume, and mount that volume "
            "at this path on every machine that runs steps (it is never created, so that a "
            "machine without the volume fails instead of storing contexts only it can read)"
        )
    return path
