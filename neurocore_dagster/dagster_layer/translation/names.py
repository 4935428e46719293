"""Dagster names from blueprint names: ``greet-flow`` -> ``greet_flow``."""

from __future__ import annotations

import re

# Dagster refuses these names (its reserved words and Python keywords) but only
# exposes the list privately; reading it keeps us in step with the installed version.
from dagster._core.definitions.utils import DISALLOWED_NAMES

BROKEN_PREFIX = "broken__"
"""Placeholder jobs of broken blueprint files are ``broken__<file stem>``; no blueprint's
job may take a name starting with it."""

PACKAGE_JOB_PREFIX = "neurocore__"
"""Jobs the package adds to every project's definitions are ``neurocore__<name>``."""
APPROVE_JOB_NAME = PACKAGE_JOB_PREFIX + "approve_run"
"""The job that decides a suspended run from the UI (``dagster_layer.approve_job``)."""
APPROVE_OP_NAME = "decide_suspended_run"
"""Its one op, under which the launchpad config goes."""

RESERVED_JOB_PREFIXES = ("__", BROKEN_PREFIX, PACKAGE_JOB_PREFIX)
"""Job names Dagster keeps for itself (``__ASSET_JOB``), placeholders or the package use."""

_INVALID = re.compile(r"[^A-Za-z0-9_]")


def dagster_name(text: str) -> str:
    """A valid Dagster name: other characters become ``_``; a leading digit or a
    reserved word (``context``, ``meta``, ``class`` ...) gets an extra ``_``."""
    name = _INVALID.sub("_", text.strip()) or "_"
    if name[0].isdigit():
        name = f"_{name}"
    return f"{name}_" if name in DISALLOWED_NAMES else name
