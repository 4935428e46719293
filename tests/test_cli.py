"""The neurocore-dagster command line, including its error exits."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import copy_example_project, run_cli, use_dagster_home

from neurocore_dagster.cli.main import main
from neurocore_dagster.keys import DECISION_TAG

FAILING_SKILL = """
from pathlib import Path
from neurocore_dagster import Skill, SkillMeta

class Gate(Skill):
    skill_meta = SkillMeta(name="needs_file", version="1.0", provides=["ok"],
                           config_schema={"type": "object",
                                          "properties": {"path": {"type": "string"}}})

    def process(self, context):
        if not Path(self.config["path"]).exists():
            raise RuntimeError("file missing")
        context.set("ok", True)
        return context
"""


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = copy_example_project(tmp_path / "project")
    (root / "skills" / "gate.py").write_text(FAILING_SKILL)
    (root / "blueprints" / "needs_file.yaml").write_text(
        textwrap.dedent(f"""\
        name: needs-file
        components:
          - name: gate
            type: needs_file
            config: {{path: "{tmp_path / "flag"}"}}
        flow:
          steps: [{{component: gate}}]
        """)
    )
    use_dagster_home(tmp_path / "home", monkeypatch)
    return root


def _run(project: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    return run_cli(capsys, "--project", str(project), *args)


def _json_tail(text: str) -> dict:
    return json.loads(text[text.index("{") :])


def test_validate(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(project, capsys, "validate")
    count = len(list((project / "blueprints").glob("*.yaml")))
    assert code == 0 and f"{count} blueprint(s) valid" in out
    broken = project / "blueprints" / "broken.yaml"
    broken.write_text(
        "name: b\ncomponents: [{name: a, type: nope}]\nflow:\n  steps: [{component: a}]\n"
    )
    code, _, err = _run(project, capsys, "validate")
    assert code == 1
    assert "broken.yaml:2" in err and "'nope'" in err


def test_run_approve_and_refuse_second_decision(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(
        project,
        capsys,
        "run",
        str(project / "blueprints" / "publish_with_approval.yaml"),
        "--data",
        "topic=CLI",
    )
    assert code == 0
    first = _json_tail(out)
    assert first["status"] == "suspended"
    code, out, _ = _run(project, capsys, "runs", "list", "--status", "suspended")
    assert code == 0 and first["run_id"] in out
    code, out, _ = _run(
        project, capsys, "runs", "approve", first["run_id"], "--by", "ed", "--note", "fine"
    )
    assert code == 0
    second = _json_tail(out)
    assert second["status"] == "completed"
    assert second["context"]["approval"] == {"approved": True, "note": "fine", "by": "ed"}
    code, _, err = _run(project, capsys, "runs", "approve", first["run_id"], "--reject")
    assert code == 2 and "already decided" in err
    code, out, _ = _run(project, capsys, "runs", "inspect", second["run_id"], "--json")
    report = json.loads(out)
    assert report["parent_run_id"] == first["run_id"]
    assert {s["step"] for s in report["steps"]} == {"editor_review", "publisher"}
    assert report["tags"][DECISION_TAG] == "approved"
    code, out, _ = _run(project, capsys, "runs", "inspect", first["run_id"])
    assert code == 0 and "writer" in out and "succeeded" in out


def test_reject_fails_with_exit_1(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = _run(
        project, capsys, "run", str(project / "blueprints" / "publish_with_approval.yaml")
    )
    run_id = _json_tail(out)["run_id"]
    code, out, _ = _run(project, capsys, "runs", "approve", run_id, "--reject", "--note", "no")
    assert code == 1
    assert "rejected at approval gate" in _json_tail(out)["error"]


def test_failed_run_resume_and_replay(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(project, capsys, "run", str(project / "blueprints" / "needs_file.yaml"))
    assert code == 1
    failed = _json_tail(out)
    assert failed["status"] == "failed" and "file missing" in failed["error"]
    code, out, _ = _run(
        project, capsys, "runs", "list", "--blueprint", "needs-file", "--status", "failed"
    )
    assert failed["run_id"] in out
    (tmp_path / "flag").touch()
    code, out, _ = _run(project, capsys, "runs", "resume", failed["run_id"])
    assert code == 0 and _json_tail(out)["context"]["ok"] is True
    code, out, _ = _run(project, capsys, "runs", "replay", failed["run_id"])
    replayed = _json_tail(out)
    assert code == 0 and replayed["run_id"] != failed["run_id"]


def test_error_exits(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(project, capsys, "runs", "inspect", "no-such-run")
    assert code == 2 and "no run id starts with 'no-such-run'" in err
    code, _, err = _run(project, capsys, "runs", "resume", "no-such-run")
    assert code == 2
    code, _, err = _run(
        project, capsys, "run", str(project / "blueprints" / "greet.yaml"), "--data", "novalue"
    )
    assert code == 2 and "KEY=VALUE" in err
    with pytest.raises(SystemExit) as caught:
        main(["runs", "list", "--status", "bogus"])
    assert caught.value.code == 2
    code, _, err = _run(project, capsys, "run", str(project / "blueprints" / "missing.yaml"))
    assert code == 1 and "missing.yaml" in err


def test_entry_point_is_installed() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "neurocore_dagster.cli.main", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0 and "runs" in result.stdout
    assert (
        shutil.which("neurocore-dagster")
        or Path(sys.executable).with_name("neurocore-dagster").exists()
    )


def test_list_skills_schema_explain(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(project, capsys, "list")
    assert code == 0
    assert "support_triage" in out and "blueprints/support_triage.yaml" in out
    assert "schedule weekday_billing_check" in out and "summarize_ticket_files_0" in out
    code, out, _ = _run(project, capsys, "skill", "list")
    assert code == 0 and "approval" in out and "classify_ticket" in out
    code, out, _ = _run(project, capsys, "skill", "info", "handle")
    info = json.loads(out)
    assert info["config_schema"]["required"] == ["team"] and info["origin"].endswith("support.py")
    code, _, err = _run(project, capsys, "skill", "info", "nope")
    assert code == 2 and "unknown skill 'nope'" in err
    code, out, _ = _run(project, capsys, "schema")
    schema = json.loads(out)
    assert {"name", "components", "flow", "triggers"} <= set(schema["properties"])
    code, out, _ = _run(
        project, capsys, "explain", str(project / "blueprints" / "refine_draft.yaml")
    )
    assert code == 0 and "loop region" in out and "review -> draft" in out
    code, out, _ = _run(
        project, capsys, "explain", str(project / "blueprints" / "support_triage.yaml")
    )
    assert "join: fan-in from bug, billing, other, escalate" in out
    assert "when port == 'bug'" in out


def test_list_and_explain_show_assets(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(project, capsys, "list")
    assets = out[out.index("\nassets:") :]
    assert (
        "support/ticket_reply <- job ticket_assets (group support); upstream: raw/tickets; "
        "checks: long_enough, not_empty!" in assets
    )
    code, out, _ = _run(
        project, capsys, "explain", str(project / "blueprints" / "ticket_assets.yaml")
    )
    assert code == 0
    assert "support/ticket_category = output 'category'; written by: classifier" in out
    assert "support/ticket_reply = output 'reply'; written by: replier (reply)" in out
    (project / "blueprints" / "ticket_assets.yaml").write_text(
        (project / "blueprints" / "ticket_assets.yaml")
        .read_text()
        .replace("  category:\n", "  undeclared:\n")
    )
    code, out, _ = _run(
        project, capsys, "explain", str(project / "blueprints" / "ticket_assets.yaml")
    )
    assert "output 'undeclared'; written by: not known statically" in out


def test_new_project_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAGSTER_HOME", "")
    monkeypatch.delenv("DAGSTER_HOME")
    target = tmp_path / "demo"
    assert main(["new", str(target)]) == 0
    code, out, _ = _run(target, capsys, "validate")
    assert code == 0 and "1 blueprint(s) valid" in out
    code, out, _ = _run(
        target, capsys, "run", str(target / "blueprints" / "hello.yaml"), "--data", "name=Ada"
    )
    assert code == 0 and _json_tail(out)["context"]["message"] == "Hello, Ada!"
    assert (target / ".dagster").is_dir()
    assert main(["new", str(target)]) == 2


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ((), {"threads": {}}),
        (("--max-concurrent", "3"), {"threads": {"max_concurrent": 3}}),
        (("--executor", "in_process"), {"in_process": {}}),
        (
            ("--executor", "multiprocess", "--max-concurrent", "2"),
            {"multiprocess": {"max_concurrent": 2}},
        ),
    ],
)
def test_run_picks_the_executor(
    project: Path, capsys: pytest.CaptureFixture[str], flags: tuple[str, ...], expected: dict
) -> None:
    import dagster as dg

    code, out, err = _run(
        project, capsys, "run", str(project / "blueprints" / "greet.yaml"), *flags
    )
    assert code == 0, err
    run_id = _json_tail(out)["run_id"]
    run = dg.DagsterInstance.get().get_run_by_id(run_id)
    assert run is not None and run.run_config["execution"] == {"config": expected}


def test_run_refuses_meaningless_executor_flags(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blueprint = str(project / "blueprints" / "greet.yaml")
    code, _, err = _run(
        project, capsys, "run", blueprint, "--executor", "in_process", "--max-concurrent", "2"
    )
    assert code == 2 and "--max-concurrent does not apply to --executor in_process" in err
    with pytest.raises(SystemExit):
        _run(project, capsys, "run", blueprint, "--max-concurrent", "0")
    assert "expected a whole number of at least 1, got '0'" in capsys.readouterr().err
