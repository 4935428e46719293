"""The decision a resume delivers to an approval gate, out of reach of context data.

A gate passes only on a decision made through resume/approve, never on run
input or on a context key that a skill could write (DESIGN §3.9). So the
decision does not travel in the flow context: the op that resumes a suspended
run hands it to the runtime, which holds it in a context variable while that op
runs (threads the runtime starts copy it), and the ``approval`` skill takes it
from there, once: a second gate in the same op finds none and suspends.

Outside this package's runtime (the skill run by flowengine directly, as the
test oracle and NeuroCore users do) nothing is delivered, and the skill reads
flowengine's ``resume_data`` key, which flowengine's resume sets.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from neurocore_dagster.errors import ExecutionError

DECISION_TEXT_KEYS = ("note", "by")
"""Keys of a decision that, when given, must be text."""


@dataclass
class _Delivery:
    decision: dict[str, Any] | None
    taken: bool = False


_delivered: ContextVar[_Delivery | None] = ContextVar("neurocore_decision", default=None)


@contextmanager
def delivering(decision: Mapping[str, Any] | None) -> Iterator[None]:
    """Run an op of this package's runtime: ``decision`` (or none) is what its gate may take."""
    token = _delivered.set(_Delivery(dict(decision) if decision is not None else None))
    try:
        yield
    finally:
        _delivered.reset(token)


def in_runtime() -> bool:
    """Whether the caller runs inside an op of this package's runtime (see :func:`delivering`)."""
    return _delivered.get() is not None


def take_decision() -> dict[str, Any] | None:
    """The decision delivered to this op, if one was and no gate has taken it yet."""
    delivery = _delivered.get()
    if delivery is None or delivery.taken or delivery.decision is None:
        return None
    delivery.taken = True
    return dict(delivery.decision)


def check_resume_data(resume_data: Any, where: str) -> None:
    """Refuse resume data that would be read as a different decision than meant.

    ``approved`` must be a boolean (the text ``"false"`` is not a rejection),
    ``note`` and ``by`` text. ``where`` names what was being resumed.
    """
    if resume_data is None:
        return
    if not isinstance(resume_data, Mapping):
        raise ExecutionError(
            f"{where}: resume_data must be a mapping such as "
            f"{{'approved': true, 'note': '...', 'by': '...'}}, not {type(resume_data).__name__}"
        )
    approved = resume_data.get("approved")
    if "approved" in resume_data and not isinstance(approved, bool):
        raise ExecutionError(
            f"{where}: resume_data 'approved' must be a boolean (true or false), "
            f"not {approved!r} ({type(approved).__name__})"
        )
    for key in DECISION_TEXT_KEYS:
        value = resume_data.get(key)
        if value is not None and not isinstance(value, str):
            raise ExecutionError(
                f"{where}: resume_data {key!r} must be text, not {value!r} ({type(value).__name__})"
            )
