"""Anthropic's Messages API on the ``anthropic`` SDK.

The system prompt and any system messages travel as Messages' ``system`` text.
``base_url`` (not read by NeuroCore for this provider) points the SDK at
another endpoint, such as a proxy or a test server. The SDK no longer takes
``temperature``; a temperature other than the API's default (1.0) is sent in
the request body, so models that refuse sampling settings work by default.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from neurocore_dagster.llm.provider import (
    DEFAULT_TEMPERATURE,
    ChatRequest,
    LLMResponse,
    SDKProvider,
    TokenCount,
)


class AnthropicProvider(SDKProvider):
    """Anthropic's Messages API; without ``api_key`` the SDK reads ANTHROPIC_API_KEY."""

    def _new_client(self) -> Any:
        import anthropic

        return anthropic.AsyncAnthropic(api_key=self._api_key, **self._client_options())

    def _params(self, request: ChatRequest) -> dict[str, Any]:
        system, turns = request.system_and_turns()
        params: dict[str, Any] = {
            "model": self._model,
            "max_tokens": request.max_tokens,
            "messages": turns,
        }
        if system:
            params["system"] = system
        if request.temperature != DEFAULT_TEMPERATURE:
            params["extra_body"] = {"temperature": request.temperature}
        return params

    async def _complete(self, request: ChatRequest) -> LLMResponse:
        async with self.session() as client:
            answer = await client.messages.create(**self._params(request))
        return LLMResponse(
            content="".join(b.text for b in answer.content if b.type == "text"),
            model=self._model,
            input_tokens=answer.usage.input_tokens,
            output_tokens=answer.usage.output_tokens,
        )

    async def _stream(self, request: ChatRequest) -> AsyncIterator[str | TokenCount]:
        async with (
            self.session() as client,
            client.messages.stream(**self._params(request)) as stream,
        ):
            async for text in stream.text_stream:
                yield text
            final = await stream.get_final_message()
        yield TokenCount(final.usage.input_tokens, final.usage.output_tokens)
