"""Every document NeuroCore accepts loads: what it ignores or converts is a located warning.

* Keys NeuroCore ignores, inserted at random places of the example blueprints, load
  with one ``key.ignored`` warning each, at the key's line, into the same blueprint as
  the document without them; ``strict=True`` raises listing every one.
* Values NeuroCore's lax reading converts load as it reads them (flowengine's
  ``FlowSettings`` is the reference), with a warning; strict refuses them.
* Conditions flowengine refuses only when it evaluates them are warnings at load, and
  runs end as flowengine's (its ``on_condition_error`` policy).
* Projects shaped like NeuroCore's five templates validate with warnings only, and run.
* The warned corpus (``fixtures/warned_blueprints``): each file's first line
  ``# warn <type> at line <n>: ...`` names the warning it must give.
"""

from __future__ import annotations

import copy
import datetime
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from flowengine import FlowSettings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle import comparable, run_flowengine
from skills_lib import registry
from test_property_loader import EXAMPLES, SCALE

from neurocore_dagster import (
    Blueprint,
    BlueprintError,
    build_definitions,
    discover_skills,
    execute_blueprint,
    load_blueprint,
)
from neurocore_dagster.blueprint.model import Component, Edge, Flow, Node, Settings, Step
from neurocore_dagster.cli.main import main
from neurocore_dagster.dagster_layer.definitions import validate_project
from neurocore_dagster.project.config import load_project

FIXTURES = Path(__file__).parent / "fixtures"
WARNED = sorted((FIXTURES / "warned_blueprints").glob("*.yaml"))
PROJECTS = sorted(p for p in (FIXTURES / "neurocore_projects").iterdir() if p.is_dir())
HEADER = re.compile(r"^# warn (?P<type>[a-z_]+\.[a-z_]+) at line (?P<line>\d+): \S")


# -- the warned corpus ------------------------------------------------------------------


@pytest.mark.parametrize("path", WARNED, ids=[p.stem for p in WARNED])
def test_warned_blueprint_loads_with_its_warning(path: Path) -> None:
    found = HEADER.match(path.read_text().split("\n", 1)[0])
    assert found, f"{path.name}: first line must be '# warn <type> at line <n>: <what>'"
    kind, line = found.group("type"), int(found.group("line"))
    warnings = load_blueprint(path).warnings
    assert any(w.type == kind and w.line == line for w in warnings), warnings
    assert all(w.file == str(path) for w in warnings)
    with pytest.raises(BlueprintError) as caught:
        load_blueprint(path, strict=True)
    assert any(i.type == kind and i.line == line for i in caught.value.issues)
    assert f"{path}:{line}:" in str(caught.value)


# -- ignored keys at random places ------------------------------------------------------

_KNOWN: dict[str, set[str]] = {
    "top": set(Blueprint.model_fields),
    "component": set(Component.model_fields),
    "flow": set(Flow.model_fields),
    "settings": set(Settings.model_fields),
    "step": {*Step.model_fields, "approval"},
    "node": set(Node.model_fields),
    "edge": set(Edge.model_fields),
}
IGNORED_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.text("abc xyz", max_size=8),
    st.lists(st.integers(0, 3), max_size=3),
    st.dictionaries(st.sampled_from(["p", "q"]), st.integers(0, 3), max_size=2),
    st.dates(),  # a value JSON cannot hold is no problem once its key is dropped
)


def _places(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every mapping of ``doc`` that a model reads, with its kind."""
    flow = doc["flow"]
    places = [("top", doc), ("flow", flow)]
    places += [("component", c) for c in doc["components"]]
    places += [("step", s) for s in flow.get("steps") or []]
    places += [("node", n) for n in flow.get("nodes") or []]
    places += [("edge", e) for e in flow.get("edges") or []]
    if isinstance(flow.get("settings"), dict):
        places.append(("settings", flow["settings"]))
    return places


@st.composite
def with_ignored_keys(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """(document, the same with ignored keys inserted, the inserted key names)."""
    plain = copy.deepcopy(draw(st.sampled_from(EXAMPLES)))
    plain["flow"].setdefault("settings", {})
    noisy = copy.deepcopy(plain)
    places = _places(noisy)
    count = draw(st.integers(1, 6))
    inserted = []
    for n in range(count):
        kind, mapping = draw(st.sampled_from(places))
        key = f"{draw(st.sampled_from(['note', 'name', 'label', 'x']))}_ign{n}"
        assert key not in _KNOWN[kind]
        mapping[key] = draw(IGNORED_VALUES)
        # Shuffle the key into a random position of its mapping.
        items = list(mapping.items())
        items.insert(draw(st.integers(0, len(items) - 1)), items.pop())
        mapping.clear()
        mapping.update(items)
        inserted.append(key)
    return plain, noisy, inserted


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("nc-documents")


@settings(max_examples=60 * SCALE, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(case=with_ignored_keys())
def test_ignored_keys_warn_at_their_line_and_change_nothing(
    case: tuple[dict[str, Any], dict[str, Any], list[str]], workdir: Path
) -> None:
    plain, noisy, inserted = case
    path = workdir / "noisy.yaml"
    text = yaml.safe_dump(noisy, sort_keys=False)
    path.write_text(text)
    clean = workdir / "plain.yaml"
    clean.write_text(yaml.safe_dump(plain, sort_keys=False))

    blueprint = load_blueprint(path)
    warnings = blueprint.warnings
    assert sorted(w.input for w in warnings) == sorted(inserted)
    lines = text.splitlines()
    for warning in warnings:
        assert warning.type == "key.ignored" and warning.file == str(path)
        assert warning.loc[-1] == warning.input
        assert re.match(rf"\s*(- )?{warning.input}:", lines[warning.line - 1]), warning.render()
    assert blueprint.model_dump() == load_blueprint(clean).model_dump()
    assert load_blueprint(clean).warnings == []

    with pytest.raises(BlueprintError) as caught:
        load_blueprint(path, strict=True)
    assert sorted(i.input for i in caught.value.issues) == sorted(inserted)


def test_a_likely_typo_says_what_was_meant(tmp_path: Path) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text(
        "name: typo\ncomponents: [{name: a, type: trace}]\nflow:\n  steps:\n"
        "    - component: a\n      conditon: context.data.go\n"
    )
    (warning,) = load_blueprint(path).warnings
    assert (warning.line, warning.loc) == (6, ("flow", "steps", 0, "conditon"))
    assert "did you mean 'condition'?" in warning.msg
    # The step runs unconditionally, as in NeuroCore, which ignores the key too.
    assert load_blueprint(path).flow.steps[0].condition is None


def test_a_dropped_key_is_listed_with_the_error_it_causes(tmp_path: Path) -> None:
    path = tmp_path / "missing.yaml"
    path.write_text(
        "name: m\ncomponents: [{name: a, type: trace}]\nflow:\n  steps:\n    - componet: a\n"
    )
    with pytest.raises(BlueprintError) as caught:
        load_blueprint(path)
    kinds = {(i.type, i.line) for i in caught.value.issues}
    assert {("key.ignored", 5), ("key.missing", 5)} <= kinds
    assert "did you mean 'component'?" in str(caught.value)


# -- values NeuroCore's lax reading converts ---------------------------------------------

LAX_SETTINGS = st.one_of(
    st.tuples(
        st.just("max_iterations"),
        st.one_of(
            st.just(True),
            st.integers(1, 1000).map(str),
            st.integers(1, 1000).map(float),
            st.integers(1, 99).map(lambda n: f" {n} "),
        ),
    ),
    st.tuples(
        st.sampled_from(["fail_fast", "require_deadline_check", "convergence_check"]),
        st.sampled_from(["true", "false", "yes", "no", "on", "off", "1", "0", 1, 0, "True"]),
    ),
    st.tuples(
        st.just("timeout_seconds"),
        st.one_of(st.just(True), st.integers(1, 3600).map(str), st.just("1e2")),
    ),
)


@settings(max_examples=60 * SCALE, deadline=None)
@given(setting=LAX_SETTINGS, doc=st.sampled_from(EXAMPLES))
def test_lax_values_load_as_neurocore_reads_them(
    setting: tuple[str, Any], doc: dict[str, Any], workdir: Path
) -> None:
    key, value = setting
    doc = copy.deepcopy(doc)
    doc["flow"]["settings"] = {**(doc["flow"].get("settings") or {}), key: value}
    path = workdir / "lax.yaml"
    text = yaml.safe_dump(doc, sort_keys=False)
    path.write_text(text)
    expected = getattr(FlowSettings(**{key: value}), key)  # flowengine's (NeuroCore's) reading
    blueprint = load_blueprint(path)
    assert getattr(blueprint.flow.settings, key) == expected
    assert type(getattr(blueprint.flow.settings, key)) is type(expected)
    (warning,) = blueprint.warnings
    assert warning.type == "value.coerced" and warning.loc == ("flow", "settings", key)
    assert text.splitlines()[warning.line - 1].strip().startswith(f"{key}:")
    assert "read as" in warning.msg and "(NeuroCore's reading)" in warning.msg
    with pytest.raises(BlueprintError) as caught:
        load_blueprint(path, strict=True)
    assert [i.type for i in caught.value.issues] == ["value.coerced"]


def test_max_iterations_true_reads_as_one_located(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text(
        "name: loop\ncomponents: [{name: a, type: trace}]\nflow:\n  type: graph\n"
        "  settings:\n    max_iterations: true\n  nodes: [{id: a, component: a}]\n"
    )
    (warning,) = load_blueprint(path).warnings
    assert warning.render().startswith(
        f"{path}:6: flow.settings.max_iterations: true read as 1 (NeuroCore's reading); write 1"
    )


@pytest.mark.parametrize(
    "key,value",
    [("max_iterations", 2.5), ("max_iterations", "many"), ("fail_fast", "maybe"), ("fail_fast", 2)],
)
def test_values_neurocore_refuses_stay_errors(tmp_path: Path, key: str, value: Any) -> None:
    with pytest.raises(ValueError):
        FlowSettings(**{key: value})
    path = tmp_path / "bad.yaml"
    doc = {"name": "b", "components": [{"name": "a", "type": "trace"}]}
    path.write_text(yaml.safe_dump({**doc, "flow": {"settings": {key: value}, "steps": []}}))
    with pytest.raises(BlueprintError) as caught:
        load_blueprint(path)
    assert any(i.loc == ("flow", "settings", key) for i in caught.value.issues)


# -- conditions flowengine refuses when it evaluates them -------------------------------

RUN_TIME_REFUSED = ["context.data.n >", "len(context.data.items) > 0", "missing > 1", "   "]


@pytest.mark.parametrize("policy", ["fail", "skip", "warn"])
@pytest.mark.parametrize("condition", RUN_TIME_REFUSED)
@pytest.mark.parametrize("flow_type", ["sequential", "conditional", "graph"])
def test_conditions_refused_at_run_time_warn_and_run_as_in_flowengine(
    flow_type: str, condition: str, policy: str, instance: Any
) -> None:
    components = [{"name": n, "type": "trace"} for n in ("a", "b", "c")]
    flow: dict[str, Any] = {"type": flow_type, "settings": {"on_condition_error": policy}}
    if flow_type == "graph":
        flow["nodes"] = [{"id": n, "component": n} for n in ("a", "b", "c")]
        flow["edges"] = [
            {"source": "a", "target": "b", "condition": condition},
            {"source": "a", "target": "c"},
        ]
    else:
        flow["steps"] = [
            {"component": "a", "condition": condition},
            {"component": "b"},
            {"component": "c", "condition": "True"},
        ]
    blueprint = Blueprint.model_validate({"name": "c", "components": components, "flow": flow})
    assert blueprint.warnings
    assert all(w.type.startswith("condition.") for w in blueprint.warnings)
    skills = registry()
    expected = run_flowengine(blueprint, skills, {"n": 1})
    run = execute_blueprint(blueprint, skills, initial_data={"n": 1}, instance=instance)
    assert (run.status == "failed") == expected.failed, run.error or expected.error
    if not expected.failed:
        assert comparable(run.context) == comparable(expected.context)


def test_private_names_stay_refused() -> None:
    """flowengine would evaluate ``context.__class__``; the loader refuses it (not a warning)."""
    doc = {
        "name": "p",
        "components": [{"name": "a", "type": "trace"}],
        "flow": {"steps": [{"component": "a", "condition": "context.__class__ is None"}]},
    }
    with pytest.raises(ValueError, match="names starting with '_' are not allowed"):
        Blueprint.model_validate(doc)


# -- projects shaped like NeuroCore's templates ------------------------------------------


@pytest.fixture(params=PROJECTS, ids=[p.name for p in PROJECTS])
def template_project(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path]:
    copy_root = tmp_path / request.param.name
    shutil.copytree(request.param, copy_root)
    yield copy_root


def test_template_shaped_project_validates_with_warnings_only(template_project: Path) -> None:
    project = load_project(template_project)
    check = validate_project(project, discover_skills(template_project))
    assert not check.broken, check.broken
    assert len(check.loaded) == 1
    kinds = {w.type for w in check.warnings}
    assert kinds == {"project.unused_setting"}, [w.render() for w in check.warnings]
    written = {w.loc for w in check.warnings}
    assert {("logging", "level"), ("persistence", "enabled")} <= written
    assert all(w.file and w.file.endswith("neurocore.yaml") and w.line for w in check.warnings)
    with pytest.raises(BlueprintError) as caught:
        build_definitions(template_project, strict=True)
    assert {i.type for i in caught.value.issues} == {"project.unused_setting"}
    assert main(["--project", str(template_project), "validate"]) == 0
    assert main(["--project", str(template_project), "validate", "--strict"]) == 1


def test_template_shaped_project_runs(template_project: Path, instance: Any) -> None:
    spec = json.loads((template_project / "run.json").read_text())
    (path,) = (template_project / "blueprints").glob("*.yaml")
    run = execute_blueprint(
        load_blueprint(path),
        initial_data=spec["initial_data"],
        instance=instance,
        project_root=template_project,
    )
    assert run.status == "completed", run.error
    assert run.context.get(spec["output_key"]) is not None


# -- neurocore.yaml ------------------------------------------------------------------------


def test_neurocore_yaml_unknown_sections_and_keys_warn(tmp_path: Path) -> None:
    (tmp_path / "neurocore.yaml").write_text(
        "project:\n  name: demo\n  owner: me\ntelemetry:\n  enabled: true\n"
        "paths:\n  skillz: skills\nllm:\n  max_tokens: '100'\n"
        "persistence:\n  path: runs.db\nlogging:\n  level: DEBUG\n"
    )
    project = load_project(tmp_path)
    found = [(w.type, w.line, w.loc) for w in project.warnings]
    assert found == [
        ("key.ignored", 3, ("project", "owner")),
        ("key.ignored", 4, ("telemetry",)),
        ("key.ignored", 7, ("paths", "skillz")),
        ("value.coerced", 9, ("llm", "max_tokens")),
        ("project.unused_setting", 11, ("persistence", "path")),
        ("project.unused_setting", 13, ("logging", "level")),
    ]
    assert "did you mean 'skills'?" in project.warnings[2].msg
    assert project.config.llm.max_tokens == 100
    assert "run storage" in project.warnings[4].msg
    with pytest.raises(BlueprintError) as caught:
        build_definitions(tmp_path, strict=True)
    assert len(caught.value.issues) == len(found)


def test_neurocore_yaml_values_neurocore_refuses_stay_errors(tmp_path: Path) -> None:
    (tmp_path / "neurocore.yaml").write_text("logging:\n  level: loud\n")
    with pytest.raises(BlueprintError) as caught:
        load_project(tmp_path)
    assert caught.value.issues[0].line == 2


def test_a_date_under_an_ignored_key_is_not_an_error(tmp_path: Path) -> None:
    path = tmp_path / "dated.yaml"
    path.write_text(
        "name: d\nreviewed: 2024-01-01\ncomponents: [{name: a, type: trace}]\n"
        "flow:\n  steps: [{component: a}]\n"
    )
    (warning,) = load_blueprint(path).warnings
    assert warning.input == "reviewed" and warning.line == 2
    assert isinstance(yaml.safe_load(path.read_text())["reviewed"], datetime.date)


def test_an_approval_named_like_another_component_runs_it(instance: Any) -> None:
    """NeuroCore's expansion adds no gate when the name is taken: the step runs that
    component. It loads so, with a warning, and runs without suspending."""
    blueprint = load_blueprint(WARNED[0].with_name("approval_name_taken.yaml"))
    assert [c.type for c in blueprint.components] == ["trace", "trace"]
    assert [s.component for s in blueprint.flow.steps] == ["first", "second"]
    run = execute_blueprint(blueprint, registry(), instance=instance)
    assert run.status == "completed"
    assert run.context.get("trace") == ["first", "second"]


def test_build_definitions_logs_warnings_at_every_load(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "blueprints").mkdir()
    (tmp_path / "blueprints" / "noted.yaml").write_text(
        "name: noted\ncomponents: [{name: a, type: trace, description: first}]\n"
        "flow:\n  steps:\n    - {component: a, name: start}\n"
    )
    for attempt in ("first", "second"):
        caplog.clear()
        with caplog.at_level("WARNING", logger="neurocore_dagster"):
            build_definitions(tmp_path, registry=registry())
        logged = [r.getMessage() for r in caplog.records if "key.ignored" in r.getMessage()]
        assert len(logged) == 2, (attempt, logged)
        assert logged[0].startswith("blueprints/noted.yaml:2: components.0.description")
        assert logged[1].startswith("blueprints/noted.yaml:5: flow.steps.0.name")


def test_trigger_sections_keep_their_own_strict_rules(tmp_path: Path) -> None:
    """NeuroCore ignores ``triggers`` as a whole; inside it this package's rules hold."""
    path = tmp_path / "t.yaml"
    path.write_text(
        "name: t\ncomponents: [{name: a, type: trace}]\nflow:\n  steps: [{component: a}]\n"
        "triggers:\n  - schedule: {cron: '0 9 * * *', every: day}\n"
    )
    with pytest.raises(BlueprintError) as caught:
        load_blueprint(path)
    assert [(i.type, i.line) for i in caught.value.issues] == [("key.unknown", 6)]


@settings(max_examples=40 * SCALE, deadline=None)
@given(
    when=st.one_of(st.dates(), st.datetimes()),
    nest=st.sampled_from(["plain", "list", "dict"]),
)
def test_a_date_in_component_config_reads_as_its_iso_text(
    when: datetime.date, nest: str, workdir: Path
) -> None:
    """NeuroCore hands a skill YAML's date object; run config holds JSON, so the date loads
    as its ISO text, located, and strict refuses it. Outside free-form config it stays an
    error (NeuroCore refuses a date where it wants a string too)."""
    value: Any = {"plain": when, "list": [1, when], "dict": {"at": when}}[nest]
    doc = {
        "name": "dated",
        "components": [{"name": "a", "type": "trace", "config": {"since": value}}],
        "flow": {"steps": [{"component": "a"}]},
    }
    path = workdir / "dated.yaml"
    text = yaml.safe_dump(doc, sort_keys=False)
    path.write_text(text)
    blueprint = load_blueprint(path)
    read = blueprint.components[0].config["since"]
    expected = when.isoformat()
    assert read == {"plain": expected, "list": [1, expected], "dict": {"at": expected}}[nest]
    (warning,) = blueprint.warnings
    assert warning.type == "value.date_as_text" and "since" in warning.loc
    day = when.isoformat()[:10]  # the one line holding the date, however YAML writes it
    assert warning.line == next(n for n, t in enumerate(text.splitlines(), 1) if day in t)
    with pytest.raises(BlueprintError):
        load_blueprint(path, strict=True)
    path.write_text(yaml.safe_dump({**doc, "description": when}, sort_keys=False))
    with pytest.raises(BlueprintError):
        load_blueprint(path)
