"""The plan, runtime, blueprint and skills layers never import Dagster."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "neurocore_dagster"
PURE = ["plan", "runtime", "blueprint", "skills", "errors.py"]


def _modules() -> list[Path]:
    found = []
    for name in PURE:
        path = PACKAGE / name
        found.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return found


@pytest.mark.parametrize("module", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_dagster_import(module: Path) -> None:
    tree = ast.parse(module.read_text())
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for name in names:
            assert not name.startswith("dagster"), f"{module} imports {name}"
            assert not name.startswith("neurocore_dagster.dagster_layer"), f"{module} -> {name}"
