"""``outputs.<key>.asset``: checked at load with located errors; absent, nothing changes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neurocore_dagster import BlueprintError, load_blueprint
from neurocore_dagster.blueprint.assets import key_problem

BASE: dict[str, Any] = {
    "name": "triage",
    "components": [{"name": "g", "type": "greet"}],
    "flow": {"steps": [{"component": "g"}]},
}


def _write(tmp_path: Path, asset: Any, name: str = "bp.yaml") -> Path:
    doc = {**BASE, "outputs": {"reply": {"type": "string", "asset": asset}}}
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def _problems(path: Path) -> list[Any]:
    with pytest.raises(BlueprintError) as caught:
        load_blueprint(path)
    return list(caught.value.issues)


def test_agreed_yaml_loads(tmp_path: Path) -> None:
    asset = {
        "key": "support/reply",
        "group": "support",
        "owners": ["team:support", "ana@example.com"],
        "tags": {"tier": "gold"},
        "kinds": ["llm"],
        "deps": ["raw/tickets"],
        "checks": [
            {"present": {}},
            {"not_empty": {}},
            {"json_schema": {"type": "object", "required": ["text"]}},
            {
                "condition": {
                    "expression": "len(value) > 10",
                    "name": "long_enough",
                    "blocking": True,
                }
            },
        ],
    }
    bp = load_blueprint(_write(tmp_path, asset))
    decl = bp.outputs["reply"].asset
    assert decl is not None and decl.key == "support/reply"
    assert [c.check_name for c in decl.checks] == [
        "present",
        "not_empty",
        "json_schema",
        "long_enough",
    ]
    assert [c.is_blocking for c in decl.checks] == [False, False, False, True]
    assert bp.warnings == []


def test_no_asset_dumps_as_before(tmp_path: Path) -> None:
    """A blueprint without ``asset:`` has the snapshot (so the job fingerprint) it had."""
    doc = {**BASE, "outputs": {"reply": {"type": "string"}}}
    path = tmp_path / "plain.yaml"
    path.write_text(yaml.safe_dump(doc))
    dumped = json.loads(load_blueprint(path).model_dump_json())
    assert "asset" not in dumped["outputs"]["reply"]


BAD = [
    ({"key": "support/re ply"}, "asset.key", ("key",)),
    ({"owners": ["support"]}, "asset.owner", ("owners", 0)),
    ({"kinds": ["l l m"]}, "asset.kind", ("kinds", 0)),
    ({"group": "my-group"}, "asset.group", ("group",)),
    ({"tags": {"dagster/x": "y"}}, "asset.tag_key", ("tags", "dagster/x")),
    ({"deps": ["raw//tickets"]}, "asset.dep", ("deps", 0)),
    ({"checks": [{"json_schema": {"type": 5}}]}, "check.json_schema", ("checks", 0, "json_schema")),
    (
        {"checks": [{"condition": {"expression": "value.__class__"}}]},
        "check.private_name",
        ("checks", 0, "condition", "expression"),
    ),
    (
        {"checks": [{"condition": {"expression": "scoer > 1"}}]},
        "check.unknown_name",
        ("checks", 0, "condition", "expression"),
    ),
    ({"checks": [{"present": {}}, {"present": {}}]}, "check.duplicate_name", ("checks", 1)),
    ({"checks": [{"present": {}, "not_empty": {}}]}, "value.check_kind", ("checks", 0)),
    ({"checks": [{"presnt": {}}]}, "key.unknown", ("checks", 0, "presnt")),
]


@pytest.mark.parametrize(("asset", "kind", "where"), BAD, ids=[b[1] for b in BAD])
def test_bad_asset_is_located(
    tmp_path: Path, asset: Any, kind: str, where: tuple[Any, ...]
) -> None:
    path = _write(tmp_path, asset)
    problems = _problems(path)
    match = [p for p in problems if p.type == kind]
    assert match, problems
    found = match[0]
    assert found.loc == ("outputs", "reply", "asset", *where)
    assert found.file == str(path) and found.line is not None and found.line > 1
    assert found.expected  # says what would be valid


def test_asset_section_is_strict_not_read_as_neurocore(tmp_path: Path) -> None:
    """NeuroCore's lax reading (warn and convert) is not applied to this package's section."""
    problems = _problems(_write(tmp_path, {"checks": [{"present": {"blocking": "yes"}}]}))
    assert [p.type for p in problems] == ["value.bool_type"]


_text = st.text(max_size=30)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | _text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=8,
)
_check = st.dictionaries(
    st.sampled_from(["present", "not_empty", "json_schema", "condition", "name", "blocking", "x"]),
    _json | st.fixed_dictionaries({"expression": _text}),
    max_size=3,
)
_asset = st.fixed_dictionaries(
    {},
    optional={
        "key": _json,
        "group": _json,
        "owners": st.lists(_json, max_size=3) | _json,
        "tags": st.dictionaries(_text, _json, max_size=3) | _json,
        "kinds": st.lists(_json, max_size=3),
        "deps": st.lists(_json, max_size=3),
        "checks": st.lists(_check, max_size=3) | _json,
        "description": _json,
    },
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(asset=_asset)
def test_hostile_asset_sections_load_or_fail_located(tmp_path: Path, asset: Any) -> None:
    """Whatever is written under ``asset:``, it loads or is a BlueprintError whose every
    problem names the file, a line, and a key path (no other exception)."""
    path = _write(tmp_path, asset, "hostile.yaml")
    try:
        load_blueprint(path)
    except BlueprintError as exc:
        for problem in exc.issues:
            assert problem.file == str(path)
            assert problem.line is not None
            assert problem.loc[:3] == ("outputs", "reply", "asset") or problem.loc[:2] == (
                "outputs",
                "reply",
            )


@given(st.text(max_size=60))
def test_key_problem_agrees_with_dagster(key: str) -> None:
    """A key accepted here is one Dagster accepts and prints back unchanged."""
    import dagster as dg

    if key_problem(key) is None:
        asset_key = dg.AssetKey.from_user_string(key)
        assert asset_key.to_user_string() == key
        dg.AssetSpec(asset_key)


@settings(max_examples=200, deadline=None)
@given(
    value=_json,
    expression=st.sampled_from(
        ["len(value) > 3", "value == None", "value['a'] > 1", "value * 3 == value", "context.data"]
    ),
)
def test_checks_evaluate_any_value_without_raising(value: Any, expression: str) -> None:
    """Every check kind gives an outcome for any JSON value (a condition that cannot be
    evaluated is a failed check, never an exception and never a pass by default)."""
    from flowengine import FlowContext

    from neurocore_dagster.blueprint.asset_checks import AssetCheck
    from neurocore_dagster.runtime.asset_checks import evaluate_asset_check

    context = FlowContext()
    context.set("out", value)
    checks = [
        {"present": {}},
        {"not_empty": {}},
        {"json_schema": {"type": "object", "required": ["a"]}},
        {"condition": {"expression": expression}},
    ]
    for written in checks:
        outcome = evaluate_asset_check(AssetCheck.model_validate(written), "out", context)
        assert isinstance(outcome.passed, bool) and outcome.description
    bad = {"condition": {"expression": "value['missing'] > 1"}}
    outcome = evaluate_asset_check(AssetCheck.model_validate(bad), "out", context)
    if not (isinstance(value, dict) and "missing" in value):
        assert not outcome.passed
