"""Skills as configurable resources: layers, JSON Schema types, secrets, typed inputs."""

from __future__ import annotations

import hashlib
import json
import logging
import textwrap
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from flowengine import FlowContext

from neurocore_dagster import (
    Blueprint,
    BlueprintError,
    BlueprintTranslator,
    ExecutionError,
    Skill,
    SkillMeta,
    SkillRegistry,
    build_definitions,
    build_job,
    execute_blueprint,
    final_context,
    run_config,
)
from neurocore_dagster.keys import SKILL_MS_METADATA

ALL_TYPES = {
    "type": "object",
    "properties": {
        "text": {"type": "string", "description": "Some text."},
        "count": {"type": "integer"},
        "ratio": {"type": "number"},
        "flag": {"type": "boolean"},
        "mode": {"type": "string", "enum": ["fast", "slow"]},
        "ids": {"type": "array", "items": {"type": "integer"}},
        "nested": {
            "type": "object",
            "properties": {"depth": {"type": "integer"}, "label": {"type": "string"}},
        },
        "free": {"type": "object"},
    },
}


class Recorder(Skill):
    skill_meta = SkillMeta(name="recorder", version="1.0", config_schema=ALL_TYPES)

    def process(self, context: FlowContext) -> FlowContext:
        context.set("seen", dict(self.config))
        return context


class Layered(Skill):
    skill_meta = SkillMeta(
        name="layered",
        version="1.0",
        config_schema={"type": "object", "properties": {k: {"type": "string"} for k in "abcd"}},
    )

    def process(self, context: FlowContext) -> FlowContext:
        context.set("seen", dict(self.config))
        return context


class Secretive(Skill):
    skill_meta = SkillMeta(
        name="secretive",
        version="1.0",
        config_schema={
            "type": "object",
            "properties": {
                "token": {"type": "string"},
                "password": {"type": "string"},
                "port": {"type": "integer"},
            },
        },
    )

    def process(self, context: FlowContext) -> FlowContext:
        digest = hashlib.sha256(self.config["token"].encode()).hexdigest()
        context.set("token_sha256", digest)
        context.set("password_length", len(self.config["password"]))
        context.set("port", self.config["port"])
        return context


def _registry() -> SkillRegistry:
    registry = SkillRegistry()
    for cls in (Recorder, Layered, Secretive):
        registry.register(cls)
    return registry


def _one_step(name: str, skill: str, config: dict[str, Any] | None = None) -> Blueprint:
    return Blueprint.model_validate(
        {
            "name": name,
            "components": [{"name": "c", "type": skill, "config": config or {}}],
            "flow": {"steps": [{"component": "c"}]},
        }
    )


def test_four_layers_merge_field_by_field(tmp_path: Path, instance: Any) -> None:
    (tmp_path / "neurocore.yaml").write_text(
        textwrap.dedent("""\
        skills:
          layered: {a: yaml, b: yaml, c: yaml, d: yaml}
        """)
    )
    (tmp_path / "blueprints").mkdir()
    (tmp_path / "blueprints" / "layers.yaml").write_text(
        textwrap.dedent("""\
        name: layers
        components:
          - {name: c, type: layered, config: {b: blueprint, c: blueprint, d: blueprint}}
        flow:
          steps: [{component: c}]
        """)
    )
    defs = build_definitions(
        tmp_path,
        registry=_registry(),
        strict=True,
        config_overrides={"layers": {"c": {"c": "override", "d": "override"}}},
    )
    job = defs.resolve_job_def("layers")
    result = job.execute_in_process(
        run_config=run_config(job, resources={"c": {"d": "run"}}), instance=instance
    )
    assert final_context(result).get("seen") == {
        "a": "yaml",
        "b": "blueprint",
        "c": "override",
        "d": "run",
    }


class PrefixedKeys(BlueprintTranslator):
    def get_resource_key(self, component: str) -> str:
        return f"component_{component}"


def test_run_config_uses_the_translators_resource_keys(instance: Any) -> None:
    blueprint = Blueprint.model_validate(
        {
            "name": "prefixed",
            "components": [{"name": "c", "type": "layered", "config": {"a": "blueprint"}}],
            "flow": {"steps": [{"component": "c"}]},
        }
    )
    job = build_job(blueprint, _registry(), translator=PrefixedKeys())
    config = run_config(job, resources={"c": {"a": "run"}})
    assert config["resources"]["component_c"] == {"config": {"a": "run"}}
    result = job.execute_in_process(run_config=config, instance=instance)
    assert final_context(result).get("seen").to_dict()["a"] == "run"
    with pytest.raises(ExecutionError, match="no component 'component_c'; components: c"):
        run_config(job, resources={"component_c": {"a": "run"}})


def test_unknown_override_component_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BlueprintError, match="component 'nope'"):
        build_job(
            _one_step("x", "layered"),
            _registry(),
            project_root=tmp_path,
            config_overrides={"nope": {"a": "1"}},
        )


def test_every_schema_type_from_run_config(tmp_path: Path, instance: Any) -> None:
    job = build_job(_one_step("types", "recorder"), _registry(), project_root=tmp_path)
    values = {
        "text": "t",
        "count": 3,
        "ratio": 0.5,
        "flag": True,
        "mode": "slow",
        "ids": [1, 2],
        "nested": {"depth": 2, "label": "x"},
        "free": {"any": [1, "x"]},
    }
    result = job.execute_in_process(
        run_config=run_config(job, resources={"c": values}), instance=instance
    )
    assert final_context(result).get("seen") == values
    field = job.resource_defs["c"].config_schema.as_field()
    assert field.config_type.fields["text"].description == "Some text."


@pytest.mark.parametrize(
    "key,value",
    [
        ("text", 5),
        ("count", "three"),
        ("ratio", "half"),
        ("flag", "yes"),
        ("mode", "turbo"),
        ("ids", ["a"]),
        ("nested", {"depth": "deep"}),
        ("unknown_key", 1),
    ],
)
def test_wrong_run_config_is_refused_before_a_run(
    tmp_path: Path, instance: Any, key: str, value: Any
) -> None:
    job = build_job(_one_step("types", "recorder"), _registry(), project_root=tmp_path)
    before = len(instance.get_runs())
    with pytest.raises(dg.DagsterInvalidConfigError):
        job.execute_in_process(
            run_config=run_config(job, resources={"c": {key: value}}), instance=instance
        )
    assert len(instance.get_runs()) == before


def test_unknown_key_in_blueprint_is_located(tmp_path: Path) -> None:
    path = tmp_path / "bp.yaml"
    path.write_text(
        textwrap.dedent("""\
        name: typo
        components:
          - name: c
            type: recorder
            config: {textt: hello}
        flow:
          steps: [{component: c}]
        """)
    )
    from neurocore_dagster import load_blueprint

    with pytest.raises(BlueprintError) as caught:
        build_job(load_blueprint(path), _registry(), project_root=tmp_path)
    message = str(caught.value)
    assert "bp.yaml:5" in message and "textt" in message and "text" in message


def test_secrets_never_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, register_secret: Any, instance: Any
) -> None:
    token = register_secret("tok-7f3a9c1e-never-store")
    password = register_secret("pw-52be0d44-never-store")
    monkeypatch.setenv("NC_TEST_TOKEN", token)
    monkeypatch.setenv("NC_TEST_PASSWORD", password)
    monkeypatch.setenv("NC_TEST_PORT", "8443")
    project = tmp_path / "project"
    project.mkdir()
    (project / "neurocore.yaml").write_text(
        textwrap.dedent("""\
        skills:
          secretive:
            token: {env: NC_TEST_TOKEN}
        """)
    )
    blueprint = _one_step(
        "secrets",
        "secretive",
        {"password": {"env": "NC_TEST_PASSWORD"}, "port": {"env": "NC_TEST_PORT"}},
    )
    home = tmp_path / "home"
    home.mkdir()
    with dg.instance_for_test(temp_dir=str(home)) as instance:
        run = execute_blueprint(blueprint, _registry(), project_root=project, instance=instance)
        assert run.status == "completed", run.error
        assert run.context.get("token_sha256") == hashlib.sha256(token.encode()).hexdigest()
        assert run.context.get("password_length") == len(password)
        assert run.context.get("port") == 8443
        stored = instance.get_run_by_id(run.run_id)
        texts = [json.dumps(stored.run_config), json.dumps(dict(stored.tags))]
        texts += [str(r.event_log_entry) for r in instance.get_records_for_run(run.run_id).records]
        for secret in (token, password):
            assert not any(secret in text for text in texts)
        for path in home.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                assert token.encode() not in data, path
                assert password.encode() not in data, path
    shared = execute_blueprint(blueprint, _registry(), project_root=project, instance=instance)
    assert shared.status == "completed"


def test_missing_secret_variable_is_named(
    tmp_path: Path, instance: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NC_TEST_ABSENT", raising=False)
    blueprint = _one_step(
        "secret-missing",
        "secretive",
        {"token": {"env": "NC_TEST_ABSENT"}, "password": "p", "port": 1},
    )
    job = build_job(blueprint, _registry(), project_root=tmp_path)
    with pytest.raises(dg.DagsterInvalidConfigError, match="NC_TEST_ABSENT"):
        job.execute_in_process(instance=instance)


def test_env_value_for_unsupported_type_is_a_build_error(tmp_path: Path) -> None:
    blueprint = _one_step("secret-type", "recorder", {"ids": {"env": "X"}})
    with pytest.raises(BlueprintError, match="values from the environment can be"):
        build_job(blueprint, _registry(), project_root=tmp_path)


INPUTS_BLUEPRINT = {
    "name": "inputs",
    "inputs": {
        "who": {"type": "string", "required": True, "description": "Name"},
        "times": {"type": "integer", "default": 2},
        "tags": {"type": "array"},
    },
    "components": [{"name": "c", "type": "layered"}],
    "flow": {"steps": [{"component": "c"}]},
}


def test_typed_inputs(tmp_path: Path, instance: Any) -> None:
    blueprint = Blueprint.model_validate(INPUTS_BLUEPRINT)
    job = build_job(blueprint, _registry(), project_root=tmp_path)
    with pytest.raises(dg.DagsterInvalidConfigError, match="who"):
        job.execute_in_process(instance=instance)
    with pytest.raises(dg.DagsterInvalidConfigError):
        job.execute_in_process(
            run_config=run_config(job, initial_data={"who": "a", "times": "x"}), instance=instance
        )
    result = job.execute_in_process(
        run_config=run_config(job, initial_data={"who": "ada"}), instance=instance
    )
    assert final_context(result).data.to_dict() == {"who": "ada", "times": 2, "seen": {}}
    field = job.resource_defs["neurocore"].config_schema.as_field()
    assert field.config_type.fields["initial_data"].config_type.fields["who"].description == "Name"


class Unwell(Skill):
    skill_meta = SkillMeta(name="unwell", version="2.0")

    def health_check(self) -> bool:
        return False

    def process(self, context: FlowContext) -> FlowContext:
        context.set("ran_anyway", True)
        return context


def test_health_check_failure_is_a_warning_and_success_is_silent(instance: Any) -> None:
    registry = _registry()
    registry.register(Unwell)
    blueprint = Blueprint.model_validate(
        {
            "name": "health",
            "components": [
                {"name": "sick", "type": "unwell"},
                {"name": "fine", "type": "layered"},
            ],
            "flow": {"steps": [{"component": "sick"}, {"component": "fine"}]},
        }
    )
    run = execute_blueprint(blueprint, registry, instance=instance)
    assert run.status == "completed" and run.context.get("ran_anyway") is True
    messages = [
        (record.event_log_entry.level, record.event_log_entry.user_message)
        for record in instance.get_records_for_run(run.run_id).records
        if "health_check" in record.event_log_entry.user_message
    ]
    assert messages == [
        (logging.WARNING, "component 'sick' (skill unwell 2.0): health_check FAILED")
    ]


def test_skill_time_is_output_metadata(instance: Any) -> None:
    run = execute_blueprint(_one_step("timed", "layered"), _registry(), instance=instance)
    [output] = [
        record.event_log_entry.dagster_event
        for record in instance.get_records_for_run(
            run.run_id, of_type=dg.DagsterEventType.STEP_OUTPUT
        ).records
        if record.event_log_entry.dagster_event.step_output_data.output_name == "flow_context"
    ]
    skill_ms = output.step_output_data.metadata[SKILL_MS_METADATA].value
    assert isinstance(skill_ms, float) and 0 <= skill_ms < 5000
