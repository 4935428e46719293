"""neurocore.yaml as NeuroCore reads it: root found upwards, .env, NEUROCORE_* overrides."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Any

import pytest
from helpers import ROOT, copy_example_project
from hypothesis import given
from hypothesis import strategies as st

from neurocore_dagster import (
    BlueprintError,
    build_job,
    discover_skills,
    execute_blueprint,
    load_blueprint,
)
from neurocore_dagster.cli.main import main
from neurocore_dagster.project.config import load_project
from neurocore_dagster.project.env import find_project_root


def _example_project(tmp_path: Path) -> Path:
    return copy_example_project(tmp_path / "project")


def _clean_env(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    """Variables a test (or a .env it loads) sets are removed again afterwards."""
    for name in names:
        monkeypatch.setenv(name, "")  # records the variable, so undo removes it again
        monkeypatch.delenv(name)


def test_root_is_found_upwards_from_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "proj"
    deep = root / "a" / "b"
    deep.mkdir(parents=True)
    (root / "neurocore.yaml").write_text("project: {name: found-upwards}\n")
    monkeypatch.chdir(deep)
    assert find_project_root() == root.resolve()
    project = load_project()
    assert project.root == root.resolve()
    assert project.config.project.name == "found-upwards"
    # An explicit root is taken as given, even below a project.
    assert load_project(deep).root == deep.resolve()
    assert load_project(deep).config.project.name != "found-upwards"


def test_without_any_neurocore_yaml_the_root_is_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    if find_project_root() is not None:
        pytest.skip("a neurocore.yaml exists above the temporary folder")
    assert load_project().root == tmp_path.resolve()


def test_cli_finds_the_project_upwards(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _example_project(tmp_path)
    (root / "deep" / "er").mkdir(parents=True)
    monkeypatch.chdir(root / "deep" / "er")
    count = len(list((root / "blueprints").glob("*.yaml")))
    assert main(["validate"]) == 0
    assert f"{count} blueprint(s) valid" in capsys.readouterr().out
    # With no neurocore.yaml above, the working directory is the project: no blueprints.
    (root / "neurocore.yaml").unlink()
    main(["validate"])
    assert f"{count} blueprint(s)" not in capsys.readouterr().out


def test_dotenv_is_loaded_without_overriding_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _clean_env(monkeypatch, "NCT_FROM_FILE", "NCT_ALREADY_SET", "NEUROCORE_LLM__MODEL")
    monkeypatch.setenv("NCT_ALREADY_SET", "from-environment")
    (tmp_path / "neurocore.yaml").write_text("llm: {provider: offline, model: from-yaml}\n")
    (tmp_path / ".env").write_text(
        "NCT_FROM_FILE=from-file\nNCT_ALREADY_SET=from-file\nNEUROCORE_LLM__MODEL=from-dotenv\n"
    )
    project = load_project(tmp_path)
    assert os.environ["NCT_FROM_FILE"] == "from-file"
    assert os.environ["NCT_ALREADY_SET"] == "from-environment"
    assert project.config.llm.model == "from-dotenv"  # .env < NEUROCORE_* < (nothing above)


def test_environment_wins_over_dotenv_for_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEUROCORE_LLM__MODEL", "from-environment")
    (tmp_path / ".env").write_text("NEUROCORE_LLM__MODEL=from-dotenv\n")
    assert load_project(tmp_path).config.llm.model == "from-environment"


def test_overrides_nest_and_coerce_like_neurocore(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "neurocore.yaml").write_text(
        textwrap.dedent(
            """\
            project: {name: from-yaml}
            llm: {provider: openai, model: gpt-4o, max_tokens: 100}
            """
        )
    )
    for name, value in {
        "NEUROCORE_PROJECT__NAME": "from-env",
        "NEUROCORE_PATHS__SKILLS": "my_skills",
        "NEUROCORE_LLM__BASE_URL": "http://127.0.0.1:1234/v1",
        "NEUROCORE_LLM__MAX_TOKENS": "512",
        "NEUROCORE_LLM__TEMPERATURE": "0.25",
        "NEUROCORE_LLM__PROVIDER": "ollama",
        "NEUROCORE_DAGSTER_X": "1",  # not a neurocore.yaml section: not an override
    }.items():
        monkeypatch.setenv(name, value)
    config = load_project(tmp_path).config
    assert config.project.name == "from-env"
    assert config.paths.skills == "my_skills"
    assert config.llm.base_url == "http://127.0.0.1:1234/v1"
    assert config.llm.max_tokens == 512 and isinstance(config.llm.max_tokens, int)
    assert config.llm.temperature == 0.25
    assert (config.llm.provider, config.llm.model) == ("ollama", "gpt-4o")


def test_a_bad_override_names_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "neurocore.yaml").write_text("llm: {provider: offline}\n")
    monkeypatch.setenv("NEUROCORE_LLM__MAX_TOKENS", "lots")
    with pytest.raises(BlueprintError) as caught:
        load_project(tmp_path)
    text = str(caught.value)
    assert "environment variable NEUROCORE_LLM__MAX_TOKENS" in text
    assert "llm.max_tokens" in text and "neurocore.yaml:" not in text


def test_api_key_override_stays_a_reference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEUROCORE_LLM__API_KEY", "sk-never-copied")
    config = load_project(tmp_path).config
    assert config.llm.api_key == {"env": "NEUROCORE_LLM__API_KEY"}
    assert "sk-never-copied" not in config.model_dump_json()


@given(
    model=st.text(
        alphabet=st.characters(min_codepoint=33, max_codepoint=0x2FFF, exclude_characters="\\"),
        min_size=1,
        max_size=30,
    ),
    section=st.sampled_from(["model", "base_url", "provider"]),
)
def test_any_string_override_reaches_the_llm_section(model: str, section: str) -> None:
    name = f"NEUROCORE_LLM__{section.upper()}"
    old = os.environ.get(name)
    os.environ[name] = model
    try:
        config = load_project(ROOT / "tests").config
    finally:
        if old is None:
            del os.environ[name]
        else:
            os.environ[name] = old
    assert getattr(config.llm, section) == model


def test_skill_config_from_the_environment_stays_a_reference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, instance: Any
) -> None:
    root = _example_project(tmp_path)
    monkeypatch.setenv("NEUROCORE_SKILLS__GREET__GREETING", "Psst")
    blueprint = load_blueprint(root / "blueprints" / "greet.yaml")
    run = execute_blueprint(blueprint, discover_skills(root), project_root=root, instance=instance)
    assert run.status == "completed", run.error
    assert run.context.get("greeting").startswith("Psst")
    stored = instance.get_run_by_id(run.run_id)
    assert "Psst" not in str(stored.run_config)


RATIO_SKILL = """\
from neurocore_dagster import Skill, SkillMeta


class Ratio(Skill):
    skill_meta = SkillMeta(
        name="ratio",
        version="1.0.0",
        description="Stores its ratio.",
        provides=["ratio"],
        config_schema={"type": "object", "properties": {"ratio": {"type": "number"}}},
    )

    def process(self, context):
        context.set("ratio", self.config.get("ratio"))
        return context
"""


def test_a_skill_override_the_schema_refuses_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "skills").mkdir()
    (tmp_path / "skills" / "ratio.py").write_text(RATIO_SKILL)
    (tmp_path / "neurocore.yaml").write_text("skills: {ratio: {ratio: 0.5}}\n")
    (tmp_path / "flow.yaml").write_text(
        "name: r\ncomponents: [{name: r, type: ratio}]\nflow: {steps: [{component: r}]}\n"
    )
    blueprint = load_blueprint(tmp_path / "flow.yaml")
    build_job(blueprint, discover_skills(tmp_path), project_root=tmp_path)
    monkeypatch.setenv("NEUROCORE_SKILLS__RATIO__RATIO", "0.75")
    with pytest.raises(BlueprintError) as caught:
        build_job(blueprint, discover_skills(tmp_path), project_root=tmp_path)
    text = str(caught.value)
    assert "environment variable NEUROCORE_SKILLS__RATIO__RATIO" in text
    assert "skills.ratio.ratio" in text and "neurocore.yaml" not in text


def test_a_section_override_of_the_wrong_shape_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEUROCORE_SKILLS__GREET", "loud")
    with pytest.raises(BlueprintError) as caught:
        load_project(tmp_path)
    assert "environment variable NEUROCORE_SKILLS__GREET" in str(caught.value)
