"""The provider interface NeuroCore skills call, and per-op usage accounting.

``await skill.llm.complete(messages, max_tokens=..., temperature=..., system=...)``
returns an :class:`LLMResponse` with the text and token counts, as NeuroCore's
providers do. Messages may be :class:`LLMMessage` objects, NeuroCore's own, or
``{"role": ..., "content": ...}`` dicts. Every call is recorded in the usage log
of the op that made it, so token use shows in the op's metadata.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class LLMMessage:
    role: str
    content: str


@dataclass(frozen=True)
class LLMResponse:
    content: str
    model: str
    input_tokens: int = 0
    output_tokens: int = 0


@runtime_checkable
class LLMProvider(Protocol):
    @property
    def provider_name(self) -> str: ...

    @property
    def model(self) -> str: ...

    async def complete(
        self,
        messages: Sequence[Any],
        *,
        max_tokens: int = 1024,
        temperature: float = 1.0,
        system: str | None = None,
        **kwargs: Any,
    ) -> LLMResponse: ...

    def stream(
        self,
        messages: Sequence[Any],
        *,
        max_tokens: int = 1024,
        temperature: float = 1.0,
        system: str | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[str]: ...


def as_messages(messages: Sequence[Any], system: str | None = None) -> list[dict[str, str]]:
    """Chat messages as plain dicts, a ``system`` prompt first when given."""
    out = [{"role": "system", "content": system}] if system else []
    for message in messages:
        if isinstance(message, dict):
            out.append({"role": str(message["role"]), "content": str(message["content"])})
        elif isinstance(message, str):
            out.append({"role": "user", "content": message})
        else:
            out.append({"role": str(message.role), "content": str(message.content)})
    return out


@dataclass
class LLMUsage:
    """Calls made and tokens used (by one op, or summed over a run)."""

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    models: list[str] = field(default_factory=list)

    def record(self, response: LLMResponse) -> None:
        self.calls += 1
        self.input_tokens += response.input_tokens
        self.output_tokens += response.output_tokens
        if response.model not in self.models:
            self.models.append(response.model)

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


_CURRENT: contextvars.ContextVar[LLMUsage | None] = contextvars.ContextVar(
    "neurocore_llm_usage", default=None
)


@contextlib.contextmanager
def usage_scope() -> Iterator[LLMUsage]:
    """Collect the usage of every call made inside the block (the op's)."""
    usage = LLMUsage()
    token = _CURRENT.set(usage)
    try:
        yield usage
    finally:
        _CURRENT.reset(token)


class MeteredProvider:
    """Wraps a provider so each call is added to the current op's usage log."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    @property
    def provider_name(self) -> str:
        return str(self._inner.provider_name)

    @property
    def model(self) -> str:
        return str(self._inner.model)

    async def complete(self, messages: Sequence[Any], **kwargs: Any) -> LLMResponse:
        response = await self._inner.complete(messages, **kwargs)
        usage = _CURRENT.get()
        if usage is not None:
            usage.record(response)
        return response

    def stream(self, messages: Sequence[Any], **kwargs: Any) -> AsyncIterator[str]:
        return self._inner.stream(messages, **kwargs)

    def __repr__(self) -> str:
        return f"MeteredProvider({self._inner!r})"
