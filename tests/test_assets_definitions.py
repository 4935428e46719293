"""A project's declared assets in its Definitions: specs, lineage, checks, key clashes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml
from skills_lib import registry

from neurocore_dagster import BlueprintError, build_definitions
from neurocore_dagster.keys import ASSET_JOB_KEY, ASSET_WRITERS_KEY


def _blueprint(name: str, outputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "outputs": outputs,
        "components": [{"name": "t", "type": "trace"}],
        "flow": {"steps": [{"component": "t"}]},
    }


def _project(tmp_path: Path, files: dict[str, dict[str, Any]]) -> Path:
    folder = tmp_path / "blueprints"
    folder.mkdir()
    for name, doc in files.items():
        (folder / name).write_text(yaml.safe_dump(doc, sort_keys=False))
    return tmp_path


def test_specs_carry_the_declaration_and_lineage(tmp_path: Path) -> None:
    asset = {
        "group": "support",
        "owners": ["team:support"],
        "tags": {"tier": "gold"},
        "kinds": ["llm"],
        "deps": ["raw/tickets"],
        "checks": [{"not_empty": {"blocking": True}}],
    }
    root = _project(
        tmp_path,
        {"a.yaml": _blueprint("ticket-flow", {"last": {"type": "string", "asset": asset}})},
    )
    defs = build_definitions(root, registry=registry())
    graph = defs.resolve_asset_graph()
    key = dg.AssetKey(["ticket_flow", "last"])  # default: <job name>/<output key>
    node = graph.get(key)
    assert node.parent_keys == {dg.AssetKey(["raw", "tickets"])}
    assert node.group_name == "support"
    assert node.owners == ["team:support"]
    assert node.tags["tier"] == "gold" and "dagster/kind/llm" in node.tags
    assert node.metadata[ASSET_JOB_KEY] == "ticket_flow"
    assert node.metadata[ASSET_WRITERS_KEY] == "t (trace)"  # trace provides `last`
    check_key = dg.AssetCheckKey(key, "not_empty")
    assert graph.asset_check_keys == {check_key}
    assert graph.get_check_spec(check_key).blocking


def test_plain_blueprints_add_no_assets(tmp_path: Path) -> None:
    root = _project(tmp_path, {"a.yaml": _blueprint("plain", {"last": {"type": "string"}})})
    defs = build_definitions(root, registry=registry())
    assert list(defs.resolve_asset_graph().get_all_asset_keys()) == []


def test_one_asset_key_in_two_blueprints_breaks_the_later_naming_both(tmp_path: Path) -> None:
    out = {"last": {"type": "string", "asset": {"key": "shared/reply"}}}
    root = _project(
        tmp_path, {"a.yaml": _blueprint("first", out), "b.yaml": _blueprint("second", out)}
    )
    with pytest.raises(BlueprintError) as caught:
        build_definitions(root, registry=registry(), strict=True)
    (problem,) = caught.value.issues
    assert problem.type == "asset.key_clash"
    assert "blueprints/a.yaml" in problem.msg and "blueprints/b.yaml" in problem.msg
    assert problem.file == "blueprints/b.yaml" and problem.line is not None
    defs = build_definitions(root, registry=registry())  # not strict: b is a placeholder job
    assert defs.get_job_def("first") is not None
    assert defs.get_job_def("broken__b") is not None


def test_a_default_key_meeting_an_explicit_one_is_located(tmp_path: Path) -> None:
    outputs = {
        "last": {"type": "string", "asset": {}},  # default: mine/last
        "trace": {"type": "array", "asset": {"key": "mine/last"}},
    }
    root = _project(tmp_path, {"a.yaml": _blueprint("mine", outputs)})
    with pytest.raises(BlueprintError) as caught:
        build_definitions(root, registry=registry(), strict=True)
    (problem,) = caught.value.issues
    assert problem.type == "asset.duplicate_key" and "'last' and 'trace'" in problem.msg
    assert problem.loc == ("outputs", "trace", "asset") and problem.line is not None
