"""``neurocore_dagster.BlueprintsComponent`` in a defs-folder sandbox, then in a ``dg`` project.

The sandbox tests load the component the way ``dg`` does (``defs.yaml`` read by
Dagster's component tree) in this process. The ``dg`` tests create a project
with ``create-dagster`` and drive the ``dg`` command in subprocesses, offline:
the project's code is found through ``PYTHONPATH`` rather than installed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml
from dagster.components.testing import DefsFolderSandbox, create_defs_folder_sandbox
from helpers import EXAMPLE_PARTS, ROOT, copy_example_project

from neurocore_dagster import (
    BlueprintsComponent,
    build_definitions,
    final_context,
    threads_executor,
)
from neurocore_dagster.dagster_layer.component.component import VALIDATION_ENV_VAR
from neurocore_dagster.keys import APPROVE_JOB_NAME, BLUEPRINT_TAG, SHAPE_TAG

TYPE_NAME = "neurocore_dagster.BlueprintsComponent"
BROKEN_BLUEPRINT = """\
name: broken
components:
  - name: a
    type: hello
flow:
  steps:
    - component: b
"""


def _write_defs(folder: Path, attributes: dict[str, Any]) -> None:
    document = {"type": TYPE_NAME, "attributes": attributes}
    (folder / "defs.yaml").write_text(yaml.safe_dump(document, sort_keys=False))


def _copy_example_project(folder: Path) -> None:
    copy_example_project(folder, (*EXAMPLE_PARTS, "inbox"))


def _build(sandbox: DefsFolderSandbox, folder: Path) -> dg.Definitions:
    with sandbox.load_component_and_build_defs(defs_path=folder) as (component, defs):
        assert isinstance(component, BlueprintsComponent)
        return defs


def _shape(defs: dg.Definitions) -> dict[str, Any]:
    """What a user sees of the definitions: jobs (graph, resources, tags), triggers."""
    jobs = {
        job.name: {
            "ops": sorted(node.name for node in job.graph.nodes),
            "resources": sorted(job.resource_defs),
            # The shape fingerprint names the translator class, which differs by design.
            "tags": {k: v for k, v in job.tags.items() if k != SHAPE_TAG},
            "description": job.description,
        }
        for job in defs.resolve_all_job_defs()
        if not job.name.startswith("__")
    }
    schedules = {s.name: (s.cron_schedule, s.job_name) for s in defs.schedules or []}
    sensors = {s.name: sorted(t.job_name for t in s.targets) for s in defs.sensors or []}
    graph = defs.resolve_asset_graph()
    assets = {
        key.to_user_string(): sorted(p.to_user_string() for p in graph.get(key).parent_keys)
        for key in graph.get_all_asset_keys()
    }
    checks = sorted(f"{c.asset_key.to_user_string()}:{c.name}" for c in graph.asset_check_keys)
    return {
        "jobs": jobs,
        "schedules": schedules,
        "sensors": sensors,
        "assets": assets,
        "checks": checks,
    }


@pytest.fixture
def sandbox() -> Iterator[DefsFolderSandbox]:
    with create_defs_folder_sandbox() as box:
        yield box


def test_builds_what_build_definitions_builds(sandbox: DefsFolderSandbox) -> None:
    folder = sandbox.defs_folder_path / "examples"
    folder.mkdir()
    _copy_example_project(folder)
    _write_defs(folder, {})
    shape = _shape(_build(sandbox, folder))
    assert shape == _shape(build_definitions(folder, strict=True))
    assert {"greet_flow", "support_triage", "summarize_ticket", APPROVE_JOB_NAME} <= set(
        shape["jobs"]
    )
    assert "weekday_billing_check" in shape["schedules"] and shape["sensors"]
    assert shape["assets"]["support/ticket_reply"] == ["raw/tickets"]
    assert "support/ticket_reply:long_enough" in shape["checks"]


def test_folders_named_in_defs_yaml(sandbox: DefsFolderSandbox) -> None:
    folder = sandbox.defs_folder_path / "flows"
    (folder / "config").mkdir(parents=True)
    shutil.copytree(ROOT / "blueprints", folder / "my_blueprints")
    shutil.copytree(ROOT / "skills", folder / "my_skills")
    shutil.copy(ROOT / "neurocore.yaml", folder / "config" / "nc.yaml")
    _write_defs(
        folder,
        {
            "blueprints": "my_blueprints",
            "skills": "my_skills",
            "neurocore_yaml": "config/nc.yaml",
            "strict": True,
        },
    )
    jobs = _shape(_build(sandbox, folder))["jobs"]
    assert set(jobs) == set(_shape(build_definitions(ROOT))["jobs"])


def test_overrides_set_tags_executor_and_config(
    sandbox: DefsFolderSandbox, instance: dg.DagsterInstance
) -> None:
    folder = sandbox.defs_folder_path / "examples"
    folder.mkdir()
    _copy_example_project(folder)
    _write_defs(
        folder,
        {
            "strict": True,
            "overrides": {
                "greet-flow": {
                    "tags": {"team": "growth"},
                    "executor": "in_process",
                    "config": {"greeter": {"greeting": "Hi"}},
                }
            },
        },
    )
    job = _build(sandbox, folder).resolve_job_def("greet_flow")
    assert job.tags["team"] == "growth" and job.tags[BLUEPRINT_TAG] == "greet-flow"
    assert job.executor_def is dg.in_process_executor
    result = job.execute_in_process(instance=instance)
    assert result.success
    assert final_context(result).data.to_dict()["greeting"].startswith("Hi")


def test_celery_executor_override(sandbox: DefsFolderSandbox) -> None:
    """``executor: celery`` gives the job dagster-celery's executor (run on workers in
    tests/test_celery.py)."""
    from dagster_celery import celery_executor

    folder = sandbox.defs_folder_path / "examples"
    folder.mkdir()
    _copy_example_project(folder)
    _write_defs(folder, {"strict": True, "overrides": {"greet-flow": {"executor": "celery"}}})
    job = _build(sandbox, folder).resolve_job_def("greet_flow")
    assert job.executor_def is celery_executor


def test_threads_executor_override(sandbox: DefsFolderSandbox) -> None:
    """``executor: threads`` makes the threads executor the job's own (UI launches use it)."""
    folder = sandbox.defs_folder_path / "examples"
    folder.mkdir()
    _copy_example_project(folder)
    _write_defs(folder, {"strict": True, "overrides": {"greet-flow": {"executor": "threads"}}})
    job = _build(sandbox, folder).resolve_job_def("greet_flow")
    assert job.executor_def is threads_executor


def test_package_tags_are_refused(sandbox: DefsFolderSandbox) -> None:
    folder = sandbox.scaffold_component(BlueprintsComponent, defs_path="flows")
    overrides = {"hello": {"tags": {BLUEPRINT_TAG: "other"}}}
    _write_defs(folder, {"blueprints": "blueprints", "skills": "skills", "overrides": overrides})
    assert f"{BLUEPRINT_TAG} are set by neurocore-dagster" in _load_error(sandbox, folder)


def test_override_for_unknown_blueprint_is_an_error(sandbox: DefsFolderSandbox) -> None:
    folder = sandbox.scaffold_component(BlueprintsComponent, defs_path="flows")
    overrides = {"helo": {"executor": "in_process"}}
    _write_defs(folder, {"strict": True, "skills": "skills", "overrides": overrides})
    assert "blueprint 'helo', which is not in the project" in _load_error(sandbox, folder)


def test_missing_folder_names_the_defs_yaml_line(sandbox: DefsFolderSandbox) -> None:
    folder = sandbox.scaffold_component(BlueprintsComponent, defs_path="flows")
    _write_defs(folder, {"blueprints": "blueprints", "skills": "skillz"})
    text = _load_error(sandbox, folder)
    assert "flows/defs.yaml:4" in text and "attributes.skills" in text
    assert "no folder 'skillz'" in text


def test_component_built_in_python_checks_its_paths(tmp_path: Path) -> None:
    component = BlueprintsComponent(blueprints="nowhere")
    with pytest.raises(Exception, match=r"attributes.blueprints: no folder 'nowhere'"):
        component.load_project(tmp_path, tmp_path)


@pytest.mark.parametrize(
    ("strict", "validating", "raises"),
    [
        (None, False, False),
        (None, True, True),
        (False, True, False),
        (True, False, True),
    ],
)
def test_strict_follows_attribute_then_validation_mode(
    sandbox: DefsFolderSandbox,
    monkeypatch: pytest.MonkeyPatch,
    strict: bool | None,
    validating: bool,
    raises: bool,
) -> None:
    folder = sandbox.scaffold_component(BlueprintsComponent, defs_path="flows")
    (folder / "blueprints" / "broken.yaml").write_text(BROKEN_BLUEPRINT)
    attributes: dict[str, Any] = {"blueprints": "blueprints", "skills": "skills"}
    if strict is not None:
        attributes["strict"] = strict
    _write_defs(folder, attributes)
    if validating:
        monkeypatch.setenv(VALIDATION_ENV_VAR, "1")
    else:
        monkeypatch.delenv(VALIDATION_ENV_VAR, raising=False)
    located = f"src/{sandbox.project_name}/defs/flows/blueprints/broken.yaml:7"
    if raises:
        assert located in _load_error(sandbox, folder)
    else:
        defs = _build(sandbox, folder)
        assert located in (defs.resolve_job_def("broken__broken").description or "")
        assert defs.resolve_job_def("hello").name == "hello"


def test_scaffolded_yaml_component_runs(
    sandbox: DefsFolderSandbox, instance: dg.DagsterInstance
) -> None:
    folder = sandbox.scaffold_component(BlueprintsComponent, defs_path="flows")
    assert {"defs.yaml", "blueprints/hello.yaml", "skills/hello.py"} <= {
        str(p.relative_to(folder)) for p in folder.rglob("*")
    }
    assert yaml.safe_load((folder / "defs.yaml").read_text())["type"].endswith(
        ".BlueprintsComponent"
    )
    result = _build(sandbox, folder).resolve_job_def("hello").execute_in_process(instance=instance)
    assert final_context(result).data.to_dict()["message"] == "Hello, world!"


def test_scaffolded_python_component_loads(sandbox: DefsFolderSandbox) -> None:
    folder = sandbox.scaffold_component(
        BlueprintsComponent, defs_path="flows", scaffold_format="python"
    )
    assert (folder / "component.py").is_file() and not (folder / "defs.yaml").exists()
    # Without a defs.yaml, Dagster loads the folder's modules (skills/hello.py defines no
    # Dagster objects) and the component that component.py returns.
    with sandbox.build_all_defs() as defs:
        assert [job.name for job in defs.resolve_all_job_defs()] == ["hello", APPROVE_JOB_NAME]


def _load_error(sandbox: DefsFolderSandbox, folder: Path) -> str:
    """The text of the error loading ``folder`` raises, with every exception it came from."""
    with pytest.raises(Exception) as caught:
        _build(sandbox, folder)
    parts = []
    current: BaseException | None = caught.value
    while current is not None:
        parts.append(str(current))
        current = current.__cause__ or current.__context__
    return "\n".join(parts)


# --- a real dg project -------------------------------------------------------------------------

# The commands of the environment under test (not whatever else is on PATH).
DG = shutil.which("dg", path=str(Path(sys.executable).parent))
CREATE_DAGSTER = shutil.which("create-dagster", path=str(Path(sys.executable).parent))
PROJECT = "nc_dg_project"


def _require_dg() -> None:
    """The dev extra brings dg and create-dagster; without them these tests fail, never skip."""
    if not (DG and CREATE_DAGSTER):
        pytest.fail("dg / create-dagster not installed: pip install -e '.[dev]'")


class DgProject:
    """A project made by ``create-dagster``, driven with ``dg`` in subprocesses."""

    def __init__(self, root: Path, home: Path) -> None:
        self.root = root
        self.home = home
        self.component = root / "src" / PROJECT / "defs" / "flows"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != VALIDATION_ENV_VAR}
        env.update(
            PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            # The checkout under test first, not whatever copy the venv installed.
            PYTHONPATH=f"{self.root / 'src'}{os.pathsep}{ROOT}",
            DAGSTER_HOME=str(self.home),
            DAGSTER_DG_UPDATE_CHECK_ENABLED="0",
            NO_COLOR="1",
            COLUMNS="200",
        )
        return env

    def run(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(args),
            cwd=cwd or self.root,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


@pytest.fixture(scope="module")
def dg_project(tmp_path_factory: pytest.TempPathFactory) -> DgProject:
    _require_dg()
    base = tmp_path_factory.mktemp("dg")
    (base / "home").mkdir()
    (base / "home" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    project = DgProject(base / PROJECT, base / "home")
    _ok(project.run(str(CREATE_DAGSTER), "project", PROJECT, "--no-uv-sync", cwd=base))
    _ok(project.run(str(DG), "scaffold", "defs", TYPE_NAME, "flows"))
    defs_yaml = project.component / "defs.yaml"
    defs_yaml.write_text(
        defs_yaml.read_text()
        + textwrap.indent("overrides:\n  hello: {tags: {team: data}, executor: in_process}\n", "  ")
    )
    return project


def test_dg_lists_the_component_type(dg_project: DgProject) -> None:
    listed = json.loads(_ok(dg_project.run(str(DG), "list", "components", "--json")))
    assert TYPE_NAME in {item["key"] for item in listed["items"]}


def test_dg_lists_checks_and_launches_blueprint_jobs(dg_project: DgProject) -> None:
    listed = json.loads(_ok(dg_project.run(str(DG), "list", "defs", "--json")))
    assert {job["name"] for job in listed["jobs"]} == {"hello", APPROVE_JOB_NAME}
    assert "All definitions loaded successfully" in _ok(dg_project.run(str(DG), "check", "defs"))
    config = {"resources": {"neurocore": {"config": {"initial_data": {"name": "dg"}}}}}
    _ok(dg_project.run(str(DG), "launch", "--job", "hello", "--config-json", json.dumps(config)))
    with dg.DagsterInstance.from_config(str(dg_project.home)) as instance:
        (run,) = instance.get_runs(dg.RunsFilter(job_name="hello"))
        assert run.status == dg.DagsterRunStatus.SUCCESS
        assert run.tags["team"] == "data" and run.tags[BLUEPRINT_TAG] == "hello"
        assert final_context(run, instance=instance).data.to_dict()["message"] == "Hello, dg!"


def test_dg_check_reports_broken_files_with_lines(dg_project: DgProject) -> None:
    broken = dg_project.component / "blueprints" / "broken.yaml"
    defs_yaml = dg_project.component / "defs.yaml"
    original = defs_yaml.read_text()
    try:
        broken.write_text(BROKEN_BLUEPRINT)
        result = dg_project.run(str(DG), "check", "defs")
        output = result.stdout + result.stderr
        assert result.returncode == 1, output[-3000:]
        assert f"src/{PROJECT}/defs/flows/blueprints/broken.yaml:7" in output
        assert "step uses component 'b', which is not defined" in output
        defs_yaml.write_text(
            original.replace("  skills: skills", "  skills: skills\n  skill_folder: skills")
        )
        result = dg_project.run(str(DG), "check", "yaml")
        output = result.stdout + result.stderr
        assert result.returncode == 1, output[-3000:]
        line = defs_yaml.read_text().splitlines().index("  skill_folder: skills") + 1
        assert f"defs/flows/defs.yaml:{line}" in output and "skill_folder" in output
    finally:
        broken.unlink(missing_ok=True)
        defs_yaml.write_text(original)


@pytest.mark.parametrize(("strict", "raises"), [(None, False), (True, True)])
def test_a_check_fails_on_warnings_only_when_strict_is_set(
    sandbox: DefsFolderSandbox, monkeypatch: pytest.MonkeyPatch, strict: bool | None, raises: bool
) -> None:
    """Under ``dg check defs`` an unset ``strict`` fails on broken files only (as
    ``validate``); ``strict: true`` fails on warnings too (as ``validate --strict``)."""
    folder = sandbox.scaffold_component(BlueprintsComponent, defs_path="flows")
    hello = folder / "blueprints" / "hello.yaml"
    hello.write_text(hello.read_text() + "owner: docs-team\n")  # a key NeuroCore ignores
    attributes: dict[str, Any] = {"blueprints": "blueprints", "skills": "skills"}
    if strict is not None:
        attributes["strict"] = strict
    _write_defs(folder, attributes)
    monkeypatch.setenv(VALIDATION_ENV_VAR, "1")
    if raises:
        assert "unknown key 'owner' is ignored" in _load_error(sandbox, folder)
    else:
        assert _build(sandbox, folder).resolve_job_def("hello").name == "hello"
