"""Keys are defined once: no module outside ``keys.py`` spells a package-owned key.

A string literal that repeats a tag or metadata key is a reader that silently
stops matching when the writer changes; these tests scan the package source
(with ``ast``, so comments and prose in docstrings do not count) for one.
"""

from __future__ import annotations

import ast
from pathlib import Path

import neurocore_dagster
from neurocore_dagster import keys

PACKAGE = Path(neurocore_dagster.__file__).parent
RESERVED_STARTS = (keys.PACKAGE_PREFIX, keys.BROKEN_PREFIX, keys.PACKAGE_JOB_PREFIX)


def reserved_literals(source: str) -> list[tuple[int, str]]:
    """Line and text of each string literal (f-string parts included) that starts
    with a package-owned prefix."""
    return sorted(
        (node.lineno, node.value)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.startswith(RESERVED_STARTS)
    )


def test_no_module_outside_keys_spells_a_package_key() -> None:
    found = [
        f"{path.relative_to(PACKAGE)}:{line}: {text!r}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != PACKAGE / "keys.py"
        for line, text in reserved_literals(path.read_text())
    ]
    assert not found, "import these from neurocore_dagster.keys:\n" + "\n".join(found)


def test_the_scan_finds_literals_in_code_and_f_strings() -> None:
    source = (
        '"""Docstring about neurocore/status is prose."""\n'
        'TAG = "neurocore/status"\n'
        'name = f"broken__{stem}"\n'
        "job = 'neurocore__approve_run'\n"
    )
    assert reserved_literals(source) == [
        (2, "neurocore/status"),
        (3, "broken__"),
        (4, "neurocore__approve_run"),
    ]


def test_keys_keep_their_stored_values() -> None:
    """Stored runs and users' tag filters hold these strings: they never change."""
    assert (keys.BLUEPRINT_TAG, keys.STATUS_TAG, keys.SUSPENDED_OP_TAG) == (
        "neurocore/blueprint",
        "neurocore/status",
        "neurocore/suspended_op",
    )
    assert (keys.PLAN_METADATA, keys.SOURCE_METADATA, keys.SHAPE_METADATA) == (
        "neurocore/plan",
        "neurocore/source",
        "neurocore/shape",
    )
    assert keys.APPROVE_JOB_NAME == "neurocore__approve_run"
    assert keys.RESERVED_RESOURCE_KEYS == ("neurocore", "io_manager", "llm")


def test_every_package_key_is_unique_within_its_kind() -> None:
    """Two constants of one kind (tags, or metadata keys) never share a string."""
    for suffix in ("_TAG", "_METADATA"):
        values = [v for k, v in vars(keys).items() if k.endswith(suffix)]
        assert len(values) == len(set(values)), suffix
