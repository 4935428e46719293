"""Projects made by ``new`` switch to a real provider without editing a file.

The ollama-agent project runs against a local server speaking Ollama's
OpenAI-compatible API, and the multi-agent-debate project against one speaking
Anthropic's, chosen only by ``NEUROCORE_LLM__*`` variables; every file of the
project is byte for byte the same afterwards.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from llm_servers import ANSWER, FakeServer, anthropic_route, openai_route, serve

from neurocore_dagster.cli.main import main


@pytest.fixture()
def openai_server() -> Iterator[FakeServer]:
    yield from serve(openai_route)


@pytest.fixture()
def anthropic_server() -> Iterator[FakeServer]:
    yield from serve(anthropic_route)


def _digests(folder: Path) -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def _new_and_run(
    template: str,
    blueprint: str,
    data: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
) -> dict:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    for name in [k for k in os.environ if k.startswith("NEUROCORE_")]:
        monkeypatch.delenv(name)
    assert main(["new", "proj", "--template", template, "--dir", str(tmp_path)]) == 0
    folder = tmp_path / "proj"
    before = _digests(folder)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    capsys.readouterr()
    args = ["-p", str(folder), "run", str(folder / "blueprints" / blueprint)]
    code = main(args + [x for item in data for x in ("--data", item)])
    out = capsys.readouterr().out
    outcome = json.loads(out[out.index("{") :])
    assert code == 0 and outcome["status"] == "completed", outcome["error"]
    assert _digests(folder) == before
    return outcome["context"]


def test_ollama_agent_against_an_ollama_server(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    openai_server: FakeServer,
) -> None:
    monkeypatch.delenv("OLLAMA_API_KEY", raising=False)
    context = _new_and_run(
        "ollama-agent",
        "chat.yaml",
        ["query=Why is the sky blue?"],
        tmp_path,
        monkeypatch,
        capsys,
        {
            "NEUROCORE_LLM__PROVIDER": "ollama",
            "NEUROCORE_LLM__MODEL": "llama3.2",
            "NEUROCORE_LLM__BASE_URL": f"{openai_server.root}/v1",
        },
    )
    assert context["answer"] == "".join(ANSWER)
    [request] = openai_server.requests
    assert request["body"]["model"] == "llama3.2"
    assert request["body"]["messages"][-1] == {"role": "user", "content": "Why is the sky blue?"}


def test_debate_against_an_anthropic_server(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    anthropic_server: FakeServer,
) -> None:
    context = _new_and_run(
        "multi-agent-debate",
        "debate.yaml",
        ["topic=Cities should ban cars"],
        tmp_path,
        monkeypatch,
        capsys,
        {
            "NEUROCORE_LLM__PROVIDER": "anthropic",
            "NEUROCORE_LLM__MODEL": "claude-test",
            "NEUROCORE_LLM__BASE_URL": anthropic_server.root,
            "NEUROCORE_LLM__API_KEY": "sk-ant-test",
        },
    )
    text = "".join(ANSWER)
    assert (context["proposal"], context["critique"], context["verdict"]) == (text, text, text)
    assert len(anthropic_server.requests) == 3
    systems = [r["body"].get("system") for r in anthropic_server.requests]
    assert systems[0].startswith("Argue for the topic") and systems[2].startswith("Weigh")
    for request in anthropic_server.requests:  # the key from the environment, in a header
        assert any("sk-ant-test" in value for value in request["headers"].values())
    assert "Proposal: " + text in anthropic_server.requests[1]["body"]["messages"][0]["content"]
