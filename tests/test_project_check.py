"""``validate`` and ``build_definitions`` judge a project alike, and no file takes others down.

Both call one function (``check_project``); the property below generates projects
whose files clash with each other (one job name, a ``run_status`` trigger naming a
missing blueprint, one trigger name twice) or hold values the loader refuses, and
checks that the problems ``neurocore-dagster validate`` prints are exactly the ones
``build_definitions(strict=True)`` raises, and that the non-strict definitions load
in Dagster with every good file's job and one placeholder per broken file.
"""

from __future__ import annotations

import contextlib
import copy
import io
import logging
import re
import shutil
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml
from hypothesis import event, given, settings
from hypothesis import strategies as st
from test_property_loader import EXAMPLES, SCALE, hostile_examples

from neurocore_dagster import BlueprintError, build_definitions
from neurocore_dagster.cli.main import main
from neurocore_dagster.keys import APPROVE_JOB_NAME, BROKEN_PREFIX
from neurocore_dagster.project.config import load_project

ROOT = Path(__file__).resolve().parent.parent
ISSUE = re.compile(
    r"^(?:  |warning: )(?P<file>[^\s:]+?)(?::(?P<line>\d+))?: .*\n\s+\[type=(?P<type>[\w.]+)",
    re.MULTILINE,
)
Problem = tuple[str, int | None, str]


def validate(root: Path) -> tuple[int, set[Problem]]:
    """Exit code and problems of ``neurocore-dagster --project root validate``."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["--project", str(root), "validate"])
    found = {
        (m["file"], int(m["line"]) if m["line"] else None, m["type"])
        for m in ISSUE.finditer(err.getvalue())
    }
    return code, found


def definition_problems(root: Path) -> set[Problem]:
    try:
        build_definitions(root, strict=True)
    except BlueprintError as error:
        return {(str(i.file), i.line, i.type) for i in error.issues}
    return set()


def make_project(folder: Path, files: dict[str, Any], config: dict[str, Any]) -> Path:
    shutil.copytree(ROOT / "skills", folder / "skills")
    (folder / "neurocore.yaml").write_text(yaml.safe_dump(config))
    for name, doc in files.items():
        path = folder / "blueprints" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc, allow_unicode=True))
    return folder


FILE_NAMES = ("a.yaml", "b.yaml", "sub/c.yaml")


@st.composite
def projects(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """2-3 blueprint files with clashes between them, and a neurocore.yaml."""
    count = draw(st.integers(2, 3))
    docs = [copy.deepcopy(draw(st.sampled_from(EXAMPLES))) for _ in range(count)]
    for index in range(count):
        docs[index]["name"] = f"flow-{index}"
        docs[index].pop("triggers", None)
    names = [d["name"] for d in docs]
    for doc in docs:
        change = draw(
            st.sampled_from(
                ["none", "same_job", "run_status", "run_status", "trigger_name", "hostile"]
            )
        )
        if change == "same_job":
            doc["name"] = draw(st.sampled_from([n for n in names if n != doc["name"]]))
            doc["name"] = doc["name"].replace("-", draw(st.sampled_from(["-", "_", "."])))
        elif change == "run_status":
            target = draw(st.sampled_from([*names, "nope"]))
            doc["triggers"] = [{"run_status": {"blueprint": target}}]
        elif change == "trigger_name":
            doc["triggers"] = [{"schedule": {"cron": "0 9 * * *", "name": "daily"}}]
        elif change == "hostile":
            doc.clear()
            doc.update(draw(hostile_examples())[1])
    skills = draw(st.sampled_from([{"greet": {"greeting": "Hi"}}, {"greeet": {}}, {}]))
    config = {**yaml.safe_load((ROOT / "neurocore.yaml").read_text()), "skills": skills}
    return dict(zip(FILE_NAMES, docs, strict=False)), config


@settings(max_examples=25 * SCALE)
@given(project=projects())
def test_validate_and_definitions_report_the_same_problems(
    project: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    files, config = project
    with tempfile.TemporaryDirectory(prefix="nc-check-") as folder:
        root = make_project(Path(folder), files, config)
        code, printed = validate(root)
        raised = definition_problems(root)
        assert printed == raised
        broken = {f for f, _, kind in raised if kind != "project.unknown_skill"}
        for kind in sorted({kind for _, _, kind in raised}):
            event(kind)
        assert code == (1 if broken else 0)
        defs = build_definitions(root)
        repository = defs.get_repository_def()  # Dagster accepts every name
        jobs = {j.name for j in repository.get_all_jobs() if not j.name.startswith("__")}
        jobs.discard(APPROVE_JOB_NAME)  # the package's own job
        placeholders = {n for n in jobs if n.startswith(BROKEN_PREFIX)}
        assert len(placeholders) == len(broken)
        assert len(jobs) - len(placeholders) == len(files) - len(broken)


def _write(root: Path, name: str, text: str) -> None:
    path = root / "blueprints" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))


GOOD = """\
name: {name}
components: [{{name: a, type: greet}}]
flow:
  steps: [{{component: a}}]
"""


@pytest.fixture()
def root(tmp_path: Path) -> Path:
    return make_project(tmp_path, {"good.yaml": GOOD.format(name="good")}, {})


def test_unknown_trigger_target_and_job_name_clash_fail_validate(root: Path) -> None:
    _write(
        root,
        "trig.yaml",
        GOOD.format(name="trig") + "triggers:\n  - run_status: {blueprint: nope}\n",
    )
    _write(root, "zz.yaml", GOOD.format(name="good"))
    code, printed = validate(root)
    assert code == 1
    assert printed == {
        ("blueprints/trig.yaml", 6, "trigger.unknown_blueprint"),
        ("blueprints/zz.yaml", 1, "job.name_clash"),
    }


@pytest.mark.parametrize(
    "text,kind",
    [
        (
            GOOD.format(name="dated").replace(
                "type: greet}", "type: greet, config: {since: .nan}}"
            ),
            "value.not_finite",
        ),
        (GOOD.format(name="__ASSET_JOB"), "name.reserved"),
        (GOOD.format(name="..ASSET_JOB"), "job.reserved_name"),
    ],
    ids=["date", "asset_job", "dotted_asset_job"],
)
def test_a_bad_file_is_one_located_placeholder(root: Path, text: str, kind: str) -> None:
    """Once, a date in config raised a serialization traceback and ``__ASSET_JOB`` made
    Dagster refuse the repository: every good job was lost with them."""
    _write(root, "bad.yaml", text)
    defs = build_definitions(root)
    jobs = {j.name for j in defs.get_repository_def().get_all_jobs()}
    assert {"good", "broken__bad"} <= jobs
    description = defs.resolve_job_def("broken__bad").description or ""
    assert "blueprints/bad.yaml:" in description and kind in description


def test_placeholder_keeps_its_documented_name(root: Path) -> None:
    """A healthy blueprint may not take ``broken__<stem>``: its job name is refused, so
    the broken file ``x.yaml`` is ``broken__x`` and the other is ``broken__a``."""
    _write(root, "a.yaml", GOOD.format(name="broken__x"))
    _write(root, "x.yaml", "name: x\n")
    defs = build_definitions(root)
    jobs = {j.name for j in defs.get_repository_def().get_all_jobs()}
    assert {"good", "broken__x", "broken__a"} <= jobs
    assert "x.yaml" in (defs.resolve_job_def("broken__x").description or "")
    assert "job.reserved_name" in (defs.resolve_job_def("broken__a").description or "")


def test_two_broken_files_of_one_stem(root: Path) -> None:
    """Exact placeholder names go out first; a stem that repeats takes ``_2`` after them."""
    _write(root, "one/x.yaml", "name: x\n")
    _write(root, "two/x.yaml", "name: x\n")
    _write(root, "x_2.yaml", "name: x\n")
    defs = build_definitions(root)
    described = {
        name: defs.resolve_job_def(name).description or ""
        for name in ("broken__x", "broken__x_2", "broken__x_3")
    }
    assert "blueprints/one/x.yaml" in described["broken__x"]
    assert "blueprints/x_2.yaml" in described["broken__x_2"]
    assert "blueprints/two/x.yaml" in described["broken__x_3"]


def test_mistyped_skill_in_project_config_warns(
    root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (root / "neurocore.yaml").write_text("skills:\n  greet: {}\n  gret:\n    greeting: Hi\n")
    code, printed = validate(root)
    assert code == 0 and printed == {(str(root / "neurocore.yaml"), 3, "project.unknown_skill")}
    with caplog.at_level(logging.WARNING, logger="neurocore_dagster"):
        build_definitions(root)
    assert "neurocore.yaml:3" in caplog.text and "did you mean greet" in caplog.text
    with pytest.raises(BlueprintError, match="gret"):
        build_definitions(root, strict=True)


def test_definitions_validate_in_dagster_after_checks(root: Path) -> None:
    _write(root, "clash.yaml", GOOD.format(name="good"))
    defs = build_definitions(root)
    dg.Definitions.validate_loadable(defs)


def test_a_date_in_project_config_reads_as_text_located(root: Path) -> None:
    """Skill config from ``neurocore.yaml`` becomes run config of every job: a date there
    was a serialization traceback from ``build_definitions``. NeuroCore accepts it, so it
    loads as its ISO text with a located warning; strict refuses it; ``.inf`` stays an error."""
    (root / "neurocore.yaml").write_text("skills:\n  greet:\n    greeting: 2024-01-01\n")
    assert load_project(root).config.skills["greet"]["greeting"] == "2024-01-01"
    build_definitions(root)
    with pytest.raises(BlueprintError) as caught:
        build_definitions(root, strict=True)
    assert [(i.type, i.line) for i in caught.value.issues] == [("value.date_as_text", 3)]
    assert "neurocore.yaml:3" in str(caught.value) and "quoted" in str(caught.value)
    (root / "neurocore.yaml").write_text("skills:\n  greet:\n    since: .inf\n")
    with pytest.raises(BlueprintError) as caught:
        build_definitions(root)
    assert [(i.type, i.line) for i in caught.value.issues] == [("value.not_finite", 3)]


def test_validate_named_files_with_the_project(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A named file is judged against the whole project (its trigger may name another
    file's blueprint); a file outside the blueprints folder is named as given."""
    _write(
        root,
        "trig.yaml",
        GOOD.format(name="trig") + "triggers:\n  - run_status: {blueprint: good}\n",
    )
    (root / "elsewhere").mkdir()
    outside = root / "elsewhere" / "good_again.yaml"
    outside.write_text(GOOD.format(name="good"))
    assert main(["--project", str(root), "validate", str(root / "blueprints" / "trig.yaml")]) == 0
    assert "1 blueprint(s) valid" in capsys.readouterr().out
    assert main(["--project", str(root), "validate", str(outside)]) == 1
    err = capsys.readouterr().err
    assert f"{outside}:1:" in err and "job.name_clash" in err
