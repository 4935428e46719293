"""Google Gemini on the ``google-genai`` SDK.

System prompt and system messages become the ``system_instruction``; assistant
turns are Gemini's ``model`` role. ``base_url`` (not read by NeuroCore for this
provider) points the SDK at another endpoint, such as a test server.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from neurocore_dagster.llm.provider import ChatRequest, LLMResponse, SDKProvider, TokenCount

_ROLES = {"user": "user", "assistant": "model", "model": "model"}


class GeminiProvider(SDKProvider):
    """Google's Gemini API; without ``api_key`` the SDK reads GEMINI_API_KEY or GOOGLE_API_KEY."""

    def _new_client(self) -> Any:
        from google import genai
        from google.genai import types

        options: dict[str, Any] = {
            "timeout": int(self._timeout * 1000),
            "retry_options": types.HttpRetryOptions(attempts=self._max_retries + 1),
        }
        if self._base_url:
            options["base_url"] = self._base_url
        return genai.Client(api_key=self._api_key, http_options=types.HttpOptions(**options))

    def _call(self, request: ChatRequest) -> dict[str, Any]:
        from google.genai import types

        system, turns = request.system_and_turns()
        contents = [
            {"role": _ROLES.get(m["role"], "user"), "parts": [{"text": m["content"]}]}
            for m in turns
        ]
        config = types.GenerateContentConfig(
            max_output_tokens=request.max_tokens,
            temperature=request.temperature,
            system_instruction=system,
        )
        return {"model": self._model, "contents": contents, "config": config}

    async def _complete(self, request: ChatRequest) -> LLMResponse:
        async with self.session() as client:
            answer = await client.aio.models.generate_content(**self._call(request))
        count = _count(answer)
        return LLMResponse(answer.text or "", self._model, count.input_tokens, count.output_tokens)

    async def _stream(self, request: ChatRequest) -> AsyncIterator[str | TokenCount]:
        count = TokenCount()
        async with self.session() as client:
            chunks = await client.aio.models.generate_content_stream(**self._call(request))
            async for chunk in chunks:
                if chunk.text:
                    yield chunk.text
                if chunk.usage_metadata:
                    count = _count(chunk)
        yield count

    async def _close(self, client: Any) -> None:
        await client.aio.aclose()


def _count(answer: Any) -> TokenCount:
    usage = answer.usage_metadata
    if usage is None:
        return TokenCount()
    return TokenCount(usage.prompt_token_count or 0, usage.candidates_token_count or 0)
