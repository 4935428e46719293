"""Blueprint run inputs from an asset materialization's metadata, typed as declared.

A metadata entry is unwrapped to the plain value it holds (``MetadataValue.int`` ->
``int``, text, markdown, url, path and notebook -> ``str``, JSON -> its data, float and
timestamp -> ``float``, bool -> ``bool``, null -> ``None``) and that value must already
be of the input's declared type: nothing is parsed or rounded (text ``"12"`` is no
integer, ``3.0`` is no integer), so a value that does not fit is refused, naming the
input, the metadata key and both types, never replaced by a default. Other kinds
(tables, schemas, asset or run links) have no run-input form and are refused too.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import dagster as dg

from neurocore_dagster.errors import ExecutionError, truncate_input

_TEXT_KINDS = (
    dg.TextMetadataValue,
    dg.MarkdownMetadataValue,
    dg.UrlMetadataValue,
    dg.PathMetadataValue,
    dg.NotebookMetadataValue,
)
_SCALAR_KINDS = (
    dg.IntMetadataValue,
    dg.FloatMetadataValue,
    dg.BoolMetadataValue,
    dg.TimestampMetadataValue,
)


def _finite(value: Any) -> bool:
    return not isinstance(value, float) or math.isfinite(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and _finite(value)


FITS: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": _is_number,
    "boolean": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "any": _finite,
}
"""Declared input type -> whether a plain metadata value is of it."""

EXPECTED: dict[str, str] = {
    "string": "text (also markdown, url, path, notebook, or JSON holding a string)",
    "integer": "an int (MetadataValue.int, or JSON holding an integer)",
    "number": "a finite int or float (also a timestamp)",
    "boolean": "a bool (MetadataValue.bool, or JSON holding true/false)",
    "object": "JSON holding an object (MetadataValue.json({...}), or a dict)",
    "array": "JSON holding a list (MetadataValue.json([...]), or a list)",
    "any": "text, a number, a bool, JSON or null",
}
"""What metadata an input of each declared type accepts, as errors say it."""

SAMPLES: dict[str, Any] = {
    "string": "",
    "integer": 0,
    "number": 0.0,
    "boolean": False,
    "object": {},
    "array": [],
    "any": "",
}
"""A value of each declared type: what a trigger's run config is checked with at load,
for the inputs its metadata fills only at run time."""


class MetadataInputError(ExecutionError):
    """A materialization's metadata cannot fill a blueprint input; says which and why."""

    def __init__(self, message: str, *, input_name: str, metadata_key: str) -> None:
        super().__init__(message)
        self.input_name = input_name
        self.metadata_key = metadata_key


def metadata_inputs(
    metadata: Mapping[str, dg.MetadataValue],
    inputs: Mapping[str, str],
    types: Mapping[str, str],
) -> dict[str, Any]:
    """``{input: value}`` for ``inputs`` (input -> metadata key), each of its ``types``
    entry; the first input whose metadata is missing or does not fit raises."""
    data = {}
    for name, key in inputs.items():
        if key not in metadata:
            raise MetadataInputError(
                f"input {name!r} needs metadata {key!r}, which the materialization does not"
                f" have (it has: {', '.join(sorted(metadata)) or 'no metadata'})",
                input_name=name,
                metadata_key=key,
            )
        data[name] = metadata_input(name, types[name], key, metadata[key])
    return data


def metadata_input(name: str, declared: str, key: str, value: dg.MetadataValue) -> Any:
    """The plain value of metadata ``key`` for input ``name`` of type ``declared``."""
    plain, fits = _plain(value), False
    if plain is not _NO_PLAIN_FORM:
        fits = FITS[declared](plain)
    if fits:
        return plain
    shown = "" if plain is _NO_PLAIN_FORM else f" {truncate_input(plain)}"
    raise MetadataInputError(
        f"input {name!r} is declared {declared}, but metadata {key!r} holds"
        f" {kind_name(value)}{shown}; expected {EXPECTED[declared]}",
        input_name=name,
        metadata_key=key,
    )


_NO_PLAIN_FORM = object()


def _plain(value: dg.MetadataValue) -> Any:
    if isinstance(value, _TEXT_KINDS + _SCALAR_KINDS):
        return value.value
    if isinstance(value, dg.JsonMetadataValue):
        return value.value
    if isinstance(value, dg.NullMetadataValue):
        return None
    return _NO_PLAIN_FORM


def kind_name(value: dg.MetadataValue) -> str:
    """``MetadataValue.int`` is ``int``, ``JsonMetadataValue`` is ``json``, and so on."""
    name = type(value).__name__.removesuffix("MetadataValue")
    return name.lower() or "metadata"
