"""LLM providers for skills that declare ``requires_llm=True`` (injected as ``skill.llm``)."""

from neurocore_dagster.llm.offline import OfflineProvider
from neurocore_dagster.llm.openai_compat import OpenAICompatibleProvider
from neurocore_dagster.llm.provider import LLMMessage, LLMProvider, LLMResponse, LLMUsage

__all__ = [
    "LLMMessage",
    "LLMProvider",
    "LLMResponse",
    "LLMUsage",
    "OfflineProvider",
    "OpenAICompatibleProvider",
]
