"""The LLM providers a project can name, as NeuroCore names them, and what each needs.

One table: the SDK (an optional extra of this package), the model and endpoint
used when the project names none (NeuroCore's defaults), and whether the
hosted API needs a key. ``offline`` is this package's deterministic stand-in.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class ProviderSpec:
    name: str
    sdk: str | None
    """The module the provider imports (``None``: no SDK)."""
    extra: str | None
    """``pip install 'neurocore-dagster[<extra>]'`` installs the SDK."""
    default_model: str = ""
    """Used when neither ``llm.model`` nor ``llm_model`` is set; empty: one is required."""
    default_base_url: str = ""
    """Used when no ``base_url`` is set; empty: the SDK's own endpoint."""
    needs_base_url: bool = False
    needs_key: bool = False
    """The API takes a key, except at a local ``base_url`` (localhost, 127.0.0.1, ::1)."""


PROVIDERS: dict[str, ProviderSpec] = {
    spec.name: spec
    for spec in (
        ProviderSpec("offline", None, None, default_model="offline-echo"),
        ProviderSpec("mock", None, None, default_model="mock-model"),
        ProviderSpec(
            "anthropic", "anthropic", "anthropic", default_model="claude-sonnet-4-6", needs_key=True
        ),
        ProviderSpec("openai", "openai", "openai", default_model="gpt-4o", needs_key=True),
        ProviderSpec("openai-compatible", "openai", "openai", needs_base_url=True, needs_key=True),
        ProviderSpec("ollama", "openai", "openai", default_base_url="http://localhost:11434/v1"),
        ProviderSpec("vllm", "openai", "openai", default_base_url="http://localhost:8000/v1"),
        ProviderSpec(
            "gemini", "google.genai", "gemini", default_model="gemini-2.0-flash", needs_key=True
        ),
        ProviderSpec("litellm", "litellm", "litellm"),
    )
}

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def sdk_installed(spec: ProviderSpec) -> bool:
    """Whether the provider's SDK can be imported here (``None`` in sys.modules: no)."""
    if spec.sdk is None:
        return True
    try:
        return importlib.util.find_spec(spec.sdk) is not None
    except (ImportError, ValueError):
        return False


def is_local(base_url: str) -> bool:
    return bool(base_url) and (urlsplit(base_url).hostname or "") in LOCAL_HOSTS


def key_required(spec: ProviderSpec, base_url: str) -> bool:
    """A key must be found when the run starts: a hosted API, not a local server."""
    return spec.needs_key and not is_local(base_url)


def install_hint(spec: ProviderSpec) -> str:
    return f"pip install 'neurocore-dagster[{spec.extra}]'"
