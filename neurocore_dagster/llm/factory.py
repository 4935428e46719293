"""Providers made from resolved settings, and the set of them one run uses.

:class:`ProviderConfig` holds values, never references: the key in it was read
from the environment when the run started. :class:`ProviderPool` gives every
component the provider its settings name, making each one once per process.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from neurocore_dagster.llm.catalog import PROVIDERS, key_required
from neurocore_dagster.llm.provider import DEFAULT_MAX_TOKENS, DEFAULT_TEMPERATURE, ChatProvider


@dataclass(frozen=True)
class ProviderConfig:
    provider: str
    model: str
    base_url: str = ""
    api_key: str | None = field(default=None, repr=False)
    max_tokens: int = DEFAULT_MAX_TOKENS
    temperature: float = DEFAULT_TEMPERATURE
    timeout_seconds: float = 60.0
    max_retries: int = 2


def make_provider(config: ProviderConfig) -> ChatProvider:
    """The provider ``config`` names; its SDK is imported here (checked at build time)."""
    spec = PROVIDERS[config.provider]
    defaults: dict[str, Any] = {
        "max_tokens": config.max_tokens,
        "temperature": config.temperature,
    }
    if spec.sdk is None:
        if spec.name == "mock":
            from neurocore_dagster.llm.mock import MockProvider

            return MockProvider(config.model, **defaults)
        from neurocore_dagster.llm.offline import OfflineProvider

        return OfflineProvider(config.model, **defaults)
    remote: dict[str, Any] = {
        **defaults,
        "base_url": config.base_url,
        "api_key": config.api_key,
        "timeout_seconds": config.timeout_seconds,
        "max_retries": config.max_retries,
    }
    if spec.sdk == "openai":
        from neurocore_dagster.llm.openai_sdk import OpenAIProvider

        required = key_required(spec, config.base_url)
        return OpenAIProvider(spec.name, config.model, key_required=required, **remote)
    if spec.sdk == "anthropic":
        from neurocore_dagster.llm.anthropic_sdk import AnthropicProvider

        return AnthropicProvider(spec.name, config.model, **remote)
    if spec.sdk == "google.genai":
        from neurocore_dagster.llm.gemini_sdk import GeminiProvider

        return GeminiProvider(spec.name, config.model, **remote)
    from neurocore_dagster.llm.litellm_sdk import LiteLLMProvider

    return LiteLLMProvider(spec.name, config.model, **remote)


class ProviderPool:
    """The providers of one run: the project's, and those of components with their own."""

    def __init__(
        self, default: ProviderConfig | None, components: dict[str, ProviderConfig]
    ) -> None:
        self._configs = dict(components)
        self._default = default
        self._made: dict[str, ChatProvider] = {}
        self._lock = threading.Lock()

    def for_component(self, key: str) -> ChatProvider:
        """The provider of the component whose resource key is ``key``."""
        config = self._configs.get(key, self._default)
        if config is None:
            raise KeyError(f"no LLM settings for component resource {key!r}")
        slot = key if key in self._configs else ""
        with self._lock:
            if slot not in self._made:
                self._made[slot] = make_provider(config)
            return self._made[slot]


def build_provider(config: dict[str, Any]) -> ChatProvider | None:
    """NeuroCore's ``build_provider``: a provider from ``llm_provider``, ``llm_model``,
    ``llm_api_key`` and ``llm_base_url``; ``None`` without ``llm_provider``."""
    name = config.get("llm_provider")
    if not name:
        return None
    spec = PROVIDERS.get(name)
    if spec is None:
        raise ValueError(f"unknown llm_provider {name!r}; expected one of: {', '.join(PROVIDERS)}")
    base_url = config.get("llm_base_url") or spec.default_base_url
    if spec.needs_base_url and not base_url:
        raise ValueError(f"llm_provider {name!r} needs llm_base_url")
    return make_provider(
        ProviderConfig(
            provider=name,
            model=config.get("llm_model") or spec.default_model,
            base_url=base_url,
            api_key=config.get("llm_api_key") or None,
        )
    )
