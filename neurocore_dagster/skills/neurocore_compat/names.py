"""Every NeuroCore module path and name the hook answers, and where each one lives here.

The inventory is neurocore-ai 0.4.0's public surface as skills use it: the
names each of these modules exports (or imports at module level, which Python
lets a skill import from it too). A target is ``"module:attribute"``; it is
imported only when a skill asks for the name, so ``import neurocore`` stays
cheap and the skills layer imports nothing above it until then.
"""

from __future__ import annotations

EMULATED_VERSION = "0.4.0"
"""The neurocore-ai release whose module paths and names are answered."""

_BASE = "neurocore_dagster.skills.base"
_SHIMS = "neurocore_dagster.skills.neurocore_compat.shims"
_ERRORS = "neurocore_dagster.errors"
_PROVIDER = "neurocore_dagster.llm.provider"
_LLM = "neurocore_dagster.llm"
_EVENTS = "neurocore_dagster.service.events"

_SKILL_NAMES = {
    "Skill": f"{_BASE}:Skill",
    "AsyncSkill": f"{_BASE}:AsyncSkill",
    "SkillMeta": f"{_BASE}:SkillMeta",
}
_EVENT_NAMES = {"FlowEvent": f"{_EVENTS}:FlowEvent", "FlowEventType": f"{_EVENTS}:FlowEventType"}
_ERROR_NAMES = {
    "NeuroCoreError": f"{_ERRORS}:NeuroCoreDagsterError",
    "ConfigError": f"{_SHIMS}:ConfigError",
    "SkillError": f"{_ERRORS}:SkillError",
    "BlueprintError": f"{_SHIMS}:BlueprintError",
    "ExecutionError": f"{_ERRORS}:ExecutionError",
}
_DISCOVERY_NAMES = {
    "SkillRegistry": f"{_SHIMS}:SkillRegistry",
    "discover_directory": f"{_SHIMS}:discover_directory",
    "discover_entry_points": f"{_SHIMS}:discover_entry_points",
    "discover_skills": f"{_SHIMS}:discover_skills",
}
_LLM_NAMES = {
    "LLMMessage": f"{_PROVIDER}:LLMMessage",
    "LLMResponse": f"{_PROVIDER}:LLMResponse",
    "LLMProvider": f"{_PROVIDER}:LLMProvider",
    # NeuroCore's providers, each in the module of its SDK (imported when first asked for).
    "AnthropicProvider": f"{_LLM}.anthropic_sdk:AnthropicProvider",
    "GeminiProvider": f"{_LLM}.gemini_sdk:GeminiProvider",
    "OpenAIProvider": f"{_LLM}.openai_sdk:OpenAIProvider",
    "LiteLLMProvider": f"{_LLM}.litellm_sdk:LiteLLMProvider",
    "MockProvider": f"{_LLM}:MockProvider",
    "build_provider": f"{_LLM}:build_provider",
}
_APPROVAL = {"ApprovalSkill": "neurocore_dagster.skills.builtin:ApprovalSkill"}

MODULES: dict[str, dict[str, str]] = {
    "neurocore": {
        **_SKILL_NAMES,
        **_EVENT_NAMES,
        "is_async_skill": f"{_SHIMS}:is_async_skill",
    },
    "neurocore.errors": _ERROR_NAMES,
    "neurocore.skills": {
        "Skill": f"{_BASE}:Skill",
        "SkillMeta": f"{_BASE}:SkillMeta",
        "skillmeta_to_componentmeta": f"{_BASE}:skillmeta_to_componentmeta",
        **_DISCOVERY_NAMES,
    },
    "neurocore.skills.base": {
        **_SKILL_NAMES,
        "is_async_skill": f"{_SHIMS}:is_async_skill",
        "skillmeta_to_componentmeta": f"{_BASE}:skillmeta_to_componentmeta",
        "SkillError": f"{_ERRORS}:SkillError",
        "BaseComponent": "flowengine:BaseComponent",
        "FlowContext": "flowengine:FlowContext",
    },
    "neurocore.skills.registry": {
        "SkillRegistry": f"{_SHIMS}:SkillRegistry",
        "SkillError": f"{_ERRORS}:SkillError",
        "Skill": f"{_BASE}:Skill",
        "SkillMeta": f"{_BASE}:SkillMeta",
    },
    "neurocore.skills.loader": {
        **_DISCOVERY_NAMES,
        "ENTRY_POINT_GROUP": "neurocore_dagster.skills.discovery:ENTRY_POINT_GROUP",
        "SkillError": f"{_ERRORS}:SkillError",
        "Skill": f"{_BASE}:Skill",
        "SkillMeta": f"{_BASE}:SkillMeta",
    },
    "neurocore.skills.builtin": {
        **_APPROVAL,
        "BUILTIN_SKILLS": "neurocore_dagster.skills.builtin:BUILTIN_SKILLS",
    },
    "neurocore.skills.builtin.approval": {
        **_APPROVAL,
        "AsyncSkill": f"{_BASE}:AsyncSkill",
        "SkillMeta": f"{_BASE}:SkillMeta",
        "ExecutionError": f"{_ERRORS}:ExecutionError",
        "FlowContext": "flowengine:FlowContext",
    },
    "neurocore.llm": _LLM_NAMES,
    "neurocore.llm.provider": _LLM_NAMES,
    # NeuroCore's runner (execute_blueprint, load_and_run, ...) is not served: its
    # signatures differ from this package's; use neurocore_dagster's own.
    "neurocore.runtime": {},
    "neurocore.runtime.events": _EVENT_NAMES,
}
"""Module path -> {name: target}. A module with children in this table is a package."""

IMPORTED_WITH: dict[str, tuple[str, ...]] = {
    "neurocore": ("skills.base", "runtime.events"),
    "neurocore.skills": ("base", "registry", "loader"),
    "neurocore.skills.builtin": ("approval",),
    "neurocore.llm": ("provider",),
}
"""Submodules NeuroCore's package imports when it loads, so ``import neurocore`` then
``neurocore.skills.base.Skill`` works as it does there."""

ROOTS = ("neurocore", "neurocore_ai")
"""Top-level names the hook answers; ``neurocore_ai.x`` is served as ``neurocore.x``."""


def canonical(fullname: str) -> str | None:
    """The table's module path for ``fullname`` (either root), or None when it is not served."""
    root, dot, rest = fullname.partition(".")
    if root not in ROOTS:
        return None
    path = "neurocore" + dot + rest
    return path if path in MODULES else None


def is_package(path: str) -> bool:
    """True when the table has a module below ``path``."""
    return any(other.startswith(path + ".") for other in MODULES)
