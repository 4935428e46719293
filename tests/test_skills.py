"""Skill discovery, the registry, and NeuroCore-shaped skill classes."""

from __future__ import annotations

import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flowengine import BaseComponent, FlowContext

from neurocore_dagster import SkillError, SkillRegistry, discover_skills

SKILL_FILE = """
from neurocore_dagster import Skill, SkillMeta

class {cls}(Skill):
    skill_meta = SkillMeta(name="{name}", version="{version}", provides=["x"])

    def process(self, context):
        context.set("x", "{version}")
        return context
"""


def _write_skill(folder: Path, file: str, cls: str, name: str, version: str = "1.0") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / file).write_text(SKILL_FILE.format(cls=cls, name=name, version=version))


def test_builtins_and_project_skills(tmp_path: Path) -> None:
    _write_skill(tmp_path / "skills", "mine.py", "Mine", "mine")
    (tmp_path / "skills" / "_helpers.py").write_text("raise RuntimeError('never imported')\n")
    registry = discover_skills(tmp_path)
    assert "approval" in registry
    assert "mine" in registry
    assert registry.meta("mine").version == "1.0"


def test_skills_folder_from_neurocore_yaml(tmp_path: Path) -> None:
    (tmp_path / "neurocore.yaml").write_text("paths:\n  skills: lib/skills\n")
    _write_skill(tmp_path / "lib" / "skills", "a.py", "A", "alpha")
    assert "alpha" in discover_skills(tmp_path)


def test_broken_skill_file_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "skills"
    folder.mkdir()
    (folder / "broken.py").write_text("import not_a_module_anywhere\n")
    with pytest.raises(SkillError, match=r"broken\.py.*not_a_module_anywhere"):
        discover_skills(tmp_path)


def test_same_skill_in_two_files_is_an_error(tmp_path: Path) -> None:
    _write_skill(tmp_path / "skills", "one.py", "One", "dup")
    _write_skill(tmp_path / "skills", "two.py", "Two", "dup")
    with pytest.raises(SkillError, match=r"defined twice.*one\.py.*two\.py"):
        discover_skills(tmp_path)


def test_entry_points_win_over_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    package = site / "nc_test_plugin"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(
        SKILL_FILE.format(cls="Plugin", name="shared", version="2.0")
    )
    dist = site / "nc_test_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: nc-test-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[neurocore.skills]\nshared = nc_test_plugin:Plugin\n")
    monkeypatch.syspath_prepend(str(site))
    _write_skill(tmp_path / "project" / "skills", "local.py", "Local", "shared", "1.0")
    registry = discover_skills(tmp_path / "project")
    assert registry.meta("shared").version == "2.0"
    assert "entry point" in registry.origin("shared")
    sys.modules.pop("nc_test_plugin", None)


def test_entry_point_that_fails_to_load_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dist = tmp_path / "bad_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: bad-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[neurocore.skills]\nbad = no_such_pkg:Skill\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(SkillError, match="entry point bad = no_such_pkg:Skill"):
        discover_skills(tmp_path / "empty")


@dataclass(frozen=True)
class ForeignMeta:
    """NeuroCore's own SkillMeta has these fields; any such object is accepted."""

    name: str
    version: str
    description: str = ""
    provides: list[str] = field(default_factory=list)
    consumes: list[str] = field(default_factory=list)
    config_schema: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    requires_llm: bool = False


class NeuroCoreStyle(BaseComponent):
    skill_meta = ForeignMeta(name="foreign", version="0.4.0", provides=["y"])

    def process(self, context: FlowContext) -> FlowContext:
        context.set("y", 1)
        return context


def test_neurocore_skill_classes_are_accepted() -> None:
    registry = SkillRegistry()
    registry.register(NeuroCoreStyle)
    assert registry.meta("foreign").version == "0.4.0"
    assert registry.meta("foreign").max_retries == 0


def test_registry_refuses_unknown_and_duplicates() -> None:
    registry = SkillRegistry(builtins=False)
    registry.register(NeuroCoreStyle)
    with pytest.raises(SkillError, match="unknown skill 'nope'; known skills: foreign"):
        registry.get("nope")

    class Other(NeuroCoreStyle):
        skill_meta = ForeignMeta(name="foreign", version="9")

    with pytest.raises(SkillError, match="defined twice"):
        registry.register(Other)
    registry.register(Other, replace=True)
    assert registry.meta("foreign").version == "9"
    assert registry.names() == ["foreign"]


def test_class_without_meta_is_refused() -> None:
    class NoMeta(BaseComponent):
        def process(self, context: FlowContext) -> FlowContext:
            return context

    with pytest.raises(SkillError, match="has no 'skill_meta'"):
        SkillRegistry().register(NoMeta)


def test_meta_missing_fields_is_refused() -> None:
    class Half(BaseComponent):
        skill_meta = type("M", (), {"name": "half", "version": "1"})()

        def process(self, context: FlowContext) -> FlowContext:
            return context

    with pytest.raises(SkillError, match="lacks provides, consumes, config_schema"):
        SkillRegistry().register(Half)


def test_neurocore_yaml_errors_are_located(tmp_path: Path) -> None:
    from neurocore_dagster import BlueprintError

    (tmp_path / "neurocore.yaml").write_text(
        textwrap.dedent("""\
        project:
          name: demo
        paths:
          skills: [skills]
        """)
    )
    with pytest.raises(BlueprintError) as caught:
        discover_skills(tmp_path)
    assert "neurocore.yaml:4" in str(caught.value)
    assert "paths.skills" in str(caught.value)
