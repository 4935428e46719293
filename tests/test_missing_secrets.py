"""A missing ``{env: NAME}`` variable stops the launch naming the variable, component and key."""

from __future__ import annotations

import shutil
import string
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from flowengine import FlowContext
from hypothesis import given
from hypothesis import strategies as st

from neurocore_dagster import (
    Blueprint,
    Skill,
    SkillMeta,
    SkillRegistry,
    discover_skills,
    execute_blueprint,
    load_blueprint,
)
from neurocore_dagster.cli.main import config_error_text
from neurocore_dagster.cli.main import main as cli_main

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = {
    "type": "object",
    "properties": {
        "token": {"type": "string"},
        "count": {"type": "integer"},
        "flag": {"type": "boolean"},
        "free": {"type": "object"},
        "nested": {"type": "object", "properties": {"label": {"type": "string"}}},
    },
}


class Holds(Skill):
    skill_meta = SkillMeta(name="holds", version="1.0", config_schema=SCHEMA)

    def process(self, context: FlowContext) -> FlowContext:
        return context


def _registry() -> SkillRegistry:
    registry = SkillRegistry()
    registry.register(Holds)
    return registry


PLACES: list[tuple[str, Any]] = [
    ("token", lambda ref: {"token": ref}),
    ("count", lambda ref: {"count": ref}),
    ("flag", lambda ref: {"flag": ref}),
    ("free.secret", lambda ref: {"free": {"secret": ref}}),
    ("nested.label", lambda ref: {"nested": {"label": ref}}),
    ("unlisted", lambda ref: {"unlisted": ref}),
    ("odd__key", lambda ref: {"odd__key": ref}),
    ("free.in__ner", lambda ref: {"free": {"in__ner": ref}}),
]
variables = st.text(string.ascii_uppercase + "_", min_size=3, max_size=12).map(
    lambda name: f"NC_ABSENT_{name}"
)
components = st.one_of(
    st.text(string.ascii_lowercase, min_size=1, max_size=8),
    # names whose resource key differs from them, or that hold the type names' separator
    st.sampled_from(["class", "def", "import", "a__b", "my-comp", "x_", "fetch__token"]),
)


@given(place=st.sampled_from(PLACES), variable=variables, component=components)
def test_a_missing_variable_names_component_and_key(
    instance: dg.DagsterInstance, place: tuple[str, Any], variable: str, component: str
) -> None:
    key, config = place
    blueprint = Blueprint.model_validate(
        {
            "name": "secrets",
            "components": [
                {"name": component, "type": "holds", "config": config({"env": variable})}
            ],
            "flow": {"steps": [{"component": component}]},
        }
    )
    before = len(instance.get_runs())
    with pytest.raises(dg.DagsterInvalidConfigError) as caught:
        execute_blueprint(blueprint, _registry(), instance=instance)
    expected = f'"{variable}" (config key {key!r} of component {component!r}) is not set'
    line = config_error_text(caught.value)
    assert "\n" not in line and expected in line  # the CLI's one line
    assert expected in str(caught.value)  # the Python API's exception
    assert len(instance.get_runs()) == before


def test_the_cli_names_the_llm_components_that_need_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "project"
    shutil.copytree(ROOT / "skills", root / "skills")
    (root / "blueprints").mkdir()
    shutil.copy(ROOT / "blueprints" / "summarize_ticket.yaml", root / "blueprints")
    (root / "neurocore.yaml").write_text(
        "llm: {provider: openai, model: m, api_key: {env: NC_ABSENT_LLM_KEY}}\n"
    )
    monkeypatch.delenv("NC_ABSENT_LLM_KEY", raising=False)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "dagster.yaml").write_text("")
    code = cli_main(
        ["--project", str(root), "run", str(root / "blueprints" / "summarize_ticket.yaml")]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert "\"NC_ABSENT_LLM_KEY\" (the LLM api_key of component 'summarizer') is not set" in err


def test_a_component_with_its_own_llm_key_is_named(
    tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    root = tmp_path / "project"
    shutil.copytree(ROOT / "skills", root / "skills")
    (root / "blueprints").mkdir()
    text = (ROOT / "blueprints" / "summarize_ticket.yaml").read_text()
    own = "llm_provider: openai, llm_model: m, llm_api_key: {env: NC_ABSENT_OWN_KEY}"
    path = root / "blueprints" / "summarize_ticket.yaml"
    path.write_text(text.replace("type: summarize", f"type: summarize\n    config: {{{own}}}", 1))
    blueprint = load_blueprint(path)
    with pytest.raises(dg.DagsterInvalidConfigError) as caught:
        execute_blueprint(blueprint, discover_skills(root), project_root=root, instance=instance)
    assert (
        "\"NC_ABSENT_OWN_KEY\" (the LLM api_key of component 'summarizer') is not set"
        in config_error_text(caught.value)
    )
