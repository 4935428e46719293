"""Projects made by ``neurocore-dagster new`` are NeuroCore projects: the real NeuroCore
runs each one, offline with its ``mock`` provider, to the context this package gives."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from neurocore_dagster import execute_blueprint, load_blueprint
from neurocore_dagster.cli.main import main

# template: (blueprint, initial data; NeuroCore has no `inputs`, so every value is given)
TEMPLATES = {
    "ollama-agent": ("chat.yaml", {"query": "Why is the sky blue?"}),
    "multi-agent-debate": ("debate.yaml", {"topic": "Cities should ban cars"}),
    "rag-agent": ("rag.yaml", {"query": "What does an approval gate do?"}),
    "research-agent": ("research.yaml", {"query": "When should a workflow wait?"}),
    "tool-agent": ("tool.yaml", {"tool_arguments": {"text": "one two three"}}),
}


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_neurocore_runs_the_template_to_our_result(
    template: str, tmp_path: Path, instance: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from neurocore.runtime.executor import load_and_run

    for name in [k for k in os.environ if k.startswith("NEUROCORE_")]:
        monkeypatch.delenv(name)
    assert main(["new", "proj", "--template", template, "--dir", str(tmp_path)]) == 0
    folder = tmp_path / "proj"
    blueprint, data = TEMPLATES[template]
    path = folder / "blueprints" / blueprint
    monkeypatch.chdir(folder)
    theirs = load_and_run(path, project_root=folder, initial_data=dict(data), track=False)
    ours = execute_blueprint(
        load_blueprint(path), project_root=folder, initial_data=dict(data), instance=instance
    )
    assert ours.status == "completed", ours.error
    assert ours.context.data.to_dict() == theirs.data.to_dict()
