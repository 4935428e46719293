"""The suite that runs against the real neurocore-ai (Python 3.13+), not the stand-in.

Run it from the checkout with the second virtualenv that ``.ci/run`` makes:
``.venv313/bin/python -m pytest -q tests_neurocore``. Without neurocore-ai it
stops at once, naming what to install, instead of testing the stand-in.
"""

from __future__ import annotations

import json
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    try:
        import neurocore
    except ImportError:
        neurocore = None
    if neurocore is None or getattr(neurocore, "__neurocore_dagster_compat__", False):
        raise pytest.UsageError(
            f"tests_neurocore needs the real neurocore-ai, which {sys.executable} "
            "(Python {}.{}) lacks: python3.13 -m venv .venv313 && .venv313/bin/pip install "
            "-e . neurocore-ai neurocore-skill-ollama pytest hypothesis".format(
                *sys.version_info[:2]
            )
        )


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    """A real sqlite-backed Dagster instance in a temporary home."""
    with (
        tempfile.TemporaryDirectory(prefix="nc313-home-") as home,
        dg.instance_for_test(temp_dir=home) as inst,
    ):
        yield inst


@dataclass
class FakeOllama:
    """What the fake server saw, and its address."""

    url: str
    requests: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)


def _handler(seen: FakeOllama) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        """Ollama's ``POST /api/generate`` (non-streaming): echoes the prompt."""

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
            seen.requests.append(("POST", self.path, body))
            if self.path != "/api/generate":
                self._send(404, {"error": f"no route {self.path}"})
                return
            self._send(
                200,
                {
                    "model": body["model"],
                    "response": f"echo({body.get('system', '')}): {body['prompt']}",
                    "done": True,
                },
            )

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@pytest.fixture
def fake_ollama(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOllama]:
    """An Ollama stand-in on 127.0.0.1 (a thread of this process), stopped afterwards."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    seen = FakeOllama(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(seen))
    seen.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="fake-ollama", daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
