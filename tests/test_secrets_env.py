"""Issue 17, secrets: strict env booleans, and {env: NAME} inside nested objects."""

from __future__ import annotations

import copy
import hashlib
import os
from typing import Any

import dagster as dg
import pytest
from dagster._config.errors import PostProcessingError
from flowengine import FlowContext
from hypothesis import given
from hypothesis import strategies as st

from neurocore_dagster import (
    Blueprint,
    BlueprintError,
    Skill,
    SkillMeta,
    SkillRegistry,
    build_job,
    execute_blueprint,
)
from neurocore_dagster.cli.main import config_error_text
from neurocore_dagster.dagster_layer.jobs.config_types import FALSE_WORDS, TRUE_WORDS, EnvBool

SCHEMA = {
    "type": "object",
    "properties": {
        "flag": {"type": "boolean"},
        "free": {"type": "object"},
        "nested": {
            "type": "object",
            "properties": {"depth": {"type": "integer"}, "label": {"type": "string"}},
        },
        "ratio": {"type": "number"},
        "ids": {"type": "array", "items": {"type": "string"}},
    },
}


class Sees(Skill):
    skill_meta = SkillMeta(name="sees", version="1.0", config_schema=SCHEMA)

    def process(self, context: FlowContext) -> FlowContext:
        """Records its config; a free-form ``token`` only as its hash (it is a secret)."""
        seen = copy.deepcopy(dict(self.config))
        if "token" in seen.get("free", {}):
            seen["free"]["token"] = hashlib.sha256(seen["free"]["token"].encode()).hexdigest()
        context.set("seen", seen)
        return context


def _registry() -> SkillRegistry:
    registry = SkillRegistry()
    registry.register(Sees)
    return registry


def _blueprint(config: dict[str, Any], name: str = "env-secrets") -> Blueprint:
    return Blueprint.model_validate(
        {
            "name": name,
            "components": [{"name": "comp", "type": "sees", "config": config}],
            "flow": {"steps": [{"component": "comp"}]},
        }
    )


def _cased(word: str, flips: list[bool]) -> str:
    return "".join(c.upper() if f else c for c, f in zip(word, flips + [False] * 9, strict=False))


@given(
    st.sampled_from(sorted(TRUE_WORDS | FALSE_WORDS)),
    st.lists(st.booleans(), max_size=5),
    st.sampled_from(["", " ", "\n"]),
)
def test_env_booleans_accept_the_documented_words_in_any_case(
    word: str, flips: list[bool], pad: str
) -> None:
    text = pad + _cased(word, flips) + pad
    os.environ["NC_TEST_BOOL_WORD"] = text
    try:
        assert EnvBool("comp__flag", "config key 'flag' of component 'comp'").post_process(
            {"env": "NC_TEST_BOOL_WORD"}
        ) is (word in TRUE_WORDS)
    finally:
        del os.environ["NC_TEST_BOOL_WORD"]


@given(st.text(max_size=6).filter(lambda t: t.strip().lower() not in TRUE_WORDS | FALSE_WORDS))
def test_env_booleans_refuse_anything_else(text: str) -> None:
    if "\x00" in text:
        return  # an environment variable cannot hold NUL
    os.environ["NC_TEST_BOOL_WORD"] = text
    try:
        with pytest.raises(PostProcessingError) as caught:
            EnvBool("comp__flag", "config key 'flag' of component 'comp'").post_process(
                {"env": "NC_TEST_BOOL_WORD"}
            )
    finally:
        del os.environ["NC_TEST_BOOL_WORD"]
    message = str(caught.value)
    assert "NC_TEST_BOOL_WORD" in message and "'flag'" in message and "'comp'" in message
    assert "yes/no, on/off" in message


@pytest.mark.parametrize(("word", "expected"), [("no", False), ("OFF", False), ("Yes", True)])
def test_an_env_boolean_reaches_the_skill_as_written(
    instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch, word: str, expected: bool
) -> None:
    monkeypatch.setenv("NC_TEST_FLAG", word)
    run = execute_blueprint(
        _blueprint({"flag": {"env": "NC_TEST_FLAG"}}), _registry(), instance=instance
    )
    assert run.status == "completed", run.error
    assert run.context.data.to_dict()["seen"]["flag"] is expected


def test_a_bad_env_boolean_stops_the_launch_naming_variable_component_and_key(
    instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NC_TEST_FLAG", "maybe-secret-value")
    before = len(instance.get_runs())
    with pytest.raises(dg.DagsterInvalidConfigError) as caught:
        execute_blueprint(
            _blueprint({"flag": {"env": "NC_TEST_FLAG"}}), _registry(), instance=instance
        )
    line = config_error_text(caught.value)
    assert "\n" not in line
    assert "NC_TEST_FLAG" in line and "'flag'" in line and "'comp'" in line
    assert "maybe-secret-value" not in line
    assert len(instance.get_runs()) == before


def test_env_references_inside_nested_objects_are_read(
    instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch, register_secret: Any
) -> None:
    token = register_secret("tok-0b8e61-nested-never-store")
    monkeypatch.setenv("NC_TEST_NESTED_TOKEN", token)
    monkeypatch.setenv("NC_TEST_NESTED_DEPTH", "7")
    monkeypatch.setenv("NC_TEST_NESTED_LABEL", "deep")
    config = {
        "free": {"token": {"env": "NC_TEST_NESTED_TOKEN"}, "deeper": {"label": "plain"}},
        "nested": {
            "depth": {"env": "NC_TEST_NESTED_DEPTH"},
            "label": {"env": "NC_TEST_NESTED_LABEL"},
        },
    }
    run = execute_blueprint(_blueprint(config, "env-nested"), _registry(), instance=instance)
    assert run.status == "completed", run.error
    seen = run.context.data.to_dict()["seen"]
    assert seen["free"]["token"] == hashlib.sha256(token.encode()).hexdigest()
    assert seen["free"]["deeper"] == {"label": "plain"}
    assert seen["nested"] == {"depth": 7, "label": "deep"}


@pytest.mark.parametrize(
    ("config", "where"),
    [
        ({"ids": [{"env": "NC_X"}]}, "ids"),
        ({"free": {"list": [{"env": "NC_X"}]}}, "free.list"),
        ({"ratio": {"env": "NC_X"}}, "ratio"),
        ({"nested": {"depth": {"env": ""}}}, "nested.depth"),
    ],
)
def test_env_references_where_they_cannot_stand_are_located_errors(
    config: dict[str, Any], where: str
) -> None:
    with pytest.raises(BlueprintError) as caught:
        build_job(_blueprint(config, "env-misplaced"), _registry(), project_root=".")
    [issue] = caught.value.issues
    assert issue.type == "config.env"
    assert ".".join(map(str, issue.loc)).endswith(where), issue.loc
    text = str(caught.value)
    assert "is not of type" not in text
    if "NC_X" in str(config):
        assert "an {env: NAME} reference may stand" in text or "can be string" in text
