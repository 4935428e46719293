"""The one uniquifier (plan.names) and the one JSON-type table (blueprint.json_types)."""

from __future__ import annotations

from typing import Any

import jsonschema
from hypothesis import given
from hypothesis import strategies as st

from neurocore_dagster.blueprint.json_types import JSON_TYPES, is_json_type
from neurocore_dagster.plan.names import unique_name

names = st.text(alphabet="ab_2", min_size=1, max_size=4)


@given(wanted=st.lists(names, max_size=12), taken=st.sets(names, max_size=6))
def test_unique_names_differ_and_keep_their_stem(wanted: list[str], taken: set[str]) -> None:
    used = set(taken)
    given_out = [unique_name(name, used) for name in wanted]
    assert len(set(given_out)) == len(given_out)
    assert not set(given_out) & taken
    assert used == taken | set(given_out)
    for name, got in zip(wanted, given_out, strict=True):
        suffix = got[len(name) :]
        assert got.startswith(name) and (suffix == "" or suffix[1:].isdigit())


def test_the_first_holder_keeps_the_name_and_the_next_get_numbers() -> None:
    used = {"loop_a"}
    assert [unique_name("loop_a", used) for _ in range(3)] == ["loop_a_2", "loop_a_3", "loop_a_4"]
    assert unique_name("choose_step", used) == "choose_step"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=3),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner, max_size=3)
    ),
    max_leaves=6,
)


@given(kind=st.sampled_from(sorted(JSON_TYPES)), value=json_values)
def test_json_types_read_values_as_json_schema_does(kind: str, value: Any) -> None:
    """Except that an integral float (``1.0``) is not an integer here: run config refuses it."""
    expected = jsonschema.Draft202012Validator({"type": kind}).is_valid(value)
    if kind == "integer" and isinstance(value, float):
        assert not is_json_type(kind, value)
    else:
        assert is_json_type(kind, value) == expected


def test_a_bool_is_only_a_boolean() -> None:
    assert [k for k in sorted(JSON_TYPES) if is_json_type(k, True)] == ["boolean"]
