"""Dagster names from blueprint names: ``greet-flow`` -> ``greet_flow``."""

from __future__ import annotations

import re

# Dagster refuses these names (its reserved words and Python keywords) but only
# exposes the list privately; reading it keeps us in step with the installed version.
from dagster._core.definitions.utils import DISALLOWED_NAMES

_INVALID = re.compile(r"[^A-Za-z0-9_]")


def dagster_name(text: str) -> str:
    """A valid Dagster name: other characters become ``_``; a leading digit or a
    reserved word (``context``, ``meta``, ``class`` ...) gets an extra ``_``."""
    name = _INVALID.sub("_", text.strip()) or "_"
    if name[0].isdigit():
        name = f"_{name}"
    return f"{name}_" if name in DISALLOWED_NAMES else name
