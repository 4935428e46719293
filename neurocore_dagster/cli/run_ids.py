"""Run ids as NeuroCore users type them: the full id or any unique prefix of it.

``runs inspect 3f2a`` names the run whose id starts with ``3f2a`` when exactly
one does; when several do, the command is refused naming every match (so the
user can type one more character); when none does, it says so.
"""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg

from neurocore_dagster.errors import NeuroCoreDagsterError

SHOWN_MATCHES = 10
"""How many matching ids an ambiguity error lists before saying how many more there are."""


class RunIdError(NeuroCoreDagsterError):
    """A run id or prefix that names no run, or more than one (exit code 2)."""


def resolve_run_id(instance: dg.DagsterInstance, given: str) -> str:
    """The one run id in ``instance`` equal to ``given`` or starting with it."""
    text = given.strip()
    if not text:
        raise RunIdError("a run id is required (the full id or a unique prefix of it)")
    if instance.get_run_by_id(text) is not None:
        return text
    return only_match(text, instance.get_run_ids())


def only_match(prefix: str, run_ids: Sequence[str]) -> str:
    """The single id of ``run_ids`` starting with ``prefix``; refused when none or several do."""
    matches = sorted(run_id for run_id in run_ids if run_id.startswith(prefix))
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise RunIdError(
            f"no run id starts with {prefix!r} in this Dagster instance "
            "(`neurocore-dagster runs list` shows the runs)"
        )
    shown = ", ".join(matches[:SHOWN_MATCHES])
    more = f" and {len(matches) - SHOWN_MATCHES} more" if len(matches) > SHOWN_MATCHES else ""
    raise RunIdError(
        f"run id prefix {prefix!r} is ambiguous: {len(matches)} runs match ({shown}{more}); "
        "give more characters"
    )
