"""Definitions for a project: names, tags, descriptions, broken blueprints."""

from __future__ import annotations

import logging
import shutil
import textwrap
from pathlib import Path

import dagster as dg
import pytest

from neurocore_dagster import BlueprintError, build_definitions, build_job, load_blueprint
from neurocore_dagster.keys import (
    BLUEPRINT_TAG,
    BROKEN_PREFIX,
    BROKEN_TAG,
    FLOW_TYPE_TAG,
    SKILL_TAG,
    SKILL_VERSION_TAG,
    SOURCE_METADATA,
)

ROOT = Path(__file__).resolve().parent.parent


def _project(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "skills", tmp_path / "skills")
    (tmp_path / "blueprints").mkdir()
    for name in ("greet.yaml", "support_triage.yaml"):
        shutil.copy(ROOT / "blueprints" / name, tmp_path / "blueprints" / name)
    return tmp_path


def test_job_shape_follows_blueprint() -> None:
    job = build_job(load_blueprint(ROOT / "blueprints" / "support_triage.yaml"), project_root=ROOT)
    assert job.name == "support_triage"
    assert job.tags[BLUEPRINT_TAG] == "support-triage"
    names = {node.name for node in job.graph.nodes}
    assert names == {"classify", "bug", "billing", "other", "escalate", "reply"}
    classify = job.graph.node_named("classify")
    assert classify.definition.tags[SKILL_TAG] == "classify_ticket"
    assert classify.definition.tags[SKILL_VERSION_TAG] == "1.0.0"
    outs = {o.name: o.is_required for o in classify.definition.output_defs}
    assert outs == {"flow_context": True, "to_bug": False, "to_billing": False, "to_other": False}
    assert "Flag confident bug reports" in job.graph.node_named("escalate").definition.description
    reply_deps = job.graph.dependency_structure.input_to_upstream_outputs_for_node("reply")
    assert len(next(iter(reply_deps.values()))) == 4


def test_broken_blueprint_does_not_hide_others(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = _project(tmp_path)
    (root / "blueprints" / "nested").mkdir()
    (root / "blueprints" / "nested" / "broken.yaml").write_text(
        textwrap.dedent("""\
        name: broken
        components: [{name: a, type: greet}]
        flow:
          steps: [{component: b}]
        """)
    )
    with caplog.at_level(logging.ERROR, logger="neurocore_dagster"):
        defs = build_definitions(root)
    names = {job.name for job in defs.resolve_all_job_defs()}
    assert {"greet_flow", "support_triage", "broken__broken"} <= names and "broken" not in names
    assert "blueprints/nested/broken.yaml:4" in caplog.text
    placeholder = defs.resolve_job_def("broken__broken")
    assert "blueprints/nested/broken.yaml:4" in (placeholder.description or "")
    assert placeholder.tags[BROKEN_TAG] == "true"
    result = placeholder.execute_in_process(raise_on_error=False)
    assert not result.success
    with pytest.raises(BlueprintError, match=r"blueprints/nested/broken.yaml:4"):
        build_definitions(root, strict=True)


def test_two_blueprints_one_job_name(tmp_path: Path) -> None:
    root = _project(tmp_path)
    text = (root / "blueprints" / "greet.yaml").read_text().replace("greet-flow", "greet_flow")
    (root / "blueprints" / "zz_copy.yaml").write_text(text)
    with pytest.raises(BlueprintError) as caught:
        build_definitions(root, strict=True)
    message = str(caught.value)
    assert "blueprints/greet.yaml" in message and "blueprints/zz_copy.yaml" in message


def test_definitions_validate_with_dagster(tmp_path: Path) -> None:
    defs = build_definitions(ROOT, strict=True)
    dg.Definitions.validate_loadable(defs)


def test_every_run_is_tagged(instance: dg.DagsterInstance) -> None:
    job = build_job(load_blueprint(ROOT / "blueprints" / "greet.yaml"), project_root=ROOT)
    result = job.execute_in_process(instance=instance)
    run = instance.get_run_by_id(result.run_id)
    assert run is not None
    assert run.tags[BLUEPRINT_TAG] == "greet-flow"
    assert run.tags[FLOW_TYPE_TAG] == "sequential"


def test_dagster_definitions_validate_cli(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    (tmp_path / "dagster.yaml").write_text("")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "dagster",
            "definitions",
            "validate",
            "-f",
            str(ROOT / "definitions.py"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "DAGSTER_HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Validation successful" in result.stdout + result.stderr


def test_many_broken_blueprints_each_get_a_placeholder(tmp_path: Path) -> None:
    """Regression: two placeholders used to share one op name, which made the whole
    repository invalid; two broken files with one stem shared one job name."""
    root = _project(tmp_path)
    for folder, text in [("a", "name: [x]\n"), ("b", "- not a mapping\n"), (".", "flow: {\n")]:
        (root / "blueprints" / folder).mkdir(exist_ok=True)
        (root / "blueprints" / folder / "broken.yaml").write_text(text)
    (root / "blueprints" / "other.yaml").write_text("~\n")
    defs = build_definitions(root)
    jobs = {job.name: job for job in defs.resolve_all_job_defs()}
    placeholders = {name for name in jobs if name.startswith(BROKEN_PREFIX)}
    assert placeholders == {
        "broken__broken",
        "broken__broken_2",
        "broken__broken_3",
        "broken__other",
    }
    sources = {jobs[name].metadata[SOURCE_METADATA].value for name in placeholders}
    assert sources == {
        "blueprints/broken.yaml",
        "blueprints/a/broken.yaml",
        "blueprints/b/broken.yaml",
        "blueprints/other.yaml",
    }
    for name in placeholders:
        assert [n.name for n in jobs[name].graph.nodes] == ["report_blueprint_error"]
        result = jobs[name].execute_in_process(raise_on_error=False)
        assert not result.success


@pytest.mark.parametrize("enabled", [True, False])
def test_build_definitions_leaves_the_garbage_collector_as_it_found_it(
    tmp_path: Path, enabled: bool
) -> None:
    """The collector is paused while jobs are built (speed), then restored, even on error."""
    import gc

    root = _project(tmp_path)
    (root / "blueprints" / "broken.yaml").write_text("name: broken\n")
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        build_definitions(root)
        assert gc.isenabled() is enabled
        with pytest.raises(BlueprintError):
            build_definitions(root, strict=True)
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()
