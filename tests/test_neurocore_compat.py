"""NeuroCore skills unchanged on Python 3.11+: the ``neurocore`` import hook, both
entry-point groups, and NeuroCore's event spelling.

The skill files under ``fixtures/neurocore_project/skills`` import the way
NeuroCore's project templates and published skill packages do. The suite that
runs the same against the real neurocore-ai (Python 3.13) is ``tests_neurocore/``.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import neurocore_dagster
from neurocore_dagster import discover_skills, execute_blueprint, load_blueprint
from neurocore_dagster.service.events import FlowEvent, FlowEventType, iter_blueprint_events
from neurocore_dagster.skills import neurocore_compat
from neurocore_dagster.skills.neurocore_compat.names import MODULES

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ROOT / "tests" / "fixtures" / "neurocore_project"


def test_template_skills_discover_and_run(instance: Any) -> None:
    registry = discover_skills(PROJECT)
    assert {"chat", "shout", "count", "weave"} <= set(registry.names())
    assert issubclass(registry.get("chat"), neurocore_dagster.AsyncSkill)
    assert issubclass(registry.get("shout"), neurocore_dagster.Skill)
    assert registry.meta("shout").tags == ["text"]
    assert registry.meta("chat").requires_llm
    assert neurocore_compat.is_active()
    run = execute_blueprint(
        load_blueprint(PROJECT / "blueprints" / "chat.yaml"),
        registry,
        initial_data={"query": "how are you today"},
        instance=instance,
        project_root=PROJECT,
    )
    assert run.status == "completed", run.error
    assert run.context.data.to_dict() == {
        "query": "how are you today",
        "answer": "[offline-echo] how are you today",
        "answer_model": "offline-echo",
        "llm_is_provider": True,
        "shouted": "[OFFLINE-ECHO] HOW ARE YOU TODAY",
        "words": 5,
        "is_async": True,
        "woven": "5 words",
    }


def test_neurocore_errors_are_this_packages(instance: Any) -> None:
    registry = discover_skills(PROJECT)
    blueprint = neurocore_dagster.Blueprint.model_validate(
        {
            "name": "shout-only",
            "components": [{"name": "s", "type": "shout"}],
            "flow": {"steps": [{"component": "s"}]},
        }
    )
    run = execute_blueprint(blueprint, registry, instance=instance, initial_data={"answer": 3})
    assert run.status == "failed"
    assert "SkillError" in (run.error or "") and "shout needs a string answer" in (run.error or "")


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_served_name_resolves_in_both_roots(module: str) -> None:
    neurocore_compat.install()
    ours = importlib.import_module(module)
    twin = importlib.import_module("neurocore_ai" + module.removeprefix("neurocore"))
    assert getattr(ours, "__neurocore_dagster_compat__", False)
    for name in MODULES[module]:
        assert getattr(ours, name) is getattr(twin, name), name


def test_names_are_this_packages_objects() -> None:
    neurocore_compat.install()
    import neurocore
    import neurocore.errors
    import neurocore.llm.provider
    import neurocore.skills.base

    assert neurocore.Skill is neurocore_dagster.Skill
    assert neurocore.skills.base.AsyncSkill is neurocore_dagster.AsyncSkill
    assert neurocore.SkillMeta is neurocore_dagster.SkillMeta
    assert neurocore.FlowEventType is FlowEventType
    assert neurocore.llm.provider.LLMMessage is neurocore_dagster.llm.LLMMessage
    assert issubclass(neurocore.errors.BlueprintError, neurocore_dagster.BlueprintError)
    assert neurocore.errors.NeuroCoreError is neurocore_dagster.NeuroCoreDagsterError
    message = neurocore.llm.provider.LLMMessage("user", "hi")
    assert (message.role, message.content) == ("user", "hi")
    response = neurocore.llm.provider.LLMResponse("text", "m")
    assert (response.input_tokens, response.output_tokens) == (0, 0)


def test_missing_neurocore_names_say_so() -> None:
    neurocore_compat.install()
    with pytest.raises(ModuleNotFoundError, match=r"neurocore\.config.*neurocore-ai"):
        importlib.import_module("neurocore.config")
    with pytest.raises(ImportError, match="cannot import name 'execute_blueprint'"):
        exec("from neurocore.runtime import execute_blueprint", {})


def _fake_neurocore(site: Path) -> None:
    """A minimal package named ``neurocore``: the hook must leave it alone."""
    (site / "neurocore" / "skills").mkdir(parents=True)
    (site / "neurocore" / "__init__.py").write_text("FAKE = True\n")
    (site / "neurocore" / "skills" / "__init__.py").write_text("")
    (site / "neurocore" / "skills" / "base.py").write_text(
        textwrap.dedent(
            """
            from dataclasses import dataclass, field
            from flowengine import BaseComponent

            @dataclass(frozen=True)
            class SkillMeta:
                name: str
                version: str
                provides: list = field(default_factory=list)
                consumes: list = field(default_factory=list)
                config_schema: dict = field(default_factory=dict)

            class Skill(BaseComponent):
                def __init__(self, name=None):
                    super().__init__(name or self.skill_meta.name)
            """
        )
    )


def test_hook_stays_out_when_a_real_neurocore_exists(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _fake_neurocore(site)
    skills = tmp_path / "project" / "skills"
    skills.mkdir(parents=True)
    (skills / "mine.py").write_text(
        "from neurocore.skills.base import Skill, SkillMeta\n"
        "class Mine(Skill):\n"
        "    skill_meta = SkillMeta(name='mine', version='9')\n"
        "    def process(self, context):\n"
        "        return context\n"
    )
    # The hook is installed first and the package put on sys.path afterwards:
    # an installed neurocore wins whenever it becomes importable.
    script = textwrap.dedent(
        f"""
        import json, sys
        from neurocore_dagster.skills import neurocore_compat
        neurocore_compat.install()
        sys.path.insert(0, {str(site)!r})
        from neurocore_dagster import discover_skills
        registry = discover_skills({str(tmp_path / "project")!r})
        import neurocore
        import neurocore.skills.base
        import neurocore_ai.skills.base
        ai = neurocore_ai.skills.base.Skill is neurocore.skills.base.Skill
        cls = registry.get("mine")
        print(json.dumps({{
            "file": neurocore.__file__,
            "fake": getattr(neurocore, "FAKE", False),
            "active": neurocore_compat.is_active(),
            "base": cls.__mro__[1].__module__,
            "version": registry.meta("mine").version,
            "neurocore_ai": ai,
        }}))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {
        "file": str(site / "neurocore" / "__init__.py"),
        "fake": True,
        "active": False,
        "base": "neurocore.skills.base",
        "version": "9",
        "neurocore_ai": True,  # a view of the real package, not the stand-in
    }


PLUGIN = """
from neurocore import SkillMeta
from neurocore.skills.base import AsyncSkill

class {cls}(AsyncSkill):
    skill_meta = SkillMeta(name="{name}", version="{version}", provides=["{name}"])

    async def process(self, context):
        context.set("{name}", "{version}")
        return context
"""


def _install_dist(site: Path, dist: str, groups: dict[str, dict[str, str]]) -> None:
    """A real installed distribution (dist-info with entry points) in ``site``."""
    info = site / f"{dist}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    lines = []
    for group, entries in groups.items():
        lines.append(f"[{group}]")
        lines.extend(f"{name} = {target}" for name, target in entries.items())
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")


def test_both_entry_point_groups_are_discovered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, instance: Any
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "nc_compat_plugins.py").write_text(
        PLUGIN.format(cls="Alpha", name="alpha", version="1")
        + PLUGIN.format(cls="Beta", name="beta", version="2")
        + PLUGIN.format(cls="BetaNew", name="beta", version="3")
    )
    _install_dist(
        site,
        "nc_alpha",
        {
            "neurocore.skills": {
                "alpha": "nc_compat_plugins:Alpha",
                "beta": "nc_compat_plugins:Beta",
            }
        },
    )
    _install_dist(site, "nc_beta", {"neurocore_ai.skills": {"beta": "nc_compat_plugins:BetaNew"}})
    monkeypatch.syspath_prepend(str(site))
    try:
        registry = discover_skills(tmp_path / "empty")
        assert registry.meta("alpha").version == "1"
        assert "(group neurocore.skills)" in registry.origin("alpha")
        # neurocore_ai.skills is searched after neurocore.skills: its skill replaces one
        assert registry.meta("beta").version == "3"
        assert "(group neurocore_ai.skills)" in registry.origin("beta")
        blueprint = neurocore_dagster.Blueprint.model_validate(
            {
                "name": "plugins",
                "components": [{"name": "a", "type": "alpha"}, {"name": "b", "type": "beta"}],
                "flow": {"steps": [{"component": "a"}, {"component": "b"}]},
            }
        )
        run = execute_blueprint(blueprint, registry, instance=instance)
        assert run.context.data.to_dict() == {"alpha": "1", "beta": "3"}
    finally:
        sys.modules.pop("nc_compat_plugins", None)


def test_broken_entry_point_names_its_group(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _install_dist(tmp_path, "nc_broken", {"neurocore_ai.skills": {"gone": "no_such_mod:X"}})
    monkeypatch.syspath_prepend(str(tmp_path))
    where = r"gone = no_such_mod:X \(group neurocore_ai\.skills\)"
    with pytest.raises(neurocore_dagster.SkillError, match=where):
        discover_skills(tmp_path / "empty")


@given(st.sampled_from(list(FlowEventType)))
def test_event_types_accept_neurocore_spelling(kind: FlowEventType) -> None:
    assert kind.neurocore_value == kind.value.lower()
    assert FlowEventType(kind.neurocore_value) is kind
    assert FlowEventType(kind.value) is kind


@given(st.text(min_size=1).filter(lambda t: t.upper() not in FlowEventType.__members__))
def test_other_event_type_strings_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        FlowEventType(text)


def test_flow_event_positional_fields_and_to_dict() -> None:
    event = FlowEvent(FlowEventType.STEP_COMPLETED, "a", {"k": 1}, 12.5, 3.0, None, "run-1")
    assert event.to_dict() == {
        "event_type": "step_completed",
        "step_name": "a",
        "data": {"k": 1},
        "timestamp": 12.5,
        "duration_ms": 3.0,
        "error": None,
    }
    assert event.as_dict()["event_type"] == "STEP_COMPLETED"
    assert event.as_dict()["run_id"] == "run-1"
    assert FlowEvent(FlowEventType.FLOW_STARTED, "").timestamp > 0


def test_streamed_events_in_neurocore_form(instance: Any) -> None:
    registry = discover_skills(PROJECT)
    blueprint = load_blueprint(PROJECT / "blueprints" / "chat.yaml")
    events = list(
        iter_blueprint_events(
            blueprint,
            registry,
            initial_data={"query": "hi"},
            instance=instance,
            project_root=PROJECT,
        )
    )
    dicts = [e.to_dict() for e in events]
    assert [d["event_type"] for d in dicts] == [
        "flow_started",
        *["step_started", "step_completed"] * 4,
        "flow_completed",
    ]
    assert dicts[0]["data"]["blueprint"] == "template-chat"
    assert all(
        set(d) == {"event_type", "step_name", "data", "timestamp", "duration_ms", "error"}
        for d in dicts
    )
    assert json.loads(json.dumps(dicts, default=str))[1]["step_name"] == "chat"


def test_step_processes_import_neurocore_skills(instance: Any) -> None:
    """Runs launched from the UI run each step in a fresh process: the hook is there too."""
    run = execute_blueprint(
        load_blueprint(PROJECT / "blueprints" / "chat.yaml"),
        initial_data={"query": "hi there"},
        instance=instance,
        project_root=PROJECT,
        run_config={"execution": {"config": {"multiprocess": {}}}},
    )
    assert run.status == "completed", run.error
    assert run.context.data.to_dict()["woven"] == "3 words"
    assert run.context.data.to_dict()["shouted"] == "[OFFLINE-ECHO] HI THERE"


def test_unserved_neurocore_import_names_file_line_and_choices(tmp_path: Path) -> None:
    skills = tmp_path / "skills"
    skills.mkdir()
    (skills / "cfg.py").write_text(
        '"""A skill that reads NeuroCore\'s config module."""\n'
        "from neurocore import Skill\n"
        "from neurocore.config import load_config\n"
    )
    with pytest.raises(neurocore_dagster.SkillError) as caught:
        discover_skills(tmp_path)
    text = str(caught.value)
    assert f"{skills / 'cfg.py'}:3 failed to import" in text
    assert "'neurocore.config'" in text and "neurocore.skills.base" in text
    assert "neurocore-ai" in text


def test_a_bare_neurocore_folder_does_not_hide_the_stand_in(tmp_path: Path) -> None:
    (tmp_path / "neurocore" / "data").mkdir(parents=True)  # a folder, not a package
    script = (
        "import sys\n"
        "from neurocore_dagster.skills import neurocore_compat\n"
        "neurocore_compat.install()\n"
        f"sys.path.insert(0, {str(tmp_path)!r})\n"
        "from neurocore import AsyncSkill\n"
        "import neurocore_dagster\n"
        "print(AsyncSkill is neurocore_dagster.AsyncSkill, neurocore_compat.is_active())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True"]


def test_neurocore_registry_and_discovery_names(tmp_path: Path) -> None:
    neurocore_compat.install()
    from types import SimpleNamespace

    from neurocore.errors import BlueprintError, ConfigError, NeuroCoreError
    from neurocore.skills import SkillRegistry, discover_directory, discover_skills
    from neurocore.skills.base import is_async_skill

    by_root = discover_skills(PROJECT)
    by_config = discover_skills(SimpleNamespace(skills_dir=PROJECT / "skills"))
    assert isinstance(by_root, SkillRegistry) and isinstance(
        by_root, neurocore_dagster.SkillRegistry
    )
    assert by_root.list_skills() == by_config.list_skills()
    assert "approval" in by_root.list_skills() and "chat" in by_root.list_skills()
    assert [m.name for m in by_root.list_skill_metas()] == by_root.list_skills()
    folder = discover_directory(PROJECT / "skills")
    assert {"chat", "count", "shout", "weave"} <= set(folder.list_skills())
    chat = folder.create("chat", instance_name="assistant")
    assert chat.name == "assistant" and is_async_skill(chat)
    assert not is_async_skill(folder.create("shout"))
    assert folder.get_or_raise("count") is folder.get("count")
    with pytest.raises(neurocore_dagster.SkillError, match=r"unknown skill 'nope'.*chat"):
        folder.get_or_raise("nope")
    error = BlueprintError("step 2 names no component")
    assert isinstance(error, neurocore_dagster.BlueprintError)
    assert error.issues[0].msg == "step 2 names no component"
    assert issubclass(ConfigError, NeuroCoreError)
