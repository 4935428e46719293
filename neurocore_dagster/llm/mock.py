"""NeuroCore's ``mock`` provider: canned answers, no network, no token use.

``complete`` returns the next answer queued with :meth:`MockProvider.set_response`,
else ``"mock response"``; ``stream`` yields that answer one character at a
time. ``call_count`` and ``last_messages`` record what the skill sent.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Sequence
from typing import Any

from neurocore_dagster.llm.provider import ChatProvider, ChatRequest, LLMResponse, TokenCount

DEFAULT_ANSWER = "mock response"


class MockProvider(ChatProvider):
    def __init__(self, model: str = "mock-model", **settings: Any) -> None:
        super().__init__("mock", model, **settings)
        self._responses: list[str] = []
        self._lock = threading.Lock()
        self.call_count = 0
        self.last_messages: Sequence[Any] = []

    def set_response(self, response: str) -> None:
        """Queue ``response`` as the answer to the next call."""
        with self._lock:
            self._responses.append(response)

    def _request(
        self,
        messages: Sequence[Any],
        max_tokens: int | None,
        temperature: float | None,
        system: str | None,
    ) -> ChatRequest:
        self.last_messages = messages
        return super()._request(messages, max_tokens, temperature, system)

    async def _complete(self, request: ChatRequest) -> LLMResponse:
        with self._lock:
            self.call_count += 1
            content = self._responses.pop(0) if self._responses else DEFAULT_ANSWER
        return LLMResponse(content=content, model=self._model)

    async def _stream(self, request: ChatRequest) -> AsyncIterator[str | TokenCount]:
        response = await self._complete(request)
        for char in response.content:
            yield char
            await asyncio.sleep(0)
