"""LLM providers for skills that declare ``requires_llm=True`` (injected as ``skill.llm``)."""

from neurocore_dagster.llm.factory import ProviderConfig, build_provider, make_provider
from neurocore_dagster.llm.mock import MockProvider
from neurocore_dagster.llm.offline import OfflineProvider
from neurocore_dagster.llm.provider import (
    ChatProvider,
    LLMMessage,
    LLMProvider,
    LLMResponse,
    LLMUsage,
)

__all__ = [
    "ChatProvider",
    "LLMMessage",
    "LLMProvider",
    "LLMResponse",
    "LLMUsage",
    "MockProvider",
    "OfflineProvider",
    "ProviderConfig",
    "build_provider",
    "make_provider",
]
