"""A deterministic provider for examples and tests: no network, no keys.

It answers with a fixed transformation of the last user message, so a run's
result is reproducible; token counts are word counts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from neurocore_dagster.llm.provider import LLMResponse, as_messages


class OfflineProvider:
    def __init__(self, model: str = "offline-echo") -> None:
        self._model = model

    @property
    def provider_name(self) -> str:
        return "offline"

    @property
    def model(self) -> str:
        return self._model

    async def complete(
        self,
        messages: Sequence[Any],
        *,
        max_tokens: int = 1024,
        temperature: float = 1.0,
        system: str | None = None,
        **kwargs: Any,
    ) -> LLMResponse:
        chat = as_messages(messages, system)
        prompt = next((m["content"] for m in reversed(chat) if m["role"] == "user"), "")
        words = prompt.split()
        answer = " ".join(words[: max(1, min(max_tokens, 40))])
        content = f"[{self._model}] {answer}"
        return LLMResponse(
            content=content,
            model=self._model,
            input_tokens=sum(len(m["content"].split()) for m in chat),
            output_tokens=len(content.split()),
        )

    async def stream(self, messages: Sequence[Any], **kwargs: Any) -> AsyncIterator[str]:
        response = await self.complete(messages, **kwargs)
        for word in response.content.split(" "):
            yield word + " "

    def __repr__(self) -> str:
        return f"OfflineProvider(model={self._model!r})"
