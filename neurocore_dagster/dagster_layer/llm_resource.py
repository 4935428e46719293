"""The ``llm`` resource: the provider injected as ``skill.llm`` into skills that need one.

Only jobs with a ``requires_llm`` skill have it. Its config (editable in the
launchpad) defaults to ``neurocore.yaml``'s ``llm:`` section; the API key is
read from the environment when a run starts and is never part of run config.
"""

from __future__ import annotations

from typing import Any

import dagster as dg

from neurocore_dagster.blueprint.model import Blueprint
from neurocore_dagster.errors import BlueprintIssue, issue
from neurocore_dagster.llm.offline import OfflineProvider
from neurocore_dagster.llm.openai_compat import OpenAICompatibleProvider
from neurocore_dagster.llm.provider import MeteredProvider
from neurocore_dagster.skills.project import LLM_PROVIDERS, LLMSettings, Project
from neurocore_dagster.skills.registry import SkillRegistry

LLM_RESOURCE_KEY = "llm"
_OFFLINE = ("offline", "mock")
_DEFAULT_URLS = {"openai": "https://api.openai.com/v1", "ollama": "http://localhost:11434/v1"}


def llm_components(blueprint: Blueprint, registry: SkillRegistry) -> list[int]:
    return [i for i, c in enumerate(blueprint.components) if registry.meta(c.type).requires_llm]


def llm_issues(
    blueprint: Blueprint, registry: SkillRegistry, project: Project
) -> list[BlueprintIssue]:
    """A skill that needs an LLM in a project with no usable provider is an error."""
    settings = project.config.llm
    found = []
    for index in llm_components(blueprint, registry):
        component = blueprint.components[index]
        if not settings.provider:
            problem = "no LLM provider is configured"
        elif settings.provider not in LLM_PROVIDERS:
            problem = f"LLM provider {settings.provider!r} is not supported"
        elif settings.provider not in _OFFLINE and not (
            settings.base_url or settings.provider in _DEFAULT_URLS
        ):
            problem = f"LLM provider {settings.provider!r} needs llm.base_url"
        else:
            continue
        found.append(
            blueprint.source.locate(
                issue(
                    "llm.not_configured",
                    f"component {component.name!r} (skill {component.type!r}) needs an LLM, but "
                    f"{problem}",
                    ("components", index, "type"),
                    input=component.type,
                    expected="llm.provider in neurocore.yaml: offline, or openai-compatible with "
                    "base_url, model and api_key_env",
                )
            )
        )
    return found


def llm_resource(settings: LLMSettings) -> dg.ResourceDefinition:
    api_key: Any = settings.api_key
    if settings.api_key_env:
        api_key = {"env": settings.api_key_env}

    def build(init_context: dg.InitResourceContext) -> MeteredProvider:
        config = init_context.resource_config
        provider = config["provider"]
        if provider in _OFFLINE:
            return MeteredProvider(OfflineProvider(config["model"] or "offline-echo"))
        return MeteredProvider(
            OpenAICompatibleProvider(
                base_url=config["base_url"] or _DEFAULT_URLS.get(provider, ""),
                model=config["model"],
                api_key=config.get("api_key") or None,
                timeout_seconds=config["timeout_seconds"],
                max_retries=config["max_retries"],
            )
        )

    key_field = (
        dg.Field(
            dg.StringSource,
            default_value=api_key,
            is_required=False,
            description="API key; write {env: NAME} to read it from the "
            "environment when the run starts.",
        )
        if api_key
        else dg.Field(
            dg.Noneable(dg.StringSource),
            default_value=None,
            is_required=False,
            description="API key",
        )
    )
    return dg.ResourceDefinition(
        resource_fn=build,
        config_schema={
            "provider": dg.Field(
                dg.Enum("LLMProvider", [dg.EnumValue(p) for p in LLM_PROVIDERS]),
                default_value=settings.provider or "offline",
            ),
            "model": dg.Field(str, default_value=settings.model),
            "base_url": dg.Field(str, default_value=settings.base_url),
            "api_key": key_field,
            "timeout_seconds": dg.Field(float, default_value=float(settings.timeout_seconds)),
            "max_retries": dg.Field(int, default_value=settings.max_retries),
        },
        description="LLM provider for skills with requires_llm (injected as skill.llm).",
    )
