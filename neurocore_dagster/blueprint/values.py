"""Plain JSON data only: what a blueprint document may hold, whatever YAML can build.

A blueprint's values end up in run config, tags and stored snapshots, which
hold JSON. YAML 1.1 builds more than JSON: an unquoted ``2024-01-01`` is a
date, ``yes`` or ``on`` used as a key is the boolean ``True``, ``.inf`` is an
infinite float, ``!!binary`` is bytes and ``!!set`` a set. Nothing is converted
silently: each such value is a located issue that says how to write it instead.
"""

from __future__ import annotations

import datetime
import math
from typing import Any

from neurocore_dagster.errors import BlueprintIssue, Loc, issue

_QUOTE_KEY = (
    "a string key: quote it (YAML 1.1 reads an unquoted yes, no, on, off, y, n, "
    "true, false as a boolean, and a bare number as a number)"
)


def json_value_issues(data: Any, loc: Loc = ()) -> list[BlueprintIssue]:
    """One issue per value or key in ``data`` that JSON cannot hold as it is."""
    found: list[BlueprintIssue] = []
    stack: list[tuple[Any, Loc]] = [(data, loc)]
    seen: set[int] = set()
    while stack:
        value, where = stack.pop()
        if isinstance(value, dict):
            if id(value) in seen:  # a node shared through YAML aliases: checked once
                continue
            seen.add(id(value))
            for key, item in value.items():
                if not isinstance(key, str):
                    found.append(_bad_key(key, (*where, key)))
                stack.append((item, (*where, key)))
        elif isinstance(value, list):
            if id(value) in seen:
                continue
            seen.add(id(value))
            stack.extend((item, (*where, index)) for index, item in enumerate(value))
        else:
            problem = _bad_scalar(value, where)
            if problem is not None:
                found.append(problem)
    return sorted(found, key=lambda i: [str(s) for s in i.loc])


def _bad_key(key: Any, loc: Loc) -> BlueprintIssue:
    return issue(
        "key.not_string",
        f"the key is {key!r} ({type(key).__name__}), not a string",
        loc,
        input=key,
        expected=_QUOTE_KEY,
    )


def _bad_scalar(value: Any, loc: Loc) -> BlueprintIssue | None:
    """An issue for a scalar JSON has no form for, else None."""
    if value is None or isinstance(value, str | bool | int):
        return None
    if isinstance(value, float):
        if math.isfinite(value):
            return None
        return issue(
            "value.not_finite",
            f"{value!r} is not a finite number",
            loc,
            input=value,
            expected="a finite number (or leave the key out to use its default)",
        )
    if isinstance(value, datetime.date):  # datetime.datetime is a date too
        return issue(
            "value.date",
            f"YAML reads this as a {type(value).__name__} ({value.isoformat()}), which JSON "
            "run config cannot hold",
            loc,
            input=value,
            expected=f"a quoted string, e.g. '{value.isoformat()}'",
        )
    return issue(
        "value.not_json",
        f"a {type(value).__name__} here (YAML tags such as !!binary and !!set build "
        "them), which JSON run config cannot hold",
        loc,
        input=value,
        expected="a string, number, boolean, null, list or mapping",
    )
