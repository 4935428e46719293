"""LiteLLM (``litellm``): one call shape routed to 100+ APIs by the model's prefix.

``model`` is LiteLLM's (``anthropic/claude-...``, ``openai/<name>`` for any
OpenAI-compatible ``base_url``); keys it does not get here it reads from the
providers' usual variables. LiteLLM fetches a model price list from the network
when imported; set ``LITELLM_LOCAL_MODEL_COST_MAP=True`` where there is none.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from neurocore_dagster.llm.provider import ChatProvider, ChatRequest, LLMResponse, TokenCount


class LiteLLMProvider(ChatProvider):
    def __init__(
        self,
        name: str,
        model: str,
        *,
        base_url: str = "",
        api_key: str | None = None,
        timeout_seconds: float = 60.0,
        max_retries: int = 2,
        **settings: Any,
    ) -> None:
        super().__init__(name, model, **settings)
        self._options: dict[str, Any] = {
            "api_key": api_key,
            "base_url": base_url or None,
            "timeout": timeout_seconds,
            "num_retries": max_retries,
        }

    def _params(self, request: ChatRequest) -> dict[str, Any]:
        return {
            "model": self._model,
            "messages": request.with_system_first(),
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            **self._options,
        }

    async def _complete(self, request: ChatRequest) -> LLMResponse:
        import litellm

        answer = await litellm.acompletion(**self._params(request))
        usage = getattr(answer, "usage", None)
        return LLMResponse(
            content=answer.choices[0].message.content or "",
            model=self._model,
            input_tokens=getattr(usage, "prompt_tokens", 0) or 0,
            output_tokens=getattr(usage, "completion_tokens", 0) or 0,
        )

    async def _stream(self, request: ChatRequest) -> AsyncIterator[str | TokenCount]:
        import litellm

        chunks = await litellm.acompletion(
            **self._params(request), stream=True, stream_options={"include_usage": True}
        )
        async for chunk in chunks:
            if chunk.choices and chunk.choices[0].delta.content:
                yield chunk.choices[0].delta.content
            usage = getattr(chunk, "usage", None)
            if usage:
                yield TokenCount(usage.prompt_tokens or 0, usage.completion_tokens or 0)
