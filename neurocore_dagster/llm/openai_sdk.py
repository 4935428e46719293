"""OpenAI and every OpenAI-compatible server (Ollama, vLLM, gateways), on the ``openai`` SDK.

Chat completions at ``base_url``; the SDK retries connection errors, 429 and
5xx answers (``max_retries``) and applies ``timeout_seconds``. Servers that
need no key get a placeholder, as the SDK insists on one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from neurocore_dagster.llm.provider import ChatRequest, LLMResponse, SDKProvider, TokenCount

NO_KEY = "not-needed"
"""Sent to servers that ignore keys (Ollama, vLLM); the SDK refuses to run without one."""

STREAM_USAGE = frozenset({"openai", "ollama", "vllm"})
"""Providers known to report usage at the end of a stream when asked (other servers may
refuse the ``stream_options`` field)."""


class OpenAIProvider(SDKProvider):
    def __init__(
        self,
        name: str,
        model: str,
        *,
        base_url: str = "",
        api_key: str | None = None,
        key_required: bool = True,
        timeout_seconds: float = 60.0,
        max_retries: int = 2,
        **settings: Any,
    ) -> None:
        # None lets the SDK read OPENAI_API_KEY itself; a keyless server gets a placeholder.
        super().__init__(
            name,
            model,
            base_url=base_url,
            api_key=api_key or (None if key_required else NO_KEY),
            timeout_seconds=timeout_seconds,
            max_retries=max_retries,
            **settings,
        )

    def _new_client(self) -> Any:
        import openai

        return openai.AsyncOpenAI(api_key=self._api_key, **self._client_options())

    async def _complete(self, request: ChatRequest) -> LLMResponse:
        async with self.session() as client:
            answer = await client.chat.completions.create(
                model=self._model,
                messages=request.with_system_first(),
                max_tokens=request.max_tokens,
                temperature=request.temperature,
            )
        usage = answer.usage
        return LLMResponse(
            content=answer.choices[0].message.content or "",
            model=self._model,
            input_tokens=usage.prompt_tokens if usage else 0,
            output_tokens=usage.completion_tokens if usage else 0,
        )

    async def _stream(self, request: ChatRequest) -> AsyncIterator[str | TokenCount]:
        extra: dict[str, Any] = {}
        if self._name in STREAM_USAGE:
            extra["stream_options"] = {"include_usage": True}
        async with self.session() as client:
            chunks = await client.chat.completions.create(
                model=self._model,
                messages=request.with_system_first(),
                max_tokens=request.max_tokens,
                temperature=request.temperature,
                stream=True,
                **extra,
            )
            async for chunk in chunks:
                if chunk.choices and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content
                if chunk.usage:
                    yield TokenCount(chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
