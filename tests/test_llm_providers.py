"""LLM providers on their SDKs, each against a local server speaking its API, in real runs.

Also: keys never stored, keys optional for local servers, per-component LLM
settings with NeuroCore's merge rule, and the located build errors (unknown
provider, missing SDK with the extra to install).
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from llm_servers import (
    ANSWER,
    INPUT_TOKENS,
    OUTPUT_TOKENS,
    FakeServer,
    anthropic_route,
    gemini_route,
    openai_route,
    serve,
)

from neurocore_dagster import BlueprintError, build_job, execute_blueprint, load_blueprint
from neurocore_dagster.blueprint.model import Blueprint
from neurocore_dagster.llm import MockProvider, build_provider
from neurocore_dagster.llm.choice import plan_llms
from neurocore_dagster.project.component_config import ConfigLayer, merge_layers
from neurocore_dagster.project.config import load_project
from neurocore_dagster.skills.discovery import discover_project_skills

TEXT = "".join(ANSWER)

ASK_SKILL = Path(__file__).resolve().parent / "fixtures" / "ask_skill" / "skills" / "ask.py"
"""A skill that asks the LLM and records the answer and who gave it (streams when told to)."""


@pytest.fixture(autouse=True)
def _litellm_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    # LiteLLM fetches a price list from the network when imported unless told not to.
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")


@pytest.fixture()
def openai_server() -> Iterator[FakeServer]:
    yield from serve(openai_route)


@pytest.fixture()
def anthropic_server() -> Iterator[FakeServer]:
    yield from serve(anthropic_route)


@pytest.fixture()
def gemini_server() -> Iterator[FakeServer]:
    yield from serve(gemini_route)


def _project(tmp_path: Path, config: str, components: str) -> tuple[Path, Blueprint]:
    root = tmp_path / "project"
    (root / "skills").mkdir(parents=True)
    shutil.copy(ASK_SKILL, root / "skills" / "ask.py")
    (root / "neurocore.yaml").write_text(textwrap.dedent(config))
    steps = [c["name"] for c in yaml.safe_load(textwrap.dedent(components))]
    (root / "flow.yaml").write_text(
        "name: ask-flow\ncomponents:\n"
        + textwrap.indent(textwrap.dedent(components), "  ")
        + "flow:\n  steps:\n"
        + "".join(f"    - component: {name}\n" for name in steps)
    )
    return root, load_blueprint(root / "flow.yaml")


def _run(root: Path, blueprint: Blueprint, instance: Any) -> Any:
    registry = discover_project_skills(load_project(root))
    return execute_blueprint(
        blueprint, registry, project_root=root, instance=instance, initial_data={"question": "Q?"}
    )


def _usage(instance: dg.DagsterInstance, run_id: str) -> list[tuple[int, int, int]]:
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.STEP_OUTPUT)
    found = []
    for record in records.records:
        data = record.event_log_entry.dagster_event.event_specific_data
        meta = {k: v.value for k, v in data.metadata.items()}
        if "llm_calls" in meta:
            found.append((meta["llm_calls"], meta["llm_input_tokens"], meta["llm_output_tokens"]))
    return found


def _key_sent(request: dict[str, Any]) -> str:
    headers = request["headers"]
    for name in ("x-api-key", "x-goog-api-key"):
        if name in headers:
            return headers[name]
    return headers.get("authorization", "").removeprefix("Bearer ")


# provider, which server, path suffix of its base_url, model, tokens a stream reports
CASES = [
    ("openai", "openai", "/v1", "gpt-test", True),
    ("openai-compatible", "openai", "/v1", "tiny", False),
    ("ollama", "openai", "/v1", "llama-test", True),
    ("vllm", "openai", "/v1", "vllm-test", True),
    ("litellm", "openai", "/v1", "openai/tiny", True),
    ("anthropic", "anthropic", "", "claude-test", True),
    ("gemini", "gemini", "", "gemini-test", True),
]


@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_provider_against_its_api(
    case: tuple[str, str, str, str, bool],
    stream: bool,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    instance: Any,
    monkeypatch: pytest.MonkeyPatch,
    register_secret: Any,
) -> None:
    provider, api, suffix, model, stream_counts = case
    server: FakeServer = request.getfixturevalue(f"{api}_server")
    key = register_secret(f"sk-{provider}-5be1")
    monkeypatch.setenv("NCT_PROVIDER_KEY", key)
    root, blueprint = _project(
        tmp_path,
        f"""\
        llm:
          provider: {provider}
          model: {model}
          base_url: {server.root}{suffix}
          api_key_env: NCT_PROVIDER_KEY
          max_retries: 0
        """,
        f"- {{name: asker, type: ask, config: {{stream: {str(stream).lower()}}}}}\n",
    )
    run = _run(root, blueprint, instance)
    assert run.status == "completed", run.error
    assert run.context.get("answer") == TEXT
    assert run.context.get("answer_by") == f"{provider}/{model}"
    assert len(server.requests) == 1
    sent = server.last
    assert _key_sent(sent) == key
    if api == "gemini":
        assert model in sent["path"] and "Q?" in str(sent["body"]["contents"])
        assert "Be brief." in str(sent["body"]["systemInstruction"])
    elif api == "anthropic":
        assert sent["body"]["system"] == "Be brief."
        assert sent["body"]["messages"] == [{"role": "user", "content": "Q?"}]
        assert sent["body"]["max_tokens"] == 32
    else:
        assert sent["body"]["model"] == model.removeprefix("openai/")
        assert sent["body"]["messages"][0] == {"role": "system", "content": "Be brief."}
        assert sent["body"]["max_tokens"] == 32
    assert bool(sent["body"].get("stream")) == stream or api == "gemini"
    counted = (INPUT_TOKENS, OUTPUT_TOKENS) if (not stream or stream_counts) else (0, 0)
    assert _usage(instance, run.run_id) == [(1, *counted)]


def test_ollama_template_runs_without_its_optional_key(
    tmp_path: Path, openai_server: FakeServer, instance: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NeuroCore's ollama-agent template names OLLAMA_API_KEY; Ollama needs no key."""
    monkeypatch.delenv("OLLAMA_API_KEY", raising=False)
    root, blueprint = _project(
        tmp_path,
        f"""\
        llm:
          provider: ollama
          model: "llama3.2"
          base_url: "{openai_server.root}/v1"
          api_key_env: "OLLAMA_API_KEY"   # optional; Ollama ignores the key
        """,
        "- {name: asker, type: ask}\n",
    )
    run = _run(root, blueprint, instance)
    assert run.status == "completed", run.error
    assert openai_server.last["headers"]["authorization"] == "Bearer not-needed"


def test_defaults_of_local_servers(tmp_path: Path) -> None:
    for provider, url in (
        ("ollama", "http://localhost:11434/v1"),
        ("vllm", "http://localhost:8000/v1"),
    ):
        root, blueprint = _project(
            tmp_path / provider,
            f"llm: {{provider: {provider}, model: m}}\n",
            "- {name: a, type: ask}\n",
        )
        job = build_job(blueprint, project_root=root)
        config = job.resource_defs["llm"].config_schema.config_type.fields
        assert config["base_url"].default_value == url
        assert config["api_key"].default_value is None


def test_a_hosted_provider_without_its_key_stops_the_launch(
    tmp_path: Path, instance: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The multi-agent-debate template's settings build; the run needs the key to start."""
    monkeypatch.delenv("NCT_ANTHROPIC_KEY", raising=False)
    root, blueprint = _project(
        tmp_path,
        """\
        llm:
          provider: "anthropic"      # or openai | ollama | openai-compatible
          model: "claude-sonnet-4-6"
          api_key_env: "NCT_ANTHROPIC_KEY"
        """,
        "- {name: asker, type: ask}\n",
    )
    build_job(blueprint, project_root=root)
    before = len(instance.get_runs())
    with pytest.raises(dg.DagsterInvalidConfigError, match="NCT_ANTHROPIC_KEY"):
        _run(root, blueprint, instance)
    assert len(instance.get_runs()) == before  # refused before any run existed


def test_neurocore_api_key_variable_is_read_at_run_start_and_never_stored(
    tmp_path: Path,
    openai_server: FakeServer,
    instance: Any,
    monkeypatch: pytest.MonkeyPatch,
    register_secret: Any,
) -> None:
    monkeypatch.setenv("NEUROCORE_LLM__API_KEY", register_secret("sk-override-41aa"))
    monkeypatch.setenv("NEUROCORE_LLM__BASE_URL", f"{openai_server.root}/v1")
    monkeypatch.setenv("NEUROCORE_LLM__MODEL", "from-env")
    root, blueprint = _project(
        tmp_path, "llm: {provider: openai, model: gpt-4o}\n", "- {name: asker, type: ask}\n"
    )
    run = _run(root, blueprint, instance)
    assert run.status == "completed", run.error
    assert _key_sent(openai_server.last) == "sk-override-41aa"
    assert openai_server.last["body"]["model"] == "from-env"
    stored = instance.get_run_by_id(run.run_id)
    assert "sk-override-41aa" not in str(stored.run_config) + str(stored.tags)


def test_components_get_their_own_llm_settings(
    tmp_path: Path,
    openai_server: FakeServer,
    instance: Any,
    monkeypatch: pytest.MonkeyPatch,
    register_secret: Any,
) -> None:
    monkeypatch.setenv("NCT_COMPONENT_KEY", register_secret("sk-component-8c03"))
    own = (
        f'llm_base_url: "{openai_server.root}/v1", llm_model: tiny, '
        "llm_api_key: {env: NCT_COMPONENT_KEY}"
    )
    root, blueprint = _project(
        tmp_path,
        "llm: {provider: offline, model: project-echo}\n",
        f"""\
        - {{name: plain, type: ask, config: {{out: plain}}}}
        - {{name: own, type: ask, config: {{out: own, llm_provider: openai-compatible, {own}}}}}
        - {{name: renamed, type: ask, config: {{out: renamed, llm_model: other-echo}}}}
        """,
    )
    run = _run(root, blueprint, instance)
    assert run.status == "completed", run.error
    data = run.context.data.to_dict()
    assert data["plain"] == "[project-echo] Q?" and data["plain_by"] == "offline/project-echo"
    assert data["own"] == TEXT and data["own_by"] == "openai-compatible/tiny"
    assert data["renamed"] == "[other-echo] Q?" and data["renamed_by"] == "offline/other-echo"
    assert [r["body"]["model"] for r in openai_server.requests] == ["tiny"]
    assert _key_sent(openai_server.last) == "sk-component-8c03"
    stored = instance.get_run_by_id(run.run_id)
    assert "sk-component-8c03" not in str(stored.run_config)
    assert [u[0] for u in _usage(instance, run.run_id)] == [1, 1, 1]


def test_llm_provider_in_neurocore_yaml_skills_does_not_inherit(
    tmp_path: Path, instance: Any
) -> None:
    root, blueprint = _project(
        tmp_path,
        """\
        llm: {provider: offline, model: project-model}
        skills:
          ask: {llm_provider: mock}
        """,
        "- {name: asker, type: ask}\n",
    )
    run = _run(root, blueprint, instance)
    assert run.status == "completed", run.error
    assert run.context.get("answer") == "mock response"
    assert run.context.get("answer_by") == "mock/mock-model"
    assert _usage(instance, run.run_id) == [(1, 0, 0)]


def test_mock_streams_its_answer(tmp_path: Path, instance: Any) -> None:
    root, blueprint = _project(
        tmp_path, "llm: {provider: mock}\n", "- {name: asker, type: ask, config: {stream: true}}\n"
    )
    run = _run(root, blueprint, instance)
    assert run.status == "completed", run.error
    assert run.context.get("answer") == "mock response"


def test_build_provider_is_neurocores() -> None:
    assert build_provider({}) is None
    provider = build_provider({"llm_provider": "mock"})
    assert isinstance(provider, MockProvider)
    provider.set_response("queued")

    async def ask() -> list[str]:
        first = await provider.complete([{"role": "user", "content": "x"}])
        second = await provider.complete([{"role": "user", "content": "y"}])
        return [first.content, second.content]

    assert asyncio.run(ask()) == ["queued", "mock response"]
    assert provider.call_count == 2


@pytest.mark.parametrize(
    ("provider", "module", "extra"),
    [
        ("anthropic", "anthropic", "anthropic"),
        ("openai", "openai", "openai"),
        ("vllm", "openai", "openai"),
        ("gemini", "google.genai", "gemini"),
        ("litellm", "litellm", "litellm"),
    ],
)
def test_a_missing_sdk_is_a_located_build_error(
    provider: str, module: str, extra: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, blueprint = _project(
        tmp_path,
        f"project: {{name: x}}\nllm:\n  provider: {provider}\n  model: m\n",
        "- {name: asker, type: ask}\n",
    )
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(BlueprintError) as caught:
        build_job(blueprint, project_root=root)
    (found,) = caught.value.issues
    assert (found.type, found.line, found.loc) == ("llm.sdk_missing", 3, ("llm", "provider"))
    assert found.file is not None and found.file.endswith("neurocore.yaml")
    assert f"pip install 'neurocore-dagster[{extra}]'" in str(caught.value)


def test_a_component_naming_a_provider_without_its_sdk_points_at_the_blueprint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, blueprint = _project(
        tmp_path,
        "llm: {provider: offline}\n",
        "- {name: asker, type: ask, config: {llm_provider: anthropic}}\n",
    )
    monkeypatch.setitem(sys.modules, "anthropic", None)
    with pytest.raises(BlueprintError) as caught:
        build_job(blueprint, project_root=root)
    (found,) = caught.value.issues
    assert found.file is not None and found.file.endswith("flow.yaml") and found.line == 3
    assert found.loc == ("components", 0, "config", "llm_provider")


@pytest.mark.parametrize(
    ("llm", "kind", "words"),
    [
        ("{provider: claude}", "llm.unknown_provider", "anthropic, openai"),
        ("{provider: openai-compatible, model: m}", "llm.no_base_url", "base_url"),
        ("{provider: ollama}", "llm.no_model", "llm.model"),
    ],
)
def test_unusable_llm_settings_are_located_build_errors(
    llm: str, kind: str, words: str, tmp_path: Path
) -> None:
    root, blueprint = _project(tmp_path, f"llm: {llm}\n", "- {name: asker, type: ask}\n")
    with pytest.raises(BlueprintError) as caught:
        build_job(blueprint, project_root=root)
    (found,) = caught.value.issues
    assert found.type == kind and found.line == 1 and words in str(caught.value)


# NeuroCore's rule, written out: the project's llm section fills llm_* keys of a skill's
# neurocore.yaml config that has no llm_provider; the blueprint's config then wins key by key.
PROVIDER_NAMES = st.sampled_from(["", "offline", "mock", "ollama", "vllm", "openai"])
SETTINGS = st.fixed_dictionaries(
    {},
    optional={
        "llm_provider": PROVIDER_NAMES.filter(bool),
        "llm_model": st.sampled_from(["m1", "m2"]),
        "llm_base_url": st.sampled_from(["http://127.0.0.1:1/v1", "http://127.0.0.1:2/v1"]),
    },
)
DEFAULTS = {
    "offline": ("offline-echo", ""),
    "mock": ("mock-model", ""),
    "ollama": ("", "http://localhost:11434/v1"),
    "vllm": ("", "http://localhost:8000/v1"),
    "openai": ("gpt-4o", ""),
}


@given(
    project=st.fixed_dictionaries(
        {"provider": PROVIDER_NAMES, "model": st.sampled_from(["", "pm"]), "base_url": st.just("")}
    ),
    in_yaml=SETTINGS,
    in_blueprint=SETTINGS,
)
def test_component_settings_follow_neurocores_merge(
    project: dict[str, str], in_yaml: dict[str, str], in_blueprint: dict[str, str]
) -> None:
    expected: dict[str, str] = dict(in_yaml)
    if project["provider"] and "llm_provider" not in in_yaml:
        expected = {f"llm_{k}": v for k, v in project.items()} | in_yaml
    expected |= in_blueprint
    name = expected.get("llm_provider", "")
    model = expected.get("llm_model") or (DEFAULTS[name][0] if name else "")
    base_url = expected.get("llm_base_url") or (DEFAULTS[name][1] if name else "")

    loaded = _in_memory_project(project, in_yaml)
    blueprint = Blueprint.model_validate(
        {
            "name": "b",
            "components": [{"name": "c", "type": "ask", "config": in_blueprint}],
            "flow": {"steps": [{"component": "c"}]},
        }
    )
    merged = merge_layers(
        [
            *loaded.skill_config_layers("ask"),
            ConfigLayer(in_blueprint, blueprint.source, ("components", 0, "config")),
        ]
    )
    plan, problems = plan_llms(blueprint, _REGISTRY[0], loaded, {"c": merged})
    if not name or not model:
        assert problems
        return
    assert not problems
    choice = plan.components.get("c") or plan.default
    assert choice is not None
    assert (choice.provider, choice.model, choice.base_url) == (name, model, base_url)


_REGISTRY: list[Any] = []


def _in_memory_project(llm: dict[str, str], ask: dict[str, str]) -> Any:
    from dataclasses import replace

    from neurocore_dagster.project.config import Project, ProjectFile

    if not _REGISTRY:
        folder = ASK_SKILL.parent.parent
        _REGISTRY.append(discover_project_skills(Project(root=folder)))
    config = ProjectFile.model_validate({"llm": llm, "skills": {"ask": ask}})
    return replace(Project(root=Path.cwd()), config=config)


def test_a_key_from_the_projects_dotenv_is_used_and_never_stored(
    tmp_path: Path,
    anthropic_server: FakeServer,
    instance: Any,
    monkeypatch: pytest.MonkeyPatch,
    register_secret: Any,
) -> None:
    monkeypatch.setenv("NCT_DOTENV_KEY", "")  # recorded, so the value .env loads is removed
    monkeypatch.delenv("NCT_DOTENV_KEY")
    root, blueprint = _project(
        tmp_path,
        f"llm: {{provider: anthropic, base_url: '{anthropic_server.root}', "
        "api_key_env: NCT_DOTENV_KEY}\n",
        "- {name: asker, type: ask}\n",
    )
    (root / ".env").write_text(f"NCT_DOTENV_KEY={register_secret('sk-dotenv-61f0')}\n")
    run = _run(root, blueprint, instance)
    assert run.status == "completed", run.error
    assert _key_sent(anthropic_server.last) == "sk-dotenv-61f0"
    assert anthropic_server.last["body"]["model"] == "claude-sonnet-4-6"
    stored = instance.get_run_by_id(run.run_id)
    assert "sk-dotenv-61f0" not in str(stored.run_config) + str(stored.tags)


def test_a_stream_read_only_in_part_still_counts_as_a_call() -> None:
    from neurocore_dagster.llm.provider import usage_scope

    provider = MockProvider()

    async def read_one() -> str:
        pieces = provider.stream([{"role": "user", "content": "x"}])
        first = await pieces.__anext__()
        await pieces.aclose()
        return first

    with usage_scope() as usage:
        assert asyncio.run(read_one()) == "m"
    assert (usage.calls, usage.models) == (1, ["mock-model"])
