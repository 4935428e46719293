"""The ``llm`` resource: the providers injected as ``skill.llm`` into skills that need one.

Only jobs with a ``requires_llm`` skill have it. Its config (editable in the
launchpad) defaults to what :func:`~neurocore_dagster.llm.choice.plan_llms`
decided: the project's ``llm:`` section at the top, and under ``components``
the settings of each component that has its own (keyed by its resource key).
Keys are never part of run config: ``{env: NAME}`` is read by Dagster when a
run starts (a missing variable stops the launch), and ``api_key_env`` of a
provider that needs no key (a local server) is read at run start and may be
unset.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import dagster as dg

from neurocore_dagster.blueprint.model import Blueprint
from neurocore_dagster.dagster_layer.jobs.env_values import EnvString
from neurocore_dagster.keys import LLM_RESOURCE_KEY
from neurocore_dagster.llm.catalog import PROVIDERS
from neurocore_dagster.llm.choice import LLMChoice, LLMPlan
from neurocore_dagster.llm.factory import ProviderConfig, ProviderPool
from neurocore_dagster.project.config import LLMSettings
from neurocore_dagster.skills.registry import SkillRegistry

COMPONENTS_FIELD = "components"
_PROVIDER_TYPE = dg.Enum("LLMProvider", [dg.EnumValue(name) for name in PROVIDERS])


def llm_components(blueprint: Blueprint, registry: SkillRegistry) -> list[int]:
    return [i for i, c in enumerate(blueprint.components) if registry.meta(c.type).requires_llm]


def llm_resource(
    plan: LLMPlan, settings: LLMSettings, resource_keys: Mapping[str, str]
) -> dg.ResourceDefinition:
    """The resource giving each LLM component of a job its provider (see the module doc)."""
    keys = {name: resource_keys[name] for name in plan.components}

    def build(init_context: dg.InitResourceContext) -> ProviderPool:
        config = init_context.resource_config
        default = _provider_config(config, config) if plan.default else None
        own = config.get(COMPONENTS_FIELD, {})
        return ProviderPool(default, {key: _provider_config(own[key], config) for key in own})

    fields: dict[str, dg.Field] = {
        "max_tokens": dg.Field(int, default_value=settings.max_tokens),
        "temperature": dg.Field(float, default_value=float(settings.temperature)),
        "timeout_seconds": dg.Field(float, default_value=float(settings.timeout_seconds)),
        "max_retries": dg.Field(int, default_value=settings.max_retries),
    }
    if plan.default is not None:
        users = _users(list(plan.default_users))
        fields.update(_choice_fields(plan.default, LLM_RESOURCE_KEY, users))
    if plan.components:
        fields[COMPONENTS_FIELD] = dg.Field(
            dg.Shape(
                {
                    keys[name]: dg.Field(
                        dg.Shape(
                            _choice_fields(
                                choice,
                                f"{LLM_RESOURCE_KEY}__{COMPONENTS_FIELD}__{keys[name]}",
                                _users([name]),
                            )
                        )
                    )
                    for name, choice in plan.components.items()
                }
            ),
            description="Components with LLM settings of their own (llm_* config keys).",
        )
    return dg.ResourceDefinition(
        resource_fn=build,
        config_schema=fields,
        description="LLM providers for skills with requires_llm (injected as skill.llm).",
    )


def _users(components: list[str]) -> str:
    """Who needs an LLM's API key, as a missing variable's error names it."""
    names = ", ".join(repr(name) for name in components)
    return f"the LLM api_key of component{'s' if len(components) > 1 else ''} {names}"


def _choice_fields(choice: LLMChoice, field_name: str, users: str) -> dict[str, dg.Field]:
    key_env = choice.api_key_env
    if choice.api_key:
        key = _key_field(choice.api_key, field_name, users)
    elif key_env and choice.key_required:
        key, key_env = _key_field({"env": key_env}, field_name, users), ""
    else:
        key = dg.Field(dg.Noneable(dg.StringSource), default_value=None, is_required=False)
    return {
        "provider": dg.Field(_PROVIDER_TYPE, default_value=choice.provider),
        "model": dg.Field(str, default_value=choice.model),
        "base_url": dg.Field(str, default_value=choice.base_url),
        "api_key": key,
        "api_key_env": dg.Field(
            str,
            default_value=key_env,
            description="A variable read when the run starts; unset means no key.",
        ),
    }


def _key_field(value: str | dict[str, str], field_name: str, users: str) -> dg.Field:
    return dg.Field(
        EnvString(f"{field_name}__api_key", users),
        default_value=value,
        is_required=False,
        description="API key; write {env: NAME} to read it from the environment when the "
        "run starts.",
    )


def _provider_config(section: Mapping[str, Any], top: Mapping[str, Any]) -> ProviderConfig:
    key = section.get("api_key")
    if not key and section["api_key_env"]:
        key = os.environ.get(section["api_key_env"])
    return ProviderConfig(
        provider=section["provider"],
        model=section["model"],
        base_url=section["base_url"],
        api_key=key or None,
        max_tokens=top["max_tokens"],
        temperature=top["temperature"],
        timeout_seconds=top["timeout_seconds"],
        max_retries=top["max_retries"],
    )
