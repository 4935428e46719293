"""A deterministic provider for examples and tests: no network, no keys.

It answers with a fixed transformation of the last user message, so a run's
result is reproducible; token counts are word counts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from neurocore_dagster.llm.provider import ChatProvider, ChatRequest, LLMResponse, TokenCount


class OfflineProvider(ChatProvider):
    def __init__(self, model: str = "offline-echo", **settings: Any) -> None:
        super().__init__("offline", model, **settings)

    async def _complete(self, request: ChatRequest) -> LLMResponse:
        chat = request.with_system_first()
        prompt = next((m["content"] for m in reversed(chat) if m["role"] == "user"), "")
        answer = " ".join(prompt.split()[: max(1, min(request.max_tokens, 40))])
        content = f"[{self._model}] {answer}"
        return LLMResponse(
            content=content,
            model=self._model,
            input_tokens=sum(len(m["content"].split()) for m in chat),
            output_tokens=len(content.split()),
        )

    async def _stream(self, request: ChatRequest) -> AsyncIterator[str | TokenCount]:
        response = await self._complete(request)
        for word in response.content.split(" "):
            yield word + " "
        yield TokenCount(response.input_tokens, response.output_tokens)
