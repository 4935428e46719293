"""``--data KEY=VALUE`` read as NeuroCore's CLI reads it, for ``run`` and ``runs resume``.

NeuroCore splits each item at the first ``=``, strips the key and keeps the
value as the text written (``--data count=5`` gives the string ``"5"``;
``--data id=007`` keeps its zeros), so skills written for it expect text.
The one addition: a key whose type is declared (a blueprint input declared
``integer``, ``number``, ``boolean``, ``array`` or ``object``; ``approved`` of
an approval decision) has its value read as JSON, so ``--data count=5`` gives
``5`` where the blueprint says ``count`` is an integer. Text that is not JSON
stays text, and the declared type's check then refuses it by name.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from neurocore_dagster.errors import NeuroCoreDagsterError

TEXT_TYPES = ("string", "any")
"""Declared types whose values stay the text written (as NeuroCore passes every value)."""

RESUME_DATA_TYPES: Mapping[str, str] = {"approved": "boolean"}
"""``runs resume --data``: an approval decision's ``approved`` is a boolean, the rest text."""


class DataItemError(NeuroCoreDagsterError):
    """A ``--data`` item that is not ``KEY=VALUE`` (exit code 2)."""


def parse_data_items(
    items: Iterable[str], types: Mapping[str, str], option: str = "--data"
) -> dict[str, Any]:
    """Each ``KEY=VALUE`` of ``items`` as a dict; later items replace earlier ones."""
    data: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise DataItemError(
                f"{option} takes KEY=VALUE (the key not empty), not {item!r}; "
                f"for example {option} topic=robots"
            )
        data[key] = typed_value(text, types.get(key))
    return data


def typed_value(text: str, declared: str | None) -> Any:
    """``text`` as written, or read as JSON when ``declared`` names a non-text type."""
    if declared is None or declared in TEXT_TYPES:
        return text
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def input_types(inputs: Mapping[str, Any] | None) -> dict[str, str]:
    """The declared type of each blueprint input (``FieldSpec.type``)."""
    return {name: str(spec.type) for name, spec in (inputs or {}).items()}
