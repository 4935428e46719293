"""The initial data of ``neurocore-dagster run``: ``--data-file`` and ``--data KEY=VALUE``.

Every problem is a one-line usage error that names the file or input and says
what is allowed, raised before a run exists: a missing or unreadable file, a
folder, text that is not a JSON object, and a value whose type a blueprint
input refuses. A ``--data`` item is read as NeuroCore reads it (the text as
written), except for an input declared with a non-text type, read as JSON
(:mod:`~neurocore_dagster.cli.values`).
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from neurocore_dagster.blueprint.json_types import JSON_TYPES, is_json_type
from neurocore_dagster.blueprint.model import FieldSpec
from neurocore_dagster.cli.values import input_types, parse_data_items
from neurocore_dagster.errors import NeuroCoreDagsterError

_ALLOWED: dict[str, str] = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a JSON array",
    "object": "a JSON object",
}


class DataError(NeuroCoreDagsterError):
    """Initial data given on the command line is unusable (exit code 2)."""


def initial_data(
    data_file: str | None, items: Iterable[str], inputs: Mapping[str, FieldSpec]
) -> dict[str, Any]:
    """``--data-file`` values, then ``--data`` items, checked against ``inputs``."""
    data: dict[str, Any] = dict(read_data_file(data_file)) if data_file else {}
    data.update(parse_data_items(items, input_types(inputs)))
    _check_undeclared(sorted(set(data) - set(inputs)) if inputs else [], inputs)
    for key, spec in inputs.items():
        if spec.required and spec.default is None and data.get(key) is None:
            raise DataError(
                f"input {key!r} is required ({spec.type}): give --data {key}=VALUE "
                "or put it in --data-file"
            )
    for key, value in data.items():
        declared = inputs.get(key)
        if declared is not None and not _fits(declared.type, value):
            raise DataError(
                f"input {key!r} is declared {declared.type}: expected {_ALLOWED[declared.type]}, "
                f"got {type(value).__name__} {json.dumps(value, default=str)[:80]}"
            )
    return data


def _check_undeclared(keys: list[str], inputs: Mapping[str, FieldSpec]) -> None:
    """A key close to a declared input is a typo: refused. Others pass, with a warning.

    NeuroCore hands every ``--data`` key to the run, declared or not, so an extra key
    is kept; but a misspelled input would silently run with the input's default.
    """
    declared = ", ".join(sorted(inputs))
    for key in keys:
        close = difflib.get_close_matches(key, list(inputs), n=1, cutoff=0.75)
        if close:
            raise DataError(
                f"input {key!r} is not declared; did you mean {close[0]!r}? "
                f"The blueprint's inputs: {declared}"
            )
        print(
            f"warning: {key!r} is not a declared input ({declared}); "
            "it is passed to the run as given",
            file=sys.stderr,
        )


def read_data_file(name: str) -> dict[str, Any]:
    path = Path(name)
    if path.is_dir():
        raise DataError(f"--data-file {name}: is a folder; give a JSON file holding an object")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"--data-file {name}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"--data-file {name}: cannot be read ({exc})") from None
    try:
        loaded = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(
            f"--data-file {name}: not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            'give a JSON object such as {"ticket": "..."}'
        ) from None
    if not isinstance(loaded, dict):
        raise DataError(
            f"--data-file {name}: holds a JSON {type(loaded).__name__}; give a JSON object "
            "(its keys are the initial data)"
        )
    return loaded


def _fits(kind: str, value: Any) -> bool:
    if value is None or kind not in JSON_TYPES:
        return True  # None: a missing optional input; "any": no check
    return is_json_type(kind, value)


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1 (``--limit``, ``--max-concurrent``)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value
