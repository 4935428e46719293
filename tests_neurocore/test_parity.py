"""The stand-in's inventory and shapes against the real neurocore-ai they imitate."""

from __future__ import annotations

import dataclasses
import importlib
import inspect

import pytest
from neurocore.llm import provider as nc_provider
from neurocore.runtime import events as nc_events
from neurocore.skills import base as nc_base

from neurocore_dagster.llm import provider as our_provider
from neurocore_dagster.service.events import FlowEvent, FlowEventType
from neurocore_dagster.skills import base as our_base
from neurocore_dagster.skills.neurocore_compat.names import MODULES

NOT_SERVED = {
    "neurocore.runtime": {
        "Blueprint",
        "BlueprintComponent",
        "execute_blueprint",
        "execute_blueprint_tracked",
        "load_and_run",
        "load_blueprint",
        "merge_skill_config",
        "resume_blueprint",
        "validate_blueprint",
    }
}
"""NeuroCore's runner: this package's own execute/load functions replace it."""


def _public(module: object) -> set[str]:
    """Names a skill can import from ``module`` that come from NeuroCore or flowengine."""
    names = set(getattr(module, "__all__", ())) - {"__version__"}
    for name, value in vars(module).items():
        owner = getattr(value, "__module__", "") or ""
        imported = owner.startswith(("neurocore", "flowengine"))
        if imported and not name.startswith("_") and not inspect.ismodule(value):
            names.add(name)
    return names


@pytest.mark.parametrize("path", sorted(MODULES))
def test_every_neurocore_name_is_served(path: str) -> None:
    real = importlib.import_module(path)
    missing = _public(real) - set(MODULES[path])
    assert missing == NOT_SERVED.get(path, set())


EXTENSIONS: dict[type, set[str]] = {our_base.SkillMeta: {"ports"}}
"""Fields ours adds to NeuroCore's: ``SkillMeta.ports`` (the ports a skill may set, checked
against a blueprint's edges at load, as flowengine's ``ComponentMeta.ports``)."""


@pytest.mark.parametrize(
    ("theirs", "ours"),
    [
        (nc_base.SkillMeta, our_base.SkillMeta),
        (nc_provider.LLMMessage, our_provider.LLMMessage),
        (nc_provider.LLMResponse, our_provider.LLMResponse),
    ],
)
def test_dataclass_fields_match(theirs: type, ours: type) -> None:
    """NeuroCore's fields, in NeuroCore's order with its defaults, then only our documented
    extensions, each optional (a NeuroCore skill never passes them)."""

    def shape(cls: type) -> list[tuple[str, object]]:
        return [(f.name, f.default) for f in dataclasses.fields(cls)]

    extra = EXTENSIONS.get(ours, set())
    assert shape(ours)[: len(shape(theirs))] == shape(theirs)
    added = dataclasses.fields(ours)[len(shape(theirs)) :]
    assert {f.name for f in added} == extra
    assert all(
        f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
        for f in added
    )


def test_event_types_and_to_dict_match() -> None:
    for kind in nc_events.FlowEventType:
        assert FlowEventType(kind.value).neurocore_value == kind.value
    theirs = nc_events.FlowEvent(
        nc_events.FlowEventType.STEP_COMPLETED, "a", {"k": 1}, 1.5, 2.0, None
    )
    ours = FlowEvent(FlowEventType.STEP_COMPLETED, "a", {"k": 1}, 1.5, 2.0, None)
    assert ours.to_dict() == theirs.to_dict()
