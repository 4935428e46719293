"""Which top-level context keys an op read, and which it wrote without reading.

A delta computed by comparing values alone cannot tell a write of an equal
value from no write, nor a whole new dict from in-place changes to the old one.
flowengine's shared context can: there the last write wins. So while an op
runs, its context's data records, per key, what came first:

* a **write before any read** (``context.set("d", {"z": 1})``, or ``x = 1`` when
  ``x`` already was 1) is a *replacement*: the op's value stands on its own and
  is stored whole, even when it equals what the op saw;
* a **read before any write** (``context.get``, ``context.data.x``, ``in``)
  makes later writes *derived* from what the op saw, so they are stored as
  changes against it (items appended, keys merged), which is what lets
  parallel branches that each append to one list keep all their items.

Reading the whole mapping (``to_dict``, ``keys``, iteration) counts as reading
every key. A context whose data no longer records (a skill returned a new
context object) is compared by value alone, every key counted as read.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flowengine import FlowContext


@dataclass
class AccessLog:
    """What an op did first with each key."""

    replaced: set[str] = field(default_factory=set)
    read: set[str] = field(default_factory=set)
    read_all: bool = False
    paused: bool = False

    def note_read(self, key: object) -> None:
        if not self.paused and isinstance(key, str) and key not in self.replaced:
            self.read.add(key)

    def note_write(self, key: object) -> None:
        if not self.paused and isinstance(key, str) and not self.read_all and key not in self.read:
            self.replaced.add(key)

    def note_read_all(self) -> None:
        if not self.paused:
            self.read_all = True

    def merge(self, other: AccessLog) -> None:
        """Fold in what ``other`` (a later stretch of the same op) recorded."""
        for key in other.replaced:
            self.note_write(key)
        for key in other.read:
            self.note_read(key)
        if other.read_all:
            self.note_read_all()


class RecordingDict(dict[str, Any]):
    """The data mapping of a context while an op runs: a dict that logs access."""

    __slots__ = ("log",)

    def __init__(self, data: dict[str, Any], log: AccessLog) -> None:
        super().__init__(data)
        self.log = log

    def __reduce__(self) -> tuple[Any, ...]:
        # Stored or sent to another process as the plain dict it stands for.
        return (dict, (self.plain(),))

    def plain(self) -> dict[str, Any]:
        """A plain copy, read without logging (``dict.copy`` skips the overrides)."""
        return dict.copy(self)

    def __getitem__(self, key: str) -> Any:
        self.log.note_read(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.log.note_read(key)
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self.log.note_read(key)
        return super().__contains__(key)

    def __setitem__(self, key: str, value: Any) -> None:
        self.log.note_write(key)
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.log.note_write(key)
        super().__delitem__(key)

    def setdefault(self, key: str, default: Any = None) -> Any:
        self.log.note_read(key)
        return super().setdefault(key, default)

    def pop(self, key: str, *default: Any) -> Any:
        self.log.note_read(key)
        self.log.note_write(key)
        return super().pop(key, *default)

    def popitem(self) -> tuple[str, Any]:
        self.log.note_read_all()
        return super().popitem()

    def update(self, *args: Any, **kwargs: Any) -> None:
        incoming = dict(*args, **kwargs)
        for key in incoming:
            self.log.note_write(key)
        super().update(incoming)

    def __ior__(self, other: Any) -> RecordingDict:  # type: ignore[override,misc]
        self.update(other)
        return self

    def clear(self) -> None:
        for key in list(super().keys()):
            self.log.note_write(key)
        super().clear()

    def _whole(self) -> None:
        self.log.note_read_all()

    def copy(self) -> dict[str, Any]:
        self._whole()
        return self.plain()

    def keys(self) -> Any:
        self._whole()
        return super().keys()

    def values(self) -> Any:
        self._whole()
        return super().values()

    def items(self) -> Any:
        self._whole()
        return super().items()

    def __iter__(self) -> Iterator[str]:
        self._whole()
        return super().__iter__()

    def __eq__(self, other: object) -> bool:
        self._whole()
        return super().__eq__(other)


def _data_dict(context: FlowContext) -> dict[str, Any]:
    # flowengine's DotDict keeps its mapping in ``_data`` and offers no public way
    # to hand it one; the recorder has to stand in that exact place.
    return object.__getattribute__(context.data, "_data")  # type: ignore[no-any-return]


def _set_data_dict(context: FlowContext, data: dict[str, Any]) -> None:
    object.__setattr__(context.data, "_data", data)


def record_access(context: FlowContext, log: AccessLog | None = None) -> AccessLog:
    """Make ``context``'s data log every access from now on, into ``log`` (or a new one)."""
    log = log if log is not None else AccessLog()
    _set_data_dict(context, RecordingDict(dict(_data_dict(context)), log))
    return log


def access_log(context: FlowContext) -> AccessLog | None:
    """The log ``context``'s data records into, or None when it records nothing."""
    data = _data_dict(context)
    return data.log if isinstance(data, RecordingDict) else None


def stop_recording(context: FlowContext) -> None:
    """Give ``context`` a plain dict again (same values), so nothing logs any more."""
    data = _data_dict(context)
    if isinstance(data, RecordingDict):
        _set_data_dict(context, data.plain())


@contextmanager
def unrecorded(context: FlowContext) -> Iterator[None]:
    """Reads made by the package itself, not the skill, do not count as the op's reads."""
    log = access_log(context)
    if log is None or log.paused:
        yield
        return
    log.paused = True
    try:
        yield
    finally:
        log.paused = False
