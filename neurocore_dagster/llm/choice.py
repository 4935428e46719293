"""Which LLM each component gets, decided when the job is built (NeuroCore's rules).

A skill with ``requires_llm`` gets the project's ``llm:`` section. Its
component's config may carry NeuroCore's per-component keys ``llm_provider``,
``llm_model``, ``llm_api_key`` and ``llm_base_url`` (from ``skills.<skill>`` in
``neurocore.yaml``, the blueprint, or overrides); they replace the project's
values key by key and give the component a provider of its own. As in
NeuroCore, an ``llm_provider`` written in ``neurocore.yaml``'s ``skills.<skill>``
starts from nothing instead: the project's model, key and endpoint are not
inherited. These keys are LLM settings, not skill config: they are not checked
against (or given to) the skill unless its ``config_schema`` lists them.

Every problem is a located issue: an unknown provider, a provider with no model
or endpoint, and a provider whose SDK is not installed (naming the extra).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from neurocore_dagster.blueprint.model import Blueprint
from neurocore_dagster.errors import BlueprintIssue, Loc, issue
from neurocore_dagster.llm.catalog import (
    PROVIDERS,
    ProviderSpec,
    install_hint,
    key_required,
    sdk_installed,
)
from neurocore_dagster.project.component_config import MergedConfig, is_env_ref
from neurocore_dagster.project.config import Project
from neurocore_dagster.skills.registry import SkillRegistry

LLM_CONFIG_KEYS = ("llm_provider", "llm_model", "llm_api_key", "llm_base_url")
"""NeuroCore's per-component LLM settings (``llm_<field>`` of the ``llm:`` section)."""

_FIELDS = ("provider", "model", "api_key", "base_url")
_KNOWN = ", ".join(PROVIDERS)


@dataclass(frozen=True)
class LLMChoice:
    """The LLM settings of one component (or of the project), defaults applied."""

    provider: str
    model: str
    base_url: str
    api_key: str | dict[str, str] | None = field(default=None, repr=False)
    """A key written in a file (``{env: NAME}`` or, unwisely, the key itself)."""
    api_key_env: str = ""
    """The variable ``llm.api_key_env`` names, read when a run starts."""
    key_required: bool = False


@dataclass(frozen=True)
class LLMPlan:
    default: LLMChoice | None
    """The project's ``llm:`` section, when a component uses it."""
    components: dict[str, LLMChoice]
    """Component name -> its own settings (components with ``llm_*`` keys)."""
    default_users: tuple[str, ...] = ()
    """The components that use ``default`` (errors about its key name them)."""


@dataclass(frozen=True)
class _Written:
    value: Any
    loc: Loc
    locate: Callable[[BlueprintIssue], BlueprintIssue]


def skill_values(merged: MergedConfig, schema: Mapping[str, Any]) -> MergedConfig:
    """``merged`` without the LLM keys, unless the skill's schema lists them as its own."""
    listed = set(schema.get("properties", {}) or {})
    drop = [k for k in LLM_CONFIG_KEYS if k in merged.values and k not in listed]
    if not drop:
        return merged
    return MergedConfig(
        {k: v for k, v in merged.values.items() if k not in drop},
        {k: v for k, v in merged.origin.items() if k not in drop},
    )


def plan_llms(
    blueprint: Blueprint,
    registry: SkillRegistry,
    project: Project,
    merged: Mapping[str, MergedConfig],
) -> tuple[LLMPlan, list[BlueprintIssue]]:
    """The LLM of every component whose skill needs one, and every problem found."""
    problems: list[BlueprintIssue] = []
    default: LLMChoice | None = None
    own: dict[str, LLMChoice] = {}
    users: list[str] = []
    for index, component in enumerate(blueprint.components):
        if not registry.meta(component.type).requires_llm:
            continue
        written = _component_keys(merged[component.name])
        inherit = bool(project.config.llm.provider) and (
            "llm_provider" not in project.skill_config(component.type)
        )
        names_own = "provider" in written and bool(written["provider"].value)
        if not names_own and not (inherit and "provider" not in written):
            problems.append(_no_provider(blueprint, index))
            continue
        fields = {**(_project_keys(project) if inherit else {}), **written}
        key_env = project.config.llm.api_key_env if inherit and "api_key" not in written else ""
        choice, found = _resolve(fields, key_env)
        problems.extend(found)
        if choice is None:
            continue
        if written:
            own[component.name] = choice
        else:
            default = choice
            users.append(component.name)
    return LLMPlan(default, own, tuple(users)), list(dict.fromkeys(problems))


def _project_keys(project: Project) -> dict[str, _Written]:
    llm = project.config.llm
    return {
        name: _Written(getattr(llm, name), ("llm", name), project.locate)
        for name in _FIELDS
        if getattr(llm, name)
    }


def _component_keys(merged: MergedConfig) -> dict[str, _Written]:
    found = {}
    for name in _FIELDS:
        key = f"llm_{name}"
        if key in merged.values:
            layer = merged.origin[key]
            found[name] = _Written(merged.values[key], (*layer.loc, key), layer.source.locate)
    return found


def _resolve(
    fields: Mapping[str, _Written], api_key_env: str
) -> tuple[LLMChoice | None, list[BlueprintIssue]]:
    provider = fields["provider"]
    spec = PROVIDERS.get(provider.value) if isinstance(provider.value, str) else None
    if spec is None:
        return None, [
            _problem(provider, "llm.unknown_provider", "unknown LLM provider", f"one of: {_KNOWN}")
        ]
    problems = _type_problems(fields)
    if problems:
        return None, problems
    model = fields["model"].value if "model" in fields else ""
    base_url = (fields["base_url"].value if "base_url" in fields else "") or spec.default_base_url
    problems = _requirement_problems(spec, provider, model, base_url)
    if problems:
        return None, problems
    key = fields.get("api_key")
    choice = LLMChoice(
        provider=spec.name,
        model=model or spec.default_model,
        base_url=base_url,
        api_key=(key.value or None) if key is not None else None,
        api_key_env=api_key_env,
        key_required=key_required(spec, base_url),
    )
    return choice, []


def _type_problems(fields: Mapping[str, _Written]) -> list[BlueprintIssue]:
    problems = [
        _problem(fields[n], "llm.bad_value", f"{n} must be a string", "a string")
        for n in ("model", "base_url")
        if n in fields and not isinstance(fields[n].value, str)
    ]
    key = fields.get("api_key")
    if key is not None and not (isinstance(key.value, str) or is_env_ref(key.value)):
        problems.append(_problem(key, "llm.bad_value", "bad API key", "{env: VARIABLE_NAME}"))
    return problems


def _requirement_problems(
    spec: ProviderSpec, provider: _Written, model: str, base_url: str
) -> list[BlueprintIssue]:
    """What the provider needs and lacks: a model, an endpoint, its SDK."""
    problems = []
    if not (model or spec.default_model):
        problems.append(
            _problem(
                provider,
                "llm.no_model",
                f"LLM provider {spec.name!r} has no default model",
                "llm.model in neurocore.yaml, or llm_model in the component's config",
            )
        )
    if spec.needs_base_url and not base_url:
        problems.append(
            _problem(
                provider,
                "llm.no_base_url",
                f"LLM provider {spec.name!r} needs the server's base_url",
                "llm.base_url in neurocore.yaml, or llm_base_url in the component's config",
            )
        )
    if not sdk_installed(spec):
        problems.append(
            _problem(
                provider,
                "llm.sdk_missing",
                f"LLM provider {spec.name!r} needs the {spec.sdk!r} SDK, which is not installed",
                install_hint(spec),
            )
        )
    return problems


def _problem(where: _Written, kind: str, msg: str, expected: str) -> BlueprintIssue:
    return where.locate(issue(kind, msg, where.loc, input=where.value, expected=expected))


def _no_provider(blueprint: Blueprint, index: int) -> BlueprintIssue:
    component = blueprint.components[index]
    return blueprint.source.locate(
        issue(
            "llm.not_configured",
            f"component {component.name!r} (skill {component.type!r}) needs an LLM, but "
            "no LLM provider is configured",
            ("components", index, "type"),
            input=component.type,
            expected=f"llm.provider in neurocore.yaml (one of: {_KNOWN}), or llm_provider "
            "in the component's config",
        )
    )
