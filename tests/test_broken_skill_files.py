"""A skill file that fails to import breaks only the blueprints that use its skills."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest
from hypothesis import given
from hypothesis import strategies as st

from neurocore_dagster import SkillError, build_definitions, discover_skills
from neurocore_dagster.cli.main import main
from neurocore_dagster.project.config import load_project
from neurocore_dagster.skills.discovery import discover_usable_skills

ROOT = Path(__file__).resolve().parent.parent

BROKEN = """\
from neurocore_dagster import Skill, SkillMeta


class Mangled(Skill):
    skill_meta = SkillMeta(name="mangled", version="1.0")
    def process(self, context) -> :
        return context
"""
USES = """\
name: uses-mangled
components:
  - name: first
    type: greet
  - name: second
    type: mangled
flow:
  steps: [{component: first}, {component: second}]
"""


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    shutil.copytree(ROOT / "skills", root / "skills")
    shutil.copytree(ROOT / "blueprints", root / "blueprints")
    shutil.copy(ROOT / "neurocore.yaml", root)
    (root / "skills" / "broken.py").write_text(BROKEN)
    (root / "blueprints" / "uses_mangled.yaml").write_text(USES)
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return root


def test_definitions_load_and_the_broken_job_says_why(project: Path) -> None:
    defs = build_definitions(project)
    assert defs.resolve_job_def("greet_flow") is not None
    broken = defs.resolve_job_def("broken__uses_mangled")
    text = broken.description or ""
    assert "uses_mangled.yaml:6" in text  # the component's type line
    assert "broken.py:6" in text and "SyntaxError" in text
    assert "'mangled'" in text
    with pytest.raises(BaseException, match=r"broken\.py:6"):
        broken.execute_in_process()


def test_strict_definitions_raise_naming_the_skill_file(project: Path) -> None:
    with pytest.raises(Exception, match=r"skills/broken\.py:6"):
        build_definitions(project, strict=True)


def test_validate_reports_the_file_and_the_blueprint(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--project", str(project), "validate"])
    err = capsys.readouterr().err
    assert code == 1
    assert "skills/broken.py:6" in err and "skill_file.import_failed" in err
    assert "uses_mangled.yaml:6" in err and "component.skill_file_broken" in err
    assert "greet.yaml" not in err


def test_the_cli_runs_other_blueprints_and_refuses_the_one_that_needs_it(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--project", str(project), "run", str(project / "blueprints" / "greet.yaml")])
    assert code == 0, capsys.readouterr()
    capsys.readouterr()
    code = main(
        ["--project", str(project), "run", str(project / "blueprints" / "uses_mangled.yaml")]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "uses_mangled.yaml:6" in err and "broken.py:6" in err


def test_the_public_discovery_still_raises(project: Path) -> None:
    with pytest.raises(SkillError, match=r"broken\.py:6 failed to import"):
        discover_skills(project)


FAILURES = {
    "syntax": ("def broken(:\n", "SyntaxError"),
    "import": ("import not_a_module_anywhere_x\n", "ModuleNotFoundError"),
    "raise": ("raise RuntimeError('at import')\n", "RuntimeError"),
    "name": ("undefined_name_here\n", "NameError"),
}


@given(
    before=st.integers(min_value=0, max_value=30),
    kind=st.sampled_from(sorted(FAILURES)),
    names=st.lists(st.sampled_from(["alpha", "beta", "gamma"]), max_size=3),
)
def test_a_broken_file_is_located_and_its_written_names_recorded(
    tmp_path_factory: pytest.TempPathFactory, before: int, kind: str, names: list[str]
) -> None:
    root = tmp_path_factory.mktemp("skills-project")
    (root / "skills").mkdir()
    lines = [f"NAME_{i} = {n!r}\n" for i, n in enumerate(names)]
    lines += ["\n"] * before
    code, error_type = FAILURES[kind]
    (root / "skills" / "bad.py").write_text("".join(lines) + code)
    registry = discover_usable_skills(load_project(root))
    [broken] = registry.broken_files
    assert broken.line == len(lines) + 1
    assert broken.reason.startswith(error_type)
    assert all(broken.may_define(n) for n in names)
    assert not broken.may_define("delta")
    assert "approval" in registry  # built-ins are still there


def test_a_job_without_the_broken_skill_runs(project: Path, instance: dg.DagsterInstance) -> None:
    defs = build_definitions(project)
    result = defs.resolve_job_def("greet_flow").execute_in_process(instance=instance)
    assert result.success
