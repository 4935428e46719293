"""Issue 17: failures that used to end in tracebacks or misleading text are one clear line."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from flowengine import FlowContext

from neurocore_dagster import Blueprint, Skill, SkillMeta, SkillRegistry, execute_blueprint
from neurocore_dagster.cli.main import main
from neurocore_dagster.errors import ExecutionError
from neurocore_dagster.service.inspect import list_runs

ROOT = Path(__file__).resolve().parent.parent
GREET = str(ROOT / "blueprints" / "greet.yaml")


class ForgetsToReturn(Skill):
    skill_meta = SkillMeta(name="forgets_return", version="1.0")

    def process(self, context: FlowContext) -> FlowContext:
        context.set("done", True)
        return None  # type: ignore[return-value]


class KeepsALock(Skill):
    skill_meta = SkillMeta(name="keeps_lock", version="1.0")

    def process(self, context: FlowContext) -> FlowContext:
        context.set("fine", [1, 2])
        context.set("guard", threading.Lock())
        return context


def _run(instance: dg.DagsterInstance, skill: type[Skill], **flow: Any) -> Any:
    registry = SkillRegistry()
    registry.register(skill)
    name = skill.skill_meta.name
    blueprint = Blueprint.model_validate(
        {
            "name": f"clear-{name}-{flow.get('type', 'sequential')}",
            "components": [{"name": "comp", "type": name}],
            "flow": flow or {"steps": [{"component": "comp"}]},
        }
    )
    return execute_blueprint(blueprint, registry, instance=instance)


@pytest.mark.parametrize("mode", ["cooperative", "hard_async", "hard_process"])
def test_a_process_that_returns_none_is_named(instance: dg.DagsterInstance, mode: str) -> None:
    run = _run(
        instance,
        ForgetsToReturn,
        settings={"timeout_mode": mode, "timeout_seconds": 60},
        steps=[{"component": "comp"}],
    )
    assert run.status == "failed"
    error = run.error or ""
    assert "\n" not in error, error
    assert "process() returned None" in error, error
    assert "'forgets_return'" in error and "'comp'" in error


def test_a_graph_node_that_returns_none_is_named(instance: dg.DagsterInstance) -> None:
    run = _run(instance, ForgetsToReturn, type="graph", nodes=[{"id": "n1", "component": "comp"}])
    assert run.status == "failed"
    assert "process() returned None" in (run.error or "") and "'n1'" in (run.error or "")


def test_a_value_that_cannot_be_stored_names_its_key(instance: dg.DagsterInstance) -> None:
    run = _run(instance, KeepsALock)
    assert run.status == "failed"
    error = run.error or ""
    assert "\n" not in error, error
    assert "context key 'guard'" in error and "lock" in error, error
    assert "JSON data" in error and "pickle" in error


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(list(argv))
    return code, capsys.readouterr().err


def _one_line_error(code: int, err: str) -> str:
    assert code == 2, err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    return err


def test_a_mistyped_project_is_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = tmp_path / "projetc"
    err = _one_line_error(*_cli(capsys, "--project", str(missing), "run", GREET))
    assert f"--project {missing}: does not exist" in err
    assert not missing.exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no such file"),
        ("folder", "is a folder"),
        ('{"user_name": ', "not JSON (line 1"),
        ("[1, 2]", "holds a JSON list"),
        ('{"loud": "yes"}', "input 'loud' is declared boolean: expected true or false"),
    ],
)
def test_bad_data_files_are_one_line_errors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str | None, expected: str
) -> None:
    path = tmp_path / "data.json"
    if content == "folder":
        path.mkdir()
    elif content is not None:
        path.write_text(content)
    argv = ("--project", str(ROOT), "run", GREET, "--data-file", str(path))
    err = _one_line_error(*_cli(capsys, *argv))
    assert expected in err
    if content != '{"loud": "yes"}':
        assert str(path) in err


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("loud=maybe", "input 'loud' is declared boolean: expected true or false, got str"),
        ("loud=1", "input 'loud' is declared boolean"),
        ("user_name", "--data takes KEY=VALUE"),
    ],
)
def test_data_of_the_wrong_type_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str], item: str, expected: str
) -> None:
    err = _one_line_error(*_cli(capsys, "--project", str(ROOT), "run", GREET, "--data", item))
    assert expected in err


def test_a_string_input_takes_the_text_as_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--data user_name=42`` is the string "42" for a string input, not the number 42."""
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    (tmp_path / "dagster.yaml").write_text("")
    code = main(["--project", str(ROOT), "run", GREET, "--data", "user_name=42"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "42" in json.loads(out[out.index("{") :])["context"]["greeting"]


@pytest.mark.parametrize("limit", ["-1", "0", "x"])
def test_runs_list_refuses_a_non_positive_limit(
    capsys: pytest.CaptureFixture[str], limit: str
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--project", str(ROOT), "runs", "list", "--limit", limit])
    assert caught.value.code == 2
    assert "at least 1" in capsys.readouterr().err


def test_list_runs_refuses_a_non_positive_limit(instance: dg.DagsterInstance) -> None:
    for limit in (-1, 0):
        with pytest.raises(ExecutionError, match="at least 1"):
            list_runs(instance, limit=limit)
