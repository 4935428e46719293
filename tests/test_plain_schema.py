"""The config fast path never passes what jsonschema refuses, and takes the common case."""

from __future__ import annotations

from typing import Any

import jsonschema
from hypothesis import given, settings
from hypothesis import strategies as st

from neurocore_dagster.project.plain_schema import plainly_valid

values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["a", "b", "", "1"]),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.sampled_from(["a", "b"]), st.integers(), max_size=2),
)
types = st.sampled_from(["string", "integer", "number", "boolean", "object", "array", "null"])
properties = st.fixed_dictionaries(
    {},
    optional={
        "type": st.one_of(types, st.lists(types, min_size=1, max_size=2)),
        "enum": st.lists(st.one_of(st.sampled_from(["a", "b", "1"]), st.integers()), max_size=3),
        "description": st.just("text"),
        "default": values,
        "minimum": st.integers(),
        "minLength": st.integers(0, 2),
    },
)
schemas = st.fixed_dictionaries(
    {"type": st.sampled_from(["object", "object", "string"])},
    optional={
        "properties": st.dictionaries(st.sampled_from(["a", "b", "c"]), properties, max_size=3),
        "required": st.lists(st.sampled_from(["a", "b", "c"]), unique=True, max_size=2),
        "additionalProperties": st.one_of(st.booleans(), st.just({"type": "string"})),
        "description": st.just("text"),
        "minProperties": st.integers(0, 2),
    },
)
configs = st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), values, max_size=4)


def jsonschema_problems(config: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema)
    return [e.message for e in validator.iter_errors(config) if e.validator != "required"]


@settings(max_examples=400)
@given(config=configs, schema=schemas)
def test_plainly_valid_config_has_no_jsonschema_problem(
    config: dict[str, Any], schema: dict[str, Any]
) -> None:
    if plainly_valid(config, schema):
        assert jsonschema_problems(config, schema) == []


def test_the_common_case_skips_jsonschema() -> None:
    schema = {
        "type": "object",
        "properties": {
            "key": {"type": "string", "default": "value", "description": "Key to set."},
            "value": {"type": "integer", "default": 0},
            "ratio": {"type": "number"},
            "loud": {"type": "boolean"},
            "mode": {"type": "string", "enum": ["fast", "slow"]},
            "anything": {"description": "no type: any value"},
        },
        "required": ["key"],
        "additionalProperties": False,
    }
    config = {"key": "k", "value": 3, "ratio": 1, "loud": True, "mode": "fast", "anything": [1]}
    assert plainly_valid(config, schema)
    assert plainly_valid({}, schema)  # a missing required key is left to run config


def test_anything_doubtful_is_left_to_jsonschema() -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}}
    closed = {**schema, "additionalProperties": False}
    assert not plainly_valid({"n": True}, schema)  # a bool is no integer
    assert not plainly_valid({"n": 1.0}, schema)  # jsonschema's call, not ours
    assert not plainly_valid({"x": 1}, closed)
    assert not plainly_valid(
        {"n": 1}, {**schema, "$schema": "http://json-schema.org/draft-04/schema#"}
    )
    assert not plainly_valid({"n": 1}, {"type": "object", "properties": {"n": {"minimum": 2}}})
