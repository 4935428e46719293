"""Whether the process that orchestrates a run (or holds a claim) is still alive.

A run whose process was killed (SIGKILL, OOM) writes no failure event, so its
storage says "started" forever. The executor therefore records, as its first
act, which process runs the run (tag ``neurocore/process``: host, pid, the
process's start time so a reused pid is not taken for it, and the run id, so a
tag copied onto another run by "re-execute with the same tags" is not read as
that run's own). A process on this host can then be checked; one on another
host cannot, and is never called dead.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import asdict, dataclass
from pathlib import Path

import dagster as dg

from neurocore_dagster.keys import PROCESS_TAG

_PROC = Path("/proc")


def _start_ticks(pid: int) -> str:
    """The process's start time in clock ticks since boot (Linux), or "" where unknown."""
    try:
        text = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return ""
    return text[text.rindex(")") + 2 :].split()[19]


@dataclass(frozen=True)
class ProcessRef:
    """One process: where it runs, its pid and when it started ("" where unknown)."""

    host: str
    pid: int
    started: str = ""

    @classmethod
    def current(cls) -> ProcessRef:
        """This process."""
        return cls(socket.gethostname(), os.getpid(), _start_ticks(os.getpid()))

    @classmethod
    def of(cls, pid: int) -> ProcessRef:
        """The process ``pid`` of this host, as it is now."""
        return cls(socket.gethostname(), pid, _start_ticks(pid))

    def alive(self) -> bool | None:
        """True or False for a process of this host; None (unknown) for another host's."""
        if self.host != socket.gethostname():
            return None
        if not _PROC.is_dir():
            return _signal_zero(self.pid)
        try:
            text = (_PROC / str(self.pid) / "stat").read_text()
        except OSError:
            return False
        fields = text[text.rindex(")") + 2 :].split()
        if fields[0] in ("Z", "X"):  # a zombie has exited; only its exit status remains
            return False
        return not self.started or fields[19] == self.started

    def describe(self) -> str:
        return f"process {self.pid} on {self.host}"


def _signal_zero(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def record_process(instance: dg.DagsterInstance, run_id: str) -> None:
    """Tag ``run_id`` with this process as the one that orchestrates it."""
    value = {**asdict(ProcessRef.current()), "run_id": run_id}
    instance.add_run_tags(run_id, {PROCESS_TAG: json.dumps(value, sort_keys=True)})


def run_process(run: dg.DagsterRun) -> ProcessRef | None:
    """The process that recorded itself as running ``run``, if it did (not a copied tag)."""
    text = run.tags.get(PROCESS_TAG)
    if not text:
        return None
    try:
        data = json.loads(text)
        if data.pop("run_id") != run.run_id:
            return None
        return ProcessRef(
            host=str(data["host"]), pid=int(data["pid"]), started=str(data["started"])
        )
    except (ValueError, KeyError, TypeError):
        return None
