"""Runs started from Python record the code location that serves their job, or why none does."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest

from neurocore_dagster import Blueprint, execute_blueprint, load_blueprint, resume_blueprint
from neurocore_dagster.keys import NO_CODE_LOCATION_TAG

ROOT = Path(__file__).resolve().parent.parent
GREET = ROOT / "blueprints" / "greet.yaml"


def _run(instance: dg.DagsterInstance, blueprint: Blueprint, root: Path) -> dg.DagsterRun:
    outcome = execute_blueprint(blueprint, instance=instance, project_root=root)
    assert outcome.status == "completed", outcome.error
    run = instance.get_run_by_id(outcome.run_id)
    assert run is not None
    return run


def test_a_project_blueprint_file_records_definitions_py(instance: dg.DagsterInstance) -> None:
    run = _run(instance, load_blueprint(GREET), ROOT)
    origin = run.remote_job_origin
    assert origin is not None
    assert origin.location_name == "definitions.py"
    assert origin.repository_origin.repository_name == "__repository__"
    assert origin.job_name == "greet_flow"
    assert run.tags["dagster/code_location"] == "definitions.py"
    assert NO_CODE_LOCATION_TAG not in run.tags


def test_a_blueprint_built_in_memory_says_no_location(instance: dg.DagsterInstance) -> None:
    in_memory = Blueprint.model_validate(load_blueprint(GREET).model_dump())
    run = _run(instance, in_memory, ROOT)
    assert run.remote_job_origin is None
    assert "built in memory" in run.tags[NO_CODE_LOCATION_TAG]


def test_a_file_outside_the_blueprints_folder_says_so(
    instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    outside = tmp_path / "greet.yaml"
    shutil.copy(GREET, outside)
    run = _run(instance, load_blueprint(outside), ROOT)
    assert run.remote_job_origin is None
    assert "outside the blueprints folder" in run.tags[NO_CODE_LOCATION_TAG]


def test_a_project_without_definitions_py_says_so(
    instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    shutil.copytree(ROOT / "skills", tmp_path / "skills")
    shutil.copytree(ROOT / "blueprints", tmp_path / "blueprints")
    run = _run(instance, load_blueprint(tmp_path / "blueprints" / "greet.yaml"), tmp_path)
    assert run.remote_job_origin is None
    assert "no definitions.py" in run.tags[NO_CODE_LOCATION_TAG]


FAILING = """
from pathlib import Path
from neurocore_dagster import Skill, SkillMeta

class Gate(Skill):
    skill_meta = SkillMeta(name="needs_file", version="1.0", provides=["ok"],
                           config_schema={"type": "object", "properties": {}})

    def process(self, context):
        if not (Path(__file__).parent / "flag").exists():
            raise RuntimeError("file missing")
        context.set("ok", True)
        return context
"""


@pytest.mark.parametrize("with_definitions", [True, False])
def test_a_resumed_run_records_the_location_too(
    instance: dg.DagsterInstance, tmp_path: Path, with_definitions: bool
) -> None:
    (tmp_path / "skills").mkdir()
    (tmp_path / "skills" / "gate.py").write_text(FAILING)
    (tmp_path / "blueprints").mkdir()
    path = tmp_path / "blueprints" / "gate.yaml"
    path.write_text(
        "name: gate\ncomponents: [{name: gate, type: needs_file}]\n"
        "flow:\n  steps: [{component: gate}]\n"
    )
    if with_definitions:
        shutil.copy(ROOT / "definitions.py", tmp_path / "definitions.py")
    failed = execute_blueprint(load_blueprint(path), instance=instance, project_root=tmp_path)
    assert failed.status == "failed"
    (tmp_path / "skills" / "flag").touch()
    resumed = resume_blueprint(failed.run_id, instance=instance, project_root=tmp_path)
    assert resumed.status == "completed" and resumed.context.get("ok") is True
    for run_id in (failed.run_id, resumed.run_id):
        run = instance.get_run_by_id(run_id)
        assert run is not None
        if with_definitions:
            assert run.remote_job_origin is not None
            assert run.remote_job_origin.job_name == "gate"
        else:
            assert run.remote_job_origin is None
            assert "no definitions.py" in run.tags[NO_CODE_LOCATION_TAG]
    child = instance.get_run_by_id(resumed.run_id)
    assert child is not None and child.parent_run_id == failed.run_id
    assert set(child.step_keys_to_execute or ()) == {"gate"}
