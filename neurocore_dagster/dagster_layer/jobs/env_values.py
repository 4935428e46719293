"""Config values written as ``{env: NAME}``: read when a run starts, refused naming who needs them.

Dagster's ``StringSource``/``IntSource`` say only that a variable is not set;
a project with many components and secrets needs to know which component and
which config key wait for it. Each field that holds such a reference gets a
type of its own (:class:`EnvValue`), named after the field path
(``<resource key>__<key>__<nested key>``), whose refusal names the variable,
the component and the key, never the value (it may be a secret). The launchpad
accepts either the value itself or ``{env: NAME}``.
"""

from __future__ import annotations

import os
from typing import Any

import dagster as dg

# The error a config type raises to refuse a value; Dagster exports it only here.
from dagster._config.errors import PostProcessingError

TRUE_WORDS = frozenset({"true", "1", "yes", "on"})
FALSE_WORDS = frozenset({"false", "0", "no", "off"})
"""What an environment variable read into a boolean field may hold (any case)."""

_SCALARS: dict[str, type] = {"string": str, "integer": int, "boolean": bool}
ENV_KINDS = frozenset(_SCALARS)
"""The JSON types an ``{env: NAME}`` value can be read as (anything else is read as text)."""


class EnvValue(dg.ScalarUnion):
    """A ``kind`` value (string, integer, boolean), or ``{env: NAME}`` read when the run starts.

    ``field_name`` makes the type's Dagster key unique; ``place`` says who needs the
    variable ("config key 'token' of component 'fetch'"), as the caller knows it.
    """

    def __init__(self, kind: str, field_name: str, place: str) -> None:
        super().__init__(
            scalar_type=_SCALARS[kind],
            non_scalar_schema=dg.Selector({"env": str}),
            _key=f"NeurocoreEnv{kind.title()}.{field_name}",
        )
        self._kind = kind
        self._place = place

    def post_process(self, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        name = value["env"]
        text = os.environ.get(name)
        if text is None:
            raise PostProcessingError(
                f'environment variable "{name}" ({self._place}) is not set; set it, or write '
                "it in the project's .env"
            )
        if self._kind == "integer":
            return _whole_number(text, name, self._place)
        if self._kind == "boolean":
            return _boolean(text, name, self._place)
        return text


def _whole_number(text: str, name: str, place: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise PostProcessingError(  # the value itself is not shown: it may be a secret
            f'environment variable "{name}" ({place}) does not hold a whole number'
        ) from None


def _boolean(text: str, name: str, place: str) -> bool:
    """Dagster's ``BoolSource`` reads anything but false/none/0/empty as true, so ``no``
    and ``off`` would switch a flag on; anything outside the two word sets is refused."""
    word = text.strip().lower()
    if word in TRUE_WORDS or word in FALSE_WORDS:
        return word in TRUE_WORDS
    raise PostProcessingError(  # the value itself is not shown: it may be a secret
        f'environment variable "{name}" ({place}) does not hold a boolean; accepted, in '
        "any case: true/false, 1/0, yes/no, on/off"
    )


class EnvBool(EnvValue):
    """A boolean, or ``{env: NAME}`` read as one of the documented words (see :func:`_boolean`)."""

    def __init__(self, field_name: str, place: str) -> None:
        super().__init__("boolean", field_name, place)


class EnvString(EnvValue):
    def __init__(self, field_name: str, place: str) -> None:
        super().__init__("string", field_name, place)
