"""The provider interface NeuroCore skills call, and per-op usage accounting.

``await skill.llm.complete(messages, max_tokens=..., temperature=..., system=...)``
returns an :class:`LLMResponse` (``content``, ``model``, ``input_tokens``,
``output_tokens``) and ``skill.llm.stream(...)`` yields text pieces, as
NeuroCore's providers do. Messages may be :class:`LLMMessage` objects,
NeuroCore's own, ``{"role": ..., "content": ...}`` dicts or plain strings (user
turns). Every call, streamed or not, is added to the usage log of the op that
made it, so token use shows in the op's metadata.
"""

from __future__ import annotations

import abc
import contextlib
import contextvars
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

DEFAULT_MAX_TOKENS = 8192
DEFAULT_TEMPERATURE = 1.0


@dataclass(frozen=True, slots=True)
class LLMMessage:
    role: str
    content: str


@dataclass(frozen=True, slots=True)
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
        max_tokens: int = DEFAULT_MAX_TOKENS,
        temperature: float = DEFAULT_TEMPERATURE,
        system: str | None = None,
        **kwargs: Any,
    ) -> LLMResponse: ...

    def stream(
        self,
        messages: Sequence[Any],
        *,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        temperature: float = DEFAULT_TEMPERATURE,
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


def record_usage(response: LLMResponse) -> None:
    """Add one call to the usage log of the op running it (none outside an op)."""
    usage = _CURRENT.get()
    if usage is not None:
        usage.record(response)


@dataclass(frozen=True)
class ChatRequest:
    """One call as the provider received it: messages as dicts, settings resolved."""

    messages: list[dict[str, str]]
    system: str | None
    max_tokens: int
    temperature: float

    def with_system_first(self) -> list[dict[str, str]]:
        """The chat-completions shape: the system prompt as the first message."""
        head = [{"role": "system", "content": self.system}] if self.system else []
        return head + self.messages

    def system_and_turns(self) -> tuple[str | None, list[dict[str, str]]]:
        """The Messages/Gemini shape: one system text (prompt and system messages), the rest."""
        parts = [self.system] if self.system else []
        parts += [m["content"] for m in self.messages if m["role"] == "system"]
        turns = [m for m in self.messages if m["role"] != "system"]
        return ("\n\n".join(parts) if parts else None), turns


@dataclass(frozen=True)
class TokenCount:
    """What a streamed answer cost, as the server reported it (0 when it did not)."""

    input_tokens: int = 0
    output_tokens: int = 0


class ChatProvider(abc.ABC):
    """A provider of this package: one shape of call, usage recorded for every call.

    Subclasses implement :meth:`_complete` and :meth:`_stream` for one API.
    ``max_tokens`` and ``temperature`` given here (``llm.max_tokens``,
    ``llm.temperature``) apply to calls that pass none; extra keyword arguments
    of a call are accepted and not sent, as NeuroCore's providers do.
    """

    def __init__(
        self,
        name: str,
        model: str,
        *,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        temperature: float = DEFAULT_TEMPERATURE,
    ) -> None:
        self._name = name
        self._model = model
        self._max_tokens = max_tokens
        self._temperature = temperature

    @property
    def provider_name(self) -> str:
        return self._name

    @property
    def model(self) -> str:
        return self._model

    def _request(
        self,
        messages: Sequence[Any],
        max_tokens: int | None,
        temperature: float | None,
        system: str | None,
    ) -> ChatRequest:
        return ChatRequest(
            messages=as_messages(messages),
            system=system,
            max_tokens=self._max_tokens if max_tokens is None else max_tokens,
            temperature=self._temperature if temperature is None else temperature,
        )

    async def complete(
        self,
        messages: Sequence[Any],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
        system: str | None = None,
        **kwargs: Any,
    ) -> LLMResponse:
        response = await self._complete(self._request(messages, max_tokens, temperature, system))
        record_usage(response)
        return response

    async def stream(
        self,
        messages: Sequence[Any],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
        system: str | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[str]:
        request = self._request(messages, max_tokens, temperature, system)
        pieces: list[str] = []
        count = TokenCount()
        try:
            async for item in self._stream(request):
                if isinstance(item, TokenCount):
                    count = item
                elif item:
                    pieces.append(item)
                    yield item
        finally:  # a stream the skill stops reading early was still a call
            record_usage(
                LLMResponse("".join(pieces), self._model, count.input_tokens, count.output_tokens)
            )

    @abc.abstractmethod
    async def _complete(self, request: ChatRequest) -> LLMResponse: ...

    @abc.abstractmethod
    def _stream(self, request: ChatRequest) -> AsyncIterator[str | TokenCount]:
        """Text pieces as they arrive, then (optionally) the reported token count."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(provider={self._name!r}, model={self._model!r})"


class SDKProvider(ChatProvider):
    """A provider that talks through an SDK's async client, one client per call.

    An SDK's async client holds connections bound to the event loop that opened
    them, and a run calls providers from several loops (one per step thread,
    each ended when its step ends); a client opened and closed within the call
    never outlives its loop. The connection settings every SDK client takes are
    kept here; ``api_key=None`` lets the SDK read its own environment variable.
    """

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
        self._base_url = base_url
        self._api_key = api_key
        self._timeout = timeout_seconds
        self._max_retries = max_retries

    def _client_options(self) -> dict[str, Any]:
        """``timeout``, ``max_retries`` and (when set) ``base_url``, as most SDKs name them."""
        options: dict[str, Any] = {"timeout": self._timeout, "max_retries": self._max_retries}
        if self._base_url:
            options["base_url"] = self._base_url
        return options

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[Any]:
        """A new SDK client, closed when the call is done."""
        client = self._new_client()
        try:
            yield client
        finally:
            await self._close(client)

    @abc.abstractmethod
    def _new_client(self) -> Any: ...

    async def _close(self, client: Any) -> None:
        await client.close()
