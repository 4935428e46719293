"""The LLM resource: offline provider, an OpenAI-compatible server on 127.0.0.1, errors."""

from __future__ import annotations

import json
import shutil
import textwrap
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from neurocore_dagster import (
    BlueprintError,
    build_job,
    discover_skills,
    execute_blueprint,
    load_blueprint,
)

ROOT = Path(__file__).resolve().parent.parent


class ChatServer:
    """A chat-completions server that records every request it gets."""

    def __init__(self, fail_first: int = 0) -> None:
        self.requests: list[dict[str, Any]] = []
        self.fail_first = fail_first
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append(
                    {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
                )
                if len(server.requests) <= server.fail_first:
                    self.send_response(503)
                    self.end_headers()
                    self.wfile.write(b"busy")
                    return
                answer = {
                    "model": body["model"],
                    "choices": [{"message": {"role": "assistant", "content": "A short summary."}}],
                    "usage": {"prompt_tokens": 11, "completion_tokens": 4},
                }
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture()
def chat_server() -> Iterator[ChatServer]:
    server = ChatServer(fail_first=1)
    yield server
    server.close()


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
        if "llm_calls" in meta:
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
    assert meta["llm_calls"] == 1 and meta["llm_input_tokens"] > 0


def test_openai_compatible_server(
    tmp_path: Path,
    chat_server: ChatServer,
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
          base_url: {chat_server.url}
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
    assert run.context.get("summary") == "A short summary."
    assert len(chat_server.requests) == 2
    last = chat_server.requests[-1]
    assert last["path"] == "/v1/chat/completions"
    assert last["auth"] == "Bearer sk-test-9f2c-llm-key"
    assert last["body"]["model"] == "tiny-model"
    assert last["body"]["messages"][0]["role"] == "system"
    assert last["body"]["messages"][1] == {"role": "user", "content": "Login broken"}
    meta = _llm_metadata(instance, run.run_id)
    assert (meta["llm_input_tokens"], meta["llm_output_tokens"]) == (11, 4)
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
    assert "cannot reach http://127.0.0.1:9/v1/chat/completions" in (run.error or "")
