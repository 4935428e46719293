"""The CLI as NeuroCore users type it: -p/--project-root, --version, run-id prefixes,
--data typed as NeuroCore types it, runs resume --data, quiet run and --verbose, init, new."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from helpers import ROOT, copy_example_project, run_cli, use_dagster_home
from hypothesis import given, settings
from hypothesis import strategies as st

from neurocore_dagster.cli.main import main
from neurocore_dagster.cli.run_ids import SHOWN_MATCHES, RunIdError, only_match, resolve_run_id
from neurocore_dagster.cli.values import DataItemError, parse_data_items


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the example project, its instance in a DAGSTER_HOME outside it."""
    root = copy_example_project(tmp_path / "project")
    use_dagster_home(tmp_path / "home", monkeypatch)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # not a project: only the option can name it
    return root


def _outcome(out: str) -> dict[str, Any]:
    return json.loads(out[out.index("{") :])


# --project-root / -p / --version ------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["--project", "{p}", "validate"],
        ["--project-root", "{p}", "validate"],
        ["-p", "{p}", "validate"],
        ["validate", "-p", "{p}"],
        ["validate", "--project-root", "{p}"],
        ["skill", "list", "-p", "{p}"],
    ],
    ids=lambda a: " ".join(a),
)
def test_project_option_spellings(
    project: Path, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    code, out, _ = run_cli(capsys, *[a.format(p=project) for a in args])
    assert code == 0
    if "validate" in args:
        count = len(list((project / "blueprints").glob("*.yaml")))
        assert f"{count} blueprint(s) valid" in out
    else:
        assert "greet" in out  # a skill of the example project, not found from the cwd


def test_project_option_after_the_command_wins_over_the_one_before(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty"
    (empty / "blueprints").mkdir(parents=True)
    code, out, _ = run_cli(capsys, "-p", str(project), "validate", "-p", str(empty))
    assert code == 0 and "0 blueprint(s) valid" in out


def test_version() -> None:
    from importlib.metadata import version

    done = subprocess.run(
        [sys.executable, "-m", "neurocore_dagster.cli.main", "--version"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0
    assert done.stdout.strip() == f"neurocore-dagster {version('neurocore-dagster')}"


# run-id prefixes -------------------------------------------------------------------

IDS = st.text(alphabet="ab01", min_size=1, max_size=6)


@given(ids=st.sets(IDS, min_size=1, max_size=30), data=st.data())
def test_a_prefix_names_the_one_run_or_is_refused_naming_every_match(
    ids: set[str], data: st.DataObject
) -> None:
    chosen = data.draw(st.sampled_from(sorted(ids)))
    prefix = chosen[: data.draw(st.integers(1, len(chosen)))]
    matches = sorted(i for i in ids if i.startswith(prefix))
    if len(matches) == 1:
        assert only_match(prefix, sorted(ids)) == matches[0]
        return
    with pytest.raises(RunIdError) as caught:
        only_match(prefix, sorted(ids))
    text = str(caught.value)
    assert f"prefix {prefix!r} is ambiguous: {len(matches)} runs match" in text
    for match in matches[:SHOWN_MATCHES]:
        assert match in text
    if len(matches) > SHOWN_MATCHES:
        assert f"and {len(matches) - SHOWN_MATCHES} more" in text


def test_no_match_and_empty_prefix_are_refused() -> None:
    with pytest.raises(RunIdError, match="no run id starts with 'zz'"):
        only_match("zz", ["ab", "ac"])


@settings(max_examples=15)
@given(ids=st.sets(st.text(alphabet="0f", min_size=3, max_size=5), min_size=2, max_size=6))
def test_prefixes_against_a_real_instance(ids: set[str]) -> None:
    with dg.instance_for_test() as instance:
        for run_id in ids:
            instance.add_run(dg.DagsterRun(job_name="job", run_id=run_id))
        for run_id in ids:
            assert resolve_run_id(instance, run_id) == run_id  # a full id is exact
            for size in range(1, len(run_id)):
                prefix = run_id[:size]
                matches = [i for i in ids if i.startswith(prefix)]
                if prefix in ids:
                    assert resolve_run_id(instance, prefix) == prefix
                elif len(matches) == 1:
                    assert resolve_run_id(instance, prefix) == run_id
                else:
                    with pytest.raises(RunIdError, match="ambiguous"):
                        resolve_run_id(instance, prefix)
        with pytest.raises(RunIdError, match="required"):
            resolve_run_id(instance, "  ")


def test_cli_commands_take_a_prefix_and_refuse_an_ambiguous_one(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = str(project)
    code, out, _ = run_cli(capsys, "-p", p, "run", str(project / "blueprints" / "greet.yaml"))
    run_id = _outcome(out)["run_id"]
    code, out, _ = run_cli(capsys, "-p", p, "runs", "inspect", run_id[:8], "--json")
    assert code == 0 and json.loads(out)["run_id"] == run_id
    code, out, err = run_cli(capsys, "runs", "replay", run_id[:6], "-p", p)
    assert code == 0 and _outcome(out)["status"] == "completed"
    assert " - dagster - " not in err  # a replay is as quiet as `run`
    instance = dg.DagsterInstance.get()
    twins = ["feedc0de-0000-0000-0000-000000000001", "feedc0de-0000-0000-0000-000000000002"]
    for twin in twins:
        instance.add_run(dg.DagsterRun(job_name="greet_flow", run_id=twin))
    for command in ("inspect", "resume", "approve", "watch", "replay"):
        code, _, err = run_cli(capsys, "-p", p, "runs", command, "feedc0de")
        assert code == 2, command
        assert "ambiguous" in err and twins[0] in err and twins[1] in err


# --data as NeuroCore types it --------------------------------------------------------


@given(
    key=st.text(alphabet="abcxyz_", min_size=1, max_size=8),
    value=st.text(max_size=20).filter(lambda t: "\x00" not in t),
)
def test_an_undeclared_value_is_the_text_written(key: str, value: str) -> None:
    assert parse_data_items([f" {key} ={value}"], {}) == {key: value}


@given(number=st.integers(-(10**6), 10**6), flag=st.booleans())
def test_a_declared_value_is_read_as_json(number: int, flag: bool) -> None:
    types = {"n": "integer", "f": "boolean", "s": "string", "x": "any"}
    items = [f"n={number}", f"f={json.dumps(flag)}", f"s={number}", f"x={number}"]
    assert parse_data_items(items, types) == {
        "n": number,
        "f": flag,
        "s": str(number),
        "x": str(number),
    }


@pytest.mark.parametrize("item", ["novalue", "=5", " =5"])
def test_a_malformed_item_is_refused(item: str) -> None:
    with pytest.raises(DataItemError, match="KEY=VALUE"):
        parse_data_items([item], {})


def test_run_data_typed_by_the_blueprint(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(
        capsys,
        "-p",
        str(project),
        "run",
        str(project / "blueprints" / "greet.yaml"),
        "--data",
        "loud=true",
        "-d",
        "ticket=007",
        "--data",
        "user_name=42",
    )
    context = _outcome(out)["context"]
    assert code == 0
    assert context["loud"] is True  # declared boolean
    assert context["ticket"] == "007"  # undeclared: the text, as NeuroCore passes it
    assert context["user_name"] == "42"  # declared string


# runs resume --data ----------------------------------------------------------------


def _suspended(project: Path, capsys: pytest.CaptureFixture[str]) -> str:
    blueprint = str(project / "blueprints" / "publish_with_approval.yaml")
    code, out, err = run_cli(capsys, "-p", str(project), "run", blueprint)
    outcome = _outcome(out)
    assert code == 0 and outcome["status"] == "suspended"
    # the gate's warning (how to decide) is printed though Dagster's log is not
    assert "warning: editor_review: run suspended at 'editor_review'" in err
    assert f"runs approve {outcome['run_id']}" in err
    return outcome["run_id"]


def test_resume_data_decides_a_suspended_run_once(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_id = _suspended(project, capsys)
    p = str(project)
    code, _, err = run_cli(capsys, "-p", p, "runs", "resume", run_id[:8], "--data", "approved=yes")
    assert code == 2 and "'approved' must be a boolean" in err
    args = ["-p", p, "runs", "resume", run_id[:8], "-d", "approved=true", "-d", "note=007"]
    codes: list[int] = []
    threads = [threading.Thread(target=lambda: codes.append(main(args))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out = capsys.readouterr().out
    assert sorted(codes) == [0, 2]
    outcome = _outcome(out)
    assert outcome["status"] == "completed"
    assert outcome["context"]["approval"]["approved"] is True
    assert outcome["context"]["approval"]["note"] == "007"
    code, _, err = run_cli(capsys, *args)
    assert code == 2 and "already decided" in err
    instance = dg.DagsterInstance.get()
    children = [r for r in instance.get_runs() if r.parent_run_id == run_id]
    assert len(children) == 1


# quiet run, --verbose ----------------------------------------------------------------


def _cli(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "neurocore_dagster.cli.main", "-p", str(project), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_run_shows_progress_and_the_result_and_verbose_adds_dagsters_log(project: Path) -> None:
    blueprint = str(project / "blueprints" / "greet.yaml")
    quiet = _cli(project, "run", blueprint, "--data", "loud=false")
    assert quiet.returncode == 0, quiet.stderr
    assert "✓ greeter" in quiet.stderr and "⊘ shouter skipped" in quiet.stderr
    assert "run completed" in quiet.stderr
    assert " - dagster - " not in quiet.stderr  # no Dagster log lines
    assert json.loads(quiet.stdout)["context"]["greeting"] == "Hello, World!"
    loud = _cli(project, "run", blueprint, "--verbose")
    assert loud.returncode == 0, loud.stderr
    assert " - dagster - DEBUG - greet_flow - " in loud.stderr and "RUN_START" in loud.stderr
    assert "✓ greeter" in loud.stderr
    assert json.loads(loud.stdout)["status"] == "completed"


# init ------------------------------------------------------------------------------


def test_init_makes_the_current_folder_a_project_and_never_overwrites(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    code, _, _ = run_cli(capsys, "init")
    assert code == 0
    assert (here / "skills").is_dir() and (here / "blueprints").is_dir()
    assert 'name: "here"' in (here / "neurocore.yaml").read_text()
    code, out, _ = run_cli(capsys, "validate")
    assert code == 0 and "0 blueprint(s) valid" in out
    code, _, err = run_cli(capsys, "init")
    assert code == 2 and "neurocore.yaml, definitions.py already exist" in err
    other = tmp_path / "other"
    other.mkdir()
    (other / "neurocore.yaml").write_text("mine: true\n")
    code, _, err = run_cli(capsys, "init", "--dir", str(other))
    assert code == 2 and "neurocore.yaml already exist" in err and "definitions.py" not in err
    assert (other / "neurocore.yaml").read_text() == "mine: true\n"
    assert sorted(p.name for p in other.iterdir()) == ["neurocore.yaml"]
    code, _, _ = run_cli(capsys, "init", "named", "--dir", str(tmp_path))
    assert code == 0 and (tmp_path / "named" / "neurocore.yaml").is_file()


# new -------------------------------------------------------------------------------

TEMPLATES = {
    "ollama-agent": ("chat.yaml", "answer"),
    "multi-agent-debate": ("debate.yaml", "verdict"),
    "rag-agent": ("rag.yaml", "answer"),
    "research-agent": ("research.yaml", "summary"),
    "tool-agent": ("tool.yaml", "explanation"),
}


def test_new_lists_the_templates(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "new", "--list")
    assert code == 0
    assert {line.split()[0] for line in out.splitlines()} == {*TEMPLATES, "hello"}


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_each_template_validates_and_runs_offline(
    template: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    for name in [k for k in os.environ if k.startswith("NEUROCORE_")]:
        monkeypatch.delenv(name)
    code, _, _ = run_cli(capsys, "new", "mine", "--template", template, "--dir", str(tmp_path))
    assert code == 0
    folder = tmp_path / "mine"
    code, out, err = run_cli(capsys, "-p", str(folder), "validate", "--strict")
    assert code == 0, err
    assert "1 blueprint(s) valid" in out and "warning" not in err
    blueprint, output_key = TEMPLATES[template]
    code, out, err = run_cli(
        capsys, "-p", str(folder), "run", str(folder / "blueprints" / blueprint)
    )
    outcome = _outcome(out)
    assert code == 0 and outcome["status"] == "completed", err
    assert outcome["context"][output_key]


def test_new_takes_neurocores_order_and_refuses_mistakes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, _ = run_cli(capsys, "new", "rag-agent", "kb", "-d", str(tmp_path))
    assert code == 0 and (tmp_path / "kb" / "blueprints" / "rag.yaml").is_file()
    assert 'name: "kb-rag"' in (tmp_path / "kb" / "blueprints" / "rag.yaml").read_text()
    code, _, err = run_cli(capsys, "new", "kb", "--template", "rag-agent", "--dir", str(tmp_path))
    assert code == 2 and "not empty" in err
    code, _, err = run_cli(capsys, "new", "x", "--template", "chatbot", "--dir", str(tmp_path))
    assert code == 2 and "unknown template 'chatbot'" in err and "tool-agent" in err
    code, _, err = run_cli(capsys, "new")
    assert code == 2 and "--list" in err
    assert not (tmp_path / "x").exists()


def test_tool_agent_takes_its_arguments_from_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    assert main(["new", "tools", "-t", "tool-agent", "-d", str(tmp_path)]) == 0
    folder = tmp_path / "tools"
    blueprint = str(folder / "blueprints" / "tool.yaml")
    argument = 'tool_arguments={"text": "one two three"}'
    code, out, err = run_cli(capsys, "-p", str(folder), "run", blueprint, "--data", argument)
    assert code == 0, err
    assert _outcome(out)["context"]["tool_result"] == 3


# undeclared --data keys and runs list --blueprint ------------------------------------------


@settings(max_examples=20)
@given(
    typo=st.sampled_from(["user_name", "loud"]).flatmap(
        lambda name: st.integers(0, len(name) - 1).map(
            lambda i: name[:i] + name[i + 1 :]  # one letter dropped
        )
    )
)
def test_a_misspelled_input_is_refused_naming_the_input(typo: str) -> None:
    """A key one letter away from a declared input is a typo, not new data."""
    from neurocore_dagster.blueprint.model import FieldSpec
    from neurocore_dagster.cli.data import DataError, initial_data

    inputs = {"user_name": FieldSpec(type="string"), "loud": FieldSpec(type="boolean")}
    with pytest.raises(DataError, match=r"did you mean '(user_name|loud)'"):
        initial_data(None, [f"{typo}=x"], inputs)


def test_an_undeclared_key_passes_with_a_warning(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blueprint = str(project / "blueprints" / "greet.yaml")
    code, out, err = run_cli(capsys, "-p", str(project), "run", blueprint, "--data", "ticket=1")
    assert code == 0
    assert "warning: 'ticket' is not a declared input (loud, user_name)" in err
    assert _outcome(out)["context"]["ticket"] == "1"
    code, _, err = run_cli(capsys, "-p", str(project), "run", blueprint, "--data", "usr_name=x")
    assert code == 2
    assert "did you mean 'user_name'?" in err


def test_runs_list_takes_the_blueprint_or_its_job_name(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(
        capsys, "-p", str(project), "run", str(project / "blueprints" / "greet.yaml")
    )
    assert code == 0
    run_id = _outcome(out)["run_id"]
    for name in ("greet-flow", "greet_flow"):
        code, out, _ = run_cli(capsys, "-p", str(project), "runs", "list", "--blueprint", name)
        assert code == 0 and run_id in out, name
    code, out, _ = run_cli(
        capsys, "-p", str(project), "runs", "list", "--blueprint", "support_triage"
    )
    assert code == 0 and run_id not in out
