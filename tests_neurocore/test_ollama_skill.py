"""neurocore-skill-ollama, a published NeuroCore skill package, as a Dagster op."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import neurocore

from neurocore_dagster import Blueprint, discover_skills, execute_blueprint
from neurocore_dagster.skills import neurocore_compat


def _blueprint(url: str) -> Blueprint:
    return Blueprint.model_validate(
        {
            "name": "ollama-generate",
            "components": [
                {
                    "name": "generate",
                    "type": "ollama",
                    "config": {"model": "llama3.2", "base_url": url, "system": "Be brief."},
                }
            ],
            "flow": {"type": "sequential", "steps": [{"component": "generate"}]},
        }
    )


def test_entry_point_skill_is_neurocores_own(tmp_path: Path) -> None:
    registry = discover_skills(tmp_path)
    cls = registry.get("ollama")
    assert issubclass(cls, neurocore.AsyncSkill)
    assert cls.__module__ == "neurocore_skill_ollama.skill"
    assert registry.origin("ollama") == (
        "entry point ollama = neurocore_skill_ollama:OllamaSkill (group neurocore.skills)"
    )
    assert registry.meta("ollama").max_retries == 2
    assert not neurocore_compat.is_active()
    assert not getattr(neurocore, "__neurocore_dagster_compat__", False)


def test_ollama_skill_runs_as_an_op(tmp_path: Path, fake_ollama: Any, instance: Any) -> None:
    registry = discover_skills(tmp_path)
    run = execute_blueprint(
        _blueprint(fake_ollama.url),
        registry,
        initial_data={"prompt": "Why is the sky blue?"},
        instance=instance,
        project_root=tmp_path,
    )
    assert run.status == "completed", run.error
    # The skill turns a failed call into {"error": ...}: only the exact text proves the call.
    assert run.context.data.to_dict() == {
        "prompt": "Why is the sky blue?",
        "ollama_response": "echo(Be brief.): Why is the sky blue?",
    }
    assert fake_ollama.requests == [
        (
            "POST",
            "/api/generate",
            {
                "model": "llama3.2",
                "prompt": "Why is the sky blue?",
                "stream": False,
                "system": "Be brief.",
            },
        )
    ]
    stats = {s.step_key: s.status.value for s in instance.get_run_step_stats(run.run_id)}
    assert stats == {"generate": "SUCCESS"}
    tags = instance.get_run_by_id(run.run_id).tags
    assert tags["neurocore/blueprint"] == "ollama-generate"
