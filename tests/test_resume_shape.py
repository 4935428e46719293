"""A resume runs the job its parent ran (DESIGN §3.10), or refuses naming what differs.

Each test runs a job shaped by something beyond the blueprint (config overrides,
a translator that renames ops, ``neurocore.yaml``, the blueprint file), lets its
first step fail, changes that thing, and resumes: the resumed run must use what
the parent ran with, and say when a file changed since.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from skills_lib import registry

from neurocore_dagster import (
    BlueprintTranslator,
    ExecutionError,
    TranslatorSettings,
    build_definitions,
    execute_blueprint,
    load_blueprint,
    resume_blueprint,
    run_config,
)
from neurocore_dagster.blueprint.model import Blueprint
from neurocore_dagster.dagster_layer.translation.translator import JobSpec, OpSpec
from neurocore_dagster.keys import (
    BLUEPRINT_CHANGED_TAG,
    PROJECT_CHANGED_TAG,
    SHAPE_METADATA,
    SHAPE_TAG,
    SHAPE_UNRECORDED_TAG,
    SOURCE_METADATA,
)
from neurocore_dagster.plan.model import ExecutionPlan, PlanOp

NAME = "shaped"


class RenamingTranslator(BlueprintTranslator):
    """Renames the job, every op and every resource, as a custom translator may."""

    prefix = "x_"

    def get_job_spec(self, blueprint: Blueprint, plan: ExecutionPlan) -> JobSpec:
        spec = super().get_job_spec(blueprint, plan)
        return spec.replace(name="renamed_" + spec.name)

    def get_op_spec(self, plan: ExecutionPlan, op: PlanOp) -> OpSpec:
        spec = super().get_op_spec(plan, op)
        return spec.replace(name=self.prefix + spec.name)

    def get_resource_key(self, component: str) -> str:
        return "res_" + super().get_resource_key(component)


def _project(folder: Path, yaml_values: dict[str, Any] | None = None) -> Path:
    """A project whose blueprint's first step fails until ``<folder>/gate`` exists.

    Its second step (component ``out``, skill ``set``) writes its configured
    ``value`` to the context key ``out``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "blueprints").mkdir(exist_ok=True)
    document = {
        "name": NAME,
        "components": [
            {
                "name": "gate",
                "type": "fail_until_file",
                "config": {"path": str(folder / "gate"), "calls": str(folder / "calls")},
            },
            {"name": "out", "type": "set", "config": {"key": "out"}},
        ],
        "flow": {"steps": [{"component": "gate"}, {"component": "out"}]},
    }
    (folder / "blueprints" / "shaped.yaml").write_text(yaml.safe_dump(document))
    if yaml_values is not None:
        (folder / "neurocore.yaml").write_text(yaml.safe_dump({"skills": {"set": yaml_values}}))
    return folder


def _launch(job: dg.JobDefinition, instance: dg.DagsterInstance) -> str:
    """A run of ``job`` as a Dagster user starts one; its first step fails."""
    result = job.execute_in_process(
        run_config=run_config(job), instance=instance, raise_on_error=False
    )
    assert not result.success
    return result.run_id


def _job(project: Path, **options: Any) -> dg.JobDefinition:
    defs = build_definitions(project, registry=registry(), **options)
    [job] = [j for j in defs.resolve_all_job_defs() if j.name.endswith(NAME)]
    return job


def _tags(instance: dg.DagsterInstance, run_id: str) -> dict[str, str]:
    run = instance.get_run_by_id(run_id)
    assert run is not None
    return dict(run.tags)


def test_resume_keeps_config_overrides(tmp_path: Path, instance: Any) -> None:
    project = _project(tmp_path / "p")
    job = _job(project, config_overrides={NAME: {"out": {"value": "from-override"}}})
    run_id = _launch(job, instance)
    (project / "gate").touch()
    resumed = resume_blueprint(run_id, instance=instance, registry=registry(), project_root=project)
    assert resumed.status == "completed", resumed.error
    assert resumed.context.get("out") == "from-override"
    assert resumed.warnings == ()
    assert _tags(instance, resumed.run_id)[SHAPE_TAG] == _tags(instance, run_id)[SHAPE_TAG]


def test_resume_with_a_translator_that_renames_ops(tmp_path: Path, instance: Any) -> None:
    project = _project(tmp_path / "p")
    job = _job(
        project,
        translator=RenamingTranslator(TranslatorSettings(op_description_includes_skill=False)),
        config_overrides={NAME: {"out": {"value": "renamed"}}},
    )
    assert job.name == "renamed_shaped"
    run_id = _launch(job, instance)
    (project / "gate").touch()
    resumed = resume_blueprint(run_id, instance=instance, registry=registry(), project_root=project)
    assert resumed.status == "completed", resumed.error
    assert resumed.context.get("out") == "renamed"
    child = instance.get_run_by_id(resumed.run_id)
    assert child is not None and child.job_name == "renamed_shaped"
    assert set(child.step_keys_to_execute or []) == {"x_gate", "x_out"}


class TeamTranslator(BlueprintTranslator):
    """Overrides only the composite hooks: job name, tags and metadata; op names and tags."""

    def get_job_spec(self, blueprint: Blueprint, plan: ExecutionPlan) -> JobSpec:
        spec = super().get_job_spec(blueprint, plan)
        return spec.replace(name="team_" + spec.name).merge(
            tags={"team": "ml"}, metadata={"owner": "ml-team"}
        )

    def get_op_spec(self, plan: ExecutionPlan, op: PlanOp) -> OpSpec:
        spec = super().get_op_spec(plan, op)
        return spec.replace(name="t_" + spec.name).merge(tags={"team": "ml"})


def test_the_translator_that_built_a_job_resumes_it(tmp_path: Path, instance: Any) -> None:
    """No translator is passed to the resume: the recorded class rebuilds the job."""
    project = _project(tmp_path / "p")
    run_id = _launch(_job(project, translator=TeamTranslator()), instance)
    (project / "gate").touch()
    resumed = resume_blueprint(run_id, instance=instance, registry=registry(), project_root=project)
    assert resumed.status == "completed", resumed.error
    child = instance.get_run_by_id(resumed.run_id)
    assert child is not None and child.job_name == "team_shaped"
    assert child.tags["team"] == "ml"
    assert set(child.step_keys_to_execute or []) == {"t_gate", "t_out"}
    snapshot = instance.get_job_snapshot(child.job_snapshot_id)
    assert snapshot.metadata["owner"].value == "ml-team"
    recorded = snapshot.metadata["neurocore/shape"].value["translator"]["class"]
    assert recorded == f"{__name__}:TeamTranslator"
    with pytest.raises(ExecutionError, match="the translator given is"):
        resume_blueprint(
            run_id,
            instance=instance,
            registry=registry(),
            project_root=project,
            translator=RenamingTranslator(),
            force=True,
        )


def test_resume_refuses_a_translator_that_now_names_ops_differently(
    tmp_path: Path, instance: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _project(tmp_path / "p")
    run_id = _launch(_job(project, translator=RenamingTranslator()), instance)
    (project / "gate").touch()
    monkeypatch.setattr(RenamingTranslator, "prefix", "y_")
    with pytest.raises(ExecutionError) as refused:
        resume_blueprint(run_id, instance=instance, registry=registry(), project_root=project)
    text = str(refused.value)
    assert "2 difference(s)" in text
    assert 'names.ops.gate: was "x_gate", now "y_gate"' in text
    assert 'names.ops.out: was "x_out", now "y_out"' in text


def test_resume_needs_a_translator_it_cannot_import(tmp_path: Path, instance: Any) -> None:
    class LocalTranslator(RenamingTranslator):
        pass

    class OtherTranslator(RenamingTranslator):
        pass

    project = _project(tmp_path / "p")
    run_id = _launch(_job(project, translator=LocalTranslator()), instance)
    (project / "gate").touch()
    recorded = f"{__name__}:{LocalTranslator.__qualname__}"
    with pytest.raises(ExecutionError, match="cannot be imported") as refused:
        resume_blueprint(run_id, instance=instance, registry=registry(), project_root=project)
    assert recorded in str(refused.value) and "pass translator=" in str(refused.value)
    with pytest.raises(ExecutionError, match="the translator given is") as refused:
        resume_blueprint(
            run_id,
            instance=instance,
            registry=registry(),
            project_root=project,
            translator=OtherTranslator(),
        )
    assert recorded in str(refused.value) and "OtherTranslator" in str(refused.value)
    resumed = resume_blueprint(
        run_id,
        instance=instance,
        registry=registry(),
        project_root=project,
        translator=LocalTranslator(),
    )
    assert resumed.status == "completed", resumed.error


def test_resume_uses_neurocore_yaml_as_it_was_at_launch(tmp_path: Path, instance: Any) -> None:
    project = _project(tmp_path / "p", {"value": "at-launch"})
    first = execute_blueprint(
        load_blueprint(project / "blueprints" / "shaped.yaml"),
        registry(),
        instance=instance,
        project_root=project,
    )
    assert first.status == "failed"
    _project(project, {"value": "edited"})
    (project / "gate").touch()
    resumed = resume_blueprint(
        first.run_id, instance=instance, registry=registry(), project_root=project
    )
    assert resumed.status == "completed", resumed.error
    assert resumed.context.get("out") == "at-launch"
    [warning] = resumed.warnings
    assert "neurocore.yaml changed since run" in warning
    assert 'skills.set.value: was "at-launch", now "edited"' in warning
    assert _tags(instance, resumed.run_id)[PROJECT_CHANGED_TAG] == "skills.set.value"


def test_secrets_stay_references_and_are_read_again(
    tmp_path: Path, instance: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _project(tmp_path / "p", {"value": {"env": "NC_RESUME_SHAPE_VALUE"}})
    monkeypatch.setenv("NC_RESUME_SHAPE_VALUE", "value-at-launch")
    run_id = _launch(_job(project), instance)
    run = instance.get_run_by_id(run_id)
    snapshot = instance.get_job_snapshot(run.job_snapshot_id)
    recorded = json.dumps(snapshot.metadata[SHAPE_METADATA].value)
    assert '{"env": "NC_RESUME_SHAPE_VALUE"}' in recorded and "value-at-launch" not in recorded
    monkeypatch.setenv("NC_RESUME_SHAPE_VALUE", "value-at-resume")
    (project / "gate").touch()
    resumed = resume_blueprint(run_id, instance=instance, registry=registry(), project_root=project)
    assert resumed.status == "completed", resumed.error
    assert resumed.context.get("out") == "value-at-resume"
    assert resumed.warnings == ()


def test_resume_runs_the_recorded_blueprint_after_the_file_changed(
    tmp_path: Path, instance: Any, caplog: pytest.LogCaptureFixture
) -> None:
    project = _project(tmp_path / "p")
    path = project / "blueprints" / "shaped.yaml"
    document = yaml.safe_load(path.read_text())
    document["components"][1]["config"]["value"] = "as-run"
    path.write_text(yaml.safe_dump(document))
    first = execute_blueprint(
        load_blueprint(path), registry(), instance=instance, project_root=project
    )
    assert first.status == "failed"
    document["components"][1]["config"]["value"] = "edited"
    path.write_text(yaml.safe_dump(document))
    # Resumed once while the gate is still closed, and once more from that child.
    with caplog.at_level("WARNING", logger="neurocore_dagster"):
        child = resume_blueprint(
            first.run_id, instance=instance, registry=registry(), project_root=project
        )
    assert child.status == "failed"
    assert any(f"blueprint file {path} changed since run" in w for w in child.warnings)
    assert f"blueprint file {path} changed since run" in caplog.text
    (project / "gate").touch()
    grandchild = resume_blueprint(
        child.run_id, instance=instance, registry=registry(), project_root=project
    )
    assert grandchild.status == "completed", grandchild.error
    assert grandchild.context.get("out") == "as-run"
    assert any("changed since run" in w for w in grandchild.warnings)
    for run_id in (child.run_id, grandchild.run_id):
        assert _tags(instance, run_id)[BLUEPRINT_CHANGED_TAG] == "true"


@settings(max_examples=6)
@given(
    at_launch=st.text(st.characters(codec="utf-8"), max_size=8),
    override=st.none() | st.text(st.characters(codec="utf-8"), max_size=8),
    edited=st.text(st.characters(codec="utf-8"), max_size=8),
)
def test_resumed_value_is_the_one_the_parent_ran_with(
    tmp_path_factory: pytest.TempPathFactory,
    instance: Any,
    at_launch: str,
    override: str | None,
    edited: str,
) -> None:
    """Whatever neurocore.yaml and the overrides said at launch, the resume uses it."""
    project = _project(tmp_path_factory.mktemp("p"), {"value": at_launch})
    overrides = {NAME: {"out": {"value": override}}} if override is not None else None
    run_id = _launch(_job(project, config_overrides=overrides), instance)
    _project(project, {"value": edited})
    (project / "gate").touch()
    resumed = resume_blueprint(run_id, instance=instance, registry=registry(), project_root=project)
    assert resumed.status == "completed", resumed.error
    assert resumed.context.get("out") == (override if override is not None else at_launch)
    assert bool(resumed.warnings) == (edited != at_launch)


def _reexecute_with(job: dg.JobDefinition, run_id: str, instance: dg.DagsterInstance) -> str:
    """Re-execute ``run_id`` from failure with ``job``, as the UI does with the current job."""
    from neurocore_dagster.dagster_layer.jobs.reconstruct import reconstructable_job

    blueprint = load_blueprint(Path(job.metadata[SOURCE_METADATA].value))  # type: ignore[union-attr]
    parent = instance.get_run_by_id(run_id)
    assert parent is not None
    with reconstructable_job(blueprint, registry(), None, built=job) as recon:
        result = dg.execute_job(
            recon,
            instance,
            run_config={**parent.run_config, "execution": {"config": {"in_process": {}}}},
            reexecution_options=dg.ReexecutionOptions.from_failure(run_id, instance),
            raise_on_error=False,
        )
    return result.run_id


@pytest.mark.parametrize("edit_yaml", [True, False])
def test_reexecution_with_another_job_fails_naming_the_difference(
    tmp_path: Path, instance: Any, edit_yaml: bool
) -> None:
    """The UI's *Re-execute* uses the current job: it may not silently run other config."""
    project = _project(tmp_path / "p", {"value": "at-launch"})
    run_id = _launch(_job(project), instance)
    if edit_yaml:
        _project(project, {"value": "edited"})
    (project / "gate").touch()
    child_id = _reexecute_with(_job(project), run_id, instance)
    outcome = resume_outcome(instance, child_id)
    if not edit_yaml:
        assert outcome.status == "completed", outcome.error
        assert outcome.context.get("out") == "at-launch"
        return
    assert outcome.status == "failed"
    errors = _error_texts(instance, child_id)
    assert f"run {run_id} cannot be resumed as the job it ran" in errors
    assert 'neurocore_yaml.skills.set.value: was "at-launch", now "edited"' in errors
    assert f"neurocore-dagster runs resume {run_id}" in errors
    assert "done_gate" not in outcome.context.data.to_dict()


def _error_texts(instance: dg.DagsterInstance, run_id: str) -> str:
    """Every error the run's event log holds (the UI shows them on their events)."""
    texts = []
    for record in instance.get_records_for_run(run_id).records:
        event = record.event_log_entry.dagster_event
        error = getattr(event.event_specific_data, "error", None) if event else None
        if error is not None:
            texts.append(error.to_string())
    return "\n".join(texts)


def resume_outcome(instance: dg.DagsterInstance, run_id: str) -> Any:
    from neurocore_dagster.service.results import blueprint_run

    return blueprint_run(run_id, instance=instance)


def _llm_project(folder: Path, model: str, api_key: str) -> Path:
    """A project whose second step asks the (offline) LLM; ``neurocore.yaml`` names the model."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "blueprints").mkdir(exist_ok=True)
    document = {
        "name": NAME,
        "components": [
            {
                "name": "gate",
                "type": "fail_until_file",
                "config": {"path": str(folder / "gate"), "calls": str(folder / "calls")},
            },
            {"name": "ask", "type": "summarize"},
        ],
        "flow": {"steps": [{"component": "gate"}, {"component": "ask"}]},
    }
    (folder / "blueprints" / "shaped.yaml").write_text(yaml.safe_dump(document))
    llm = {"provider": "offline", "model": model, "api_key": api_key}
    (folder / "neurocore.yaml").write_text(yaml.safe_dump({"llm": llm}))
    return folder


def _llm_registry() -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "nc_example_llm_skills", Path(__file__).parent.parent / "skills" / "llm_skills.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    skills = registry()
    skills.register(module.Summarize)
    return skills


def test_llm_settings_are_recorded_and_a_literal_key_only_as_its_digest(
    tmp_path: Path, instance: Any
) -> None:
    skills = _llm_registry()
    project = _llm_project(tmp_path / "p", "model-at-launch", "literal-key-1")
    defs = build_definitions(project, registry=skills)
    [job] = [j for j in defs.resolve_all_job_defs() if j.name == NAME]
    assert "literal-key-1" not in json.dumps(job.metadata[SHAPE_METADATA].value)  # type: ignore[union-attr]
    run_id = _launch(job, instance)
    (project / "gate").touch()
    _llm_project(project, "model-edited", "literal-key-1")
    resumed = resume_blueprint(run_id, instance=instance, registry=skills, project_root=project)
    assert resumed.status == "completed", resumed.error
    assert resumed.context.get("summary").startswith("[model-at-launch]")
    assert 'llm.model: was "model-at-launch", now "model-edited"' in resumed.warnings[0]

    (project / "gate").unlink()
    run_id = _launch(job, instance)
    _llm_project(project, "model-at-launch", "literal-key-2")
    with pytest.raises(ExecutionError, match=r"llm\.api_key: the run used a key written in"):
        resume_blueprint(run_id, instance=instance, registry=skills, project_root=project)


def test_a_run_recorded_before_job_shapes_resumes_with_a_warning(
    tmp_path: Path, instance: Any
) -> None:
    project = _project(tmp_path / "p", {"value": "current"})
    job = _job(project)
    old = {k: v for k, v in job.metadata.items() if k != SHAPE_METADATA}
    run_id = _launch(job.with_metadata(old), instance)
    (project / "gate").touch()
    resumed = resume_blueprint(run_id, instance=instance, registry=registry(), project_root=project)
    assert resumed.status == "completed", resumed.error
    assert resumed.context.get("out") == "current"
    [warning] = resumed.warnings
    assert f"run {run_id} predates recorded job shapes" in warning
    assert _tags(instance, resumed.run_id)[SHAPE_UNRECORDED_TAG] == "true"
