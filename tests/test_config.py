"""Component config: layers, located errors, Dagster config errors before a run starts."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from flowengine import FlowContext

from neurocore_dagster import (
    Blueprint,
    BlueprintError,
    Skill,
    SkillMeta,
    SkillRegistry,
    build_job,
    execute_blueprint,
    load_blueprint,
    run_config,
)


class Configured(Skill):
    skill_meta = SkillMeta(
        name="configured",
        version="1.0",
        config_schema={
            "type": "object",
            "properties": {
                "a": {"type": "string", "default": "schema"},
                "b": {"type": "integer"},
                "c": {"type": "boolean"},
                "mode": {"type": "string", "enum": ["fast", "slow"]},
                "items": {"type": "array", "items": {"type": "integer"}},
            },
            "required": ["b"],
        },
    )

    def process(self, context: FlowContext) -> FlowContext:
        context.set("config", dict(self.config))
        return context


def _registry() -> SkillRegistry:
    registry = SkillRegistry()
    registry.register(Configured)
    return registry


def _project(tmp_path: Path, project_yaml: str, blueprint_yaml: str) -> Blueprint:
    (tmp_path / "neurocore.yaml").write_text(textwrap.dedent(project_yaml))
    path = tmp_path / "bp.yaml"
    path.write_text(textwrap.dedent(blueprint_yaml))
    return load_blueprint(path)


BLUEPRINT = """\
    name: cfg
    components:
      - name: worker
        type: configured
        config: {config}
    flow:
      steps: [{{component: worker}}]
    """


def test_layers_merge_key_by_key(tmp_path: Path, instance: Any) -> None:
    blueprint = _project(
        tmp_path,
        """\
        skills:
          configured:
            a: from-yaml
            b: 1
            c: true
        """,
        BLUEPRINT.format(config="{b: 2}"),
    )
    job = build_job(blueprint, _registry(), project_root=tmp_path)
    config = run_config(job, resources={"worker": {"c": False}})
    result = job.execute_in_process(run_config=config, instance=instance)
    assert result.success
    run = execute_blueprint(
        blueprint,
        _registry(),
        project_root=tmp_path,
        instance=instance,
        run_config={"resources": config["resources"]},
    )
    assert run.context.get("config") == {"a": "from-yaml", "b": 2, "c": False}


def test_schema_default_applies(tmp_path: Path, instance: Any) -> None:
    blueprint = _project(tmp_path, "{}\n", BLUEPRINT.format(config="{b: 5}"))
    run = execute_blueprint(blueprint, _registry(), project_root=tmp_path, instance=instance)
    assert run.context.get("config") == {"a": "schema", "b": 5}


def test_wrong_type_in_neurocore_yaml_names_that_file(tmp_path: Path) -> None:
    blueprint = _project(
        tmp_path,
        """\
        skills:
          configured:
            b: not-a-number
        """,
        BLUEPRINT.format(config="{}"),
    )
    with pytest.raises(BlueprintError) as caught:
        build_job(blueprint, _registry(), project_root=tmp_path)
    message = str(caught.value)
    assert "neurocore.yaml:3" in message and "skills.configured.b" in message
    assert "not-a-number" in message


def test_wrong_value_in_blueprint_names_blueprint(tmp_path: Path) -> None:
    blueprint = _project(tmp_path, "{}\n", BLUEPRINT.format(config="{b: 1, mode: turbo}"))
    with pytest.raises(BlueprintError) as caught:
        build_job(blueprint, _registry(), project_root=tmp_path)
    message = str(caught.value)
    assert "bp.yaml:5" in message and "components.0.config.mode" in message
    assert "'turbo'" in message and "'fast', 'slow'" in message


def test_missing_required_key_stops_launch(tmp_path: Path, instance: Any) -> None:
    blueprint = _project(tmp_path, "{}\n", BLUEPRINT.format(config="{}"))
    job = build_job(blueprint, _registry(), project_root=tmp_path)
    before = len(instance.get_runs())
    with pytest.raises(dg.DagsterInvalidConfigError, match="b"):
        job.execute_in_process(instance=instance)
    assert len(instance.get_runs()) == before
    result = job.execute_in_process(
        run_config=run_config(job, resources={"worker": {"b": 3}}), instance=instance
    )
    assert result.success


def test_run_config_with_wrong_type_is_refused(tmp_path: Path, instance: Any) -> None:
    blueprint = _project(tmp_path, "{}\n", BLUEPRINT.format(config="{b: 1}"))
    job = build_job(blueprint, _registry(), project_root=tmp_path)
    with pytest.raises(dg.DagsterInvalidConfigError):
        job.execute_in_process(
            run_config=run_config(job, resources={"worker": {"b": "x"}}), instance=instance
        )


def test_unknown_skill_is_located(tmp_path: Path) -> None:
    path = tmp_path / "bp.yaml"
    path.write_text(
        textwrap.dedent("""\
        name: x
        components:
          - name: worker
            type: configurd
        flow:
          steps: [{component: worker}]
        """)
    )
    with pytest.raises(BlueprintError) as caught:
        build_job(load_blueprint(path), _registry(), project_root=tmp_path)
    message = str(caught.value)
    assert "bp.yaml:4" in message and "'configurd'" in message and "configured" in message


def test_run_config_names_unknown_component(tmp_path: Path) -> None:
    blueprint = _project(tmp_path, "{}\n", BLUEPRINT.format(config="{b: 1}"))
    job = build_job(blueprint, _registry(), project_root=tmp_path)
    from neurocore_dagster import ExecutionError

    with pytest.raises(ExecutionError, match="no component 'wrker'"):
        run_config(job, resources={"wrker": {}})
