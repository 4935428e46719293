"""An OpenAI-compatible chat-completions client (OpenAI, Ollama, vLLM, LiteLLM ...).

Plain HTTP with the standard library: ``POST {base_url}/chat/completions`` with a
bearer key. Connection errors, 429 and 5xx answers are retried with
exponential backoff and full jitter; other errors are raised with the server's
message. The key is never logged or put in an error message.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Sequence
from typing import Any

from neurocore_dagster.llm.provider import LLMResponse, as_messages

_RETRY_STATUS = {429, 500, 502, 503, 504}


class LLMRequestError(RuntimeError):
    """The endpoint refused or failed a request (after any retries)."""


class OpenAICompatibleProvider:
    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout_seconds: float = 60.0,
        max_retries: int = 2,
        retry_delay_base: float = 0.5,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._model = model
        self._api_key = api_key
        self._timeout = timeout_seconds
        self._max_retries = max_retries
        self._delay_base = retry_delay_base

    @property
    def provider_name(self) -> str:
        return "openai-compatible"

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
        body = {
            "model": self._model,
            "messages": as_messages(messages, system),
            "max_tokens": max_tokens,
            "temperature": temperature,
            **kwargs,
        }
        payload = await asyncio.to_thread(self._post, "/chat/completions", body)
        try:
            content = payload["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError) as exc:
            raise LLMRequestError(
                f"unexpected chat-completions answer from {self._base_url}: {str(payload)[:200]}"
            ) from exc
        usage = payload.get("usage") or {}
        return LLMResponse(
            content=content or "",
            model=str(payload.get("model", self._model)),
            input_tokens=int(usage.get("prompt_tokens", 0)),
            output_tokens=int(usage.get("completion_tokens", 0)),
        )

    async def stream(self, messages: Sequence[Any], **kwargs: Any) -> AsyncIterator[str]:
        """One chunk with the whole answer (server-sent streaming is not used)."""
        response = await self.complete(messages, **kwargs)
        yield response.content

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        data = json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        url = self._base_url + path
        for attempt in range(self._max_retries + 1):
            request = urllib.request.Request(url, data=data, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=self._timeout) as answer:
                    return dict(json.loads(answer.read().decode()))
            except urllib.error.HTTPError as exc:
                detail = exc.read().decode(errors="replace")[:300]
                if exc.code not in _RETRY_STATUS or attempt == self._max_retries:
                    raise LLMRequestError(f"{url} answered {exc.code}: {detail}") from None
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                if attempt == self._max_retries:
                    raise LLMRequestError(f"cannot reach {url}: {exc}") from None
            time.sleep(random.uniform(0, self._delay_base * 2**attempt))
        raise AssertionError("unreachable")

    def __repr__(self) -> str:
        return f"OpenAICompatibleProvider(base_url={self._base_url!r}, model={self._model!r})"
