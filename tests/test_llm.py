"""The LLM resource: offline provider, an OpenAI-compatible server on 127.0.0.1, errors."""

from __future__ import annotations

import json
import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from llm_servers import FakeServer, openai_route, serve

from neurocore_dagster import (
    BlueprintError,
    build_job,
    discover_skills,
    execute_blueprint,
    load_blueprint,
)
from neurocore_dagster.keys import (
    LLM_CALLS_METADATA,
    LLM_INPUT_TOKENS_METADATA,
    LLM_OUTPUT_TOKENS_METADATA,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture()
def chat_server() -> Iterator[FakeServer]:
    for server in serve(openai_route):
        server.fail_first = 1  # the SDK retries a 503
        yield server


def _project(tmp_path: Path, llm_yaml: str) -> Path:
    root = tmp_path / "project"
    shutil.copytree(ROOT / "skills", root / "skills")
    (root / "blueprints").mkdir()
    shutil.copy(ROOT / "blueprints" / "summarize_ticket.yaml", root / "blueprints")
    (root / "neurocore.yaml").write_text(textwrap.dedent(llm_yaml))
    return root


def _llm_metadata(instance: dg.DagsterInstance, run_id: str) -> dict[str, Any]:
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.STEP_OUTPUT)
    for record in records.records:
        data = record.event_log_entry.dagster_event.event_specific_data
        meta = {k: v.value for k, v in data.metadata.items()}
        if LLM_CALLS_METADATA in meta:
            return meta
    raise AssertionError("no op recorded LLM usage")


def test_offline_example(instance: Any) -> None:
    blueprint = load_blueprint(ROOT / "blueprints" / "summarize_ticket.yaml")
    run = execute_blueprint(blueprint, discover_skills(ROOT), project_root=ROOT, instance=instance)
    assert run.status == "completed", run.error
    assert run.context.get("summary") == (
        "[offline-echo] The export button does nothing when I click it twice"
    )
    meta = _llm_metadata(instance, run.run_id)
    assert meta[LLM_CALLS_METADATA] == 1 and meta[LLM_INPUT_TOKENS_METADATA] > 0


def test_openai_compatible_server(
    tmp_path: Path,
    chat_server: FakeServer,
    instance: Any,
    monkeypatch: pytest.MonkeyPatch,
    register_secret: Any,
) -> None:
    monkeypatch.setenv("TEST_LLM_KEY", register_secret("sk-test-9f2c-llm-key"))
    root = _project(
        tmp_path,
        f"""\
        llm:
          provider: openai-compatible
          base_url: {chat_server.root}/v1
          model: tiny-model
          api_key_env: TEST_LLM_KEY
          max_retries: 2
        """,
    )
    blueprint = load_blueprint(root / "blueprints" / "summarize_ticket.yaml")
    run = execute_blueprint(
        blueprint,
        discover_skills(root),
        project_root=root,
        instance=instance,
        initial_data={"ticket": "Login broken"},
    )
    assert run.status == "completed", run.error
    assert run.context.get("summary") == "A short summary."  # after one retry
    assert len(chat_server.requests) == 2
    last = chat_server.requests[-1]
    assert last["path"] == "/v1/chat/completions"
    assert last["headers"]["authorization"] == "Bearer sk-test-9f2c-llm-key"
    assert last["body"]["model"] == "tiny-model"
    assert last["body"]["messages"][0]["role"] == "system"
    assert last["body"]["messages"][1] == {"role": "user", "content": "Login broken"}
    meta = _llm_metadata(instance, run.run_id)
    assert (meta[LLM_INPUT_TOKENS_METADATA], meta[LLM_OUTPUT_TOKENS_METADATA]) == (11, 4)
    stored = instance.get_run_by_id(run.run_id)
    assert "sk-test-9f2c-llm-key" not in json.dumps(stored.run_config)


def test_llm_skill_without_provider_is_a_build_error(tmp_path: Path) -> None:
    root = _project(tmp_path, "project: {name: x}\n")
    blueprint = load_blueprint(root / "blueprints" / "summarize_ticket.yaml")
    with pytest.raises(BlueprintError) as caught:
        build_job(blueprint, discover_skills(root), project_root=root)
    message = str(caught.value)
    assert "summarize_ticket.yaml:12" in message
    assert "'summarizer'" in message and "no LLM provider is configured" in message


def test_unreachable_endpoint_fails_the_run(tmp_path: Path, instance: Any) -> None:
    root = _project(
        tmp_path,
        """\
        llm:
          provider: openai-compatible
          base_url: http://127.0.0.1:9/v1
          model: m
          max_retries: 0
          timeout_seconds: 2
        """,
    )
    blueprint = load_blueprint(root / "blueprints" / "summarize_ticket.yaml")
    run = execute_blueprint(blueprint, discover_skills(root), project_root=root, instance=instance)
    assert run.status == "failed"
    assert "APIConnectionError" in (run.error or "")  # the SDK's own exception, unchanged
