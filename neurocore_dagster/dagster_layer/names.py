"""Dagster names from blueprint names: ``greet-flow`` -> ``greet_flow``."""

from __future__ import annotations

import re

_INVALID = re.compile(r"[^A-Za-z0-9_]")


def dagster_name(text: str) -> str:
    """A valid Dagster name: other characters become ``_``; a leading digit gets ``_``."""
    name = _INVALID.sub("_", text.strip()) or "_"
    return f"_{name}" if name[0].isdigit() else name
