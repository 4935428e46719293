"""Dagster entry point for this project: `dagster dev -f definitions.py`."""

from pathlib import Path

from neurocore_dagster import build_definitions

defs = build_definitions(project_root=Path(__file__).parent)
