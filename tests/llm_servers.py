"""Local stand-ins for the LLM providers' HTTP APIs, on 127.0.0.1, for the SDKs to talk to.

Each server speaks one API as its SDK expects it (JSON answers, and server-sent
events when the request asks to stream), records every request it gets, and
answers with fixed text and token counts the tests check.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ANSWER = ["A short", " summary", "."]
"""The answer every server gives, in the pieces a stream sends."""
INPUT_TOKENS = 11
OUTPUT_TOKENS = 4

Reply = tuple[int, Any]
"""(status, JSON body) or (200, list of server-sent events as (event name, data))."""


class FakeServer:
    """An HTTP server whose answers ``route(path, body, headers)`` decides."""

    def __init__(self, route: Callable[[str, dict[str, Any], dict[str, str]], Reply]) -> None:
        self.requests: list[dict[str, Any]] = []
        self.fail_first = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
                headers = {k.lower(): v for k, v in self.headers.items()}
                server.requests.append({"path": self.path, "body": body, "headers": headers})
                if len(server.requests) <= server.fail_first:
                    self._send(503, {"error": {"message": "busy", "type": "overloaded"}})
                    return
                status, answer = route(self.path, body, headers)
                if isinstance(answer, list):
                    self._send_events(answer)
                else:
                    self._send(status, answer)

            def _send(self, status: int, answer: Any) -> None:
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _send_events(self, events: list[tuple[str | None, Any]]) -> None:
                chunks = []
                for event, data in events:
                    text = data if isinstance(data, str) else json.dumps(data)
                    head = f"event: {event}\n" if event else ""
                    chunks.append(f"{head}data: {text}\n\n")
                payload = "".join(chunks).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.root = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def last(self) -> dict[str, Any]:
        return self.requests[-1]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def openai_route(path: str, body: dict[str, Any], headers: dict[str, str]) -> Reply:
    """``POST /v1/chat/completions``, plain or streamed (usage last when asked)."""
    assert path.endswith("/chat/completions"), path
    usage = {
        "prompt_tokens": INPUT_TOKENS,
        "completion_tokens": OUTPUT_TOKENS,
        "total_tokens": INPUT_TOKENS + OUTPUT_TOKENS,
    }
    base = {"id": "chatcmpl-1", "created": 1, "model": body["model"]}
    if not body.get("stream"):
        message = {"role": "assistant", "content": "".join(ANSWER)}
        choice = {"index": 0, "message": message, "finish_reason": "stop"}
        return 200, {**base, "object": "chat.completion", "choices": [choice], "usage": usage}
    events: list[tuple[str | None, Any]] = []
    for piece in ANSWER:
        delta = {"index": 0, "delta": {"content": piece}, "finish_reason": None}
        events.append((None, {**base, "object": "chat.completion.chunk", "choices": [delta]}))
    end = {"index": 0, "delta": {}, "finish_reason": "stop"}
    events.append((None, {**base, "object": "chat.completion.chunk", "choices": [end]}))
    if (body.get("stream_options") or {}).get("include_usage"):
        events.append(
            (None, {**base, "object": "chat.completion.chunk", "choices": [], "usage": usage})
        )
    events.append((None, "[DONE]"))
    return 200, events


def anthropic_route(path: str, body: dict[str, Any], headers: dict[str, str]) -> Reply:
    """``POST /v1/messages``, plain or streamed (Messages' event sequence)."""
    assert path.startswith("/v1/messages"), path
    message = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": body["model"],
        "stop_reason": "end_turn",
        "stop_sequence": None,
    }
    if not body.get("stream"):
        content = [{"type": "text", "text": "".join(ANSWER)}]
        usage = {"input_tokens": INPUT_TOKENS, "output_tokens": OUTPUT_TOKENS}
        return 200, {**message, "content": content, "usage": usage}
    start = {**message, "content": [], "stop_reason": None}
    events: list[tuple[str | None, Any]] = [
        (
            "message_start",
            {
                "type": "message_start",
                "message": {**start, "usage": {"input_tokens": INPUT_TOKENS, "output_tokens": 1}},
            },
        ),
        (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        ),
    ]
    for piece in ANSWER:
        delta = {"type": "text_delta", "text": piece}
        events.append(
            ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta})
        )
    events += [
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": OUTPUT_TOKENS},
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    ]
    return 200, events


def gemini_route(path: str, body: dict[str, Any], headers: dict[str, str]) -> Reply:
    """``:generateContent`` and ``:streamGenerateContent?alt=sse`` of the Gemini API."""
    assert "/models/" in path, path

    def answer(text: str, usage: bool) -> dict[str, Any]:
        out: dict[str, Any] = {
            "candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "index": 0}],
            "modelVersion": "fake",
        }
        if usage:
            out["usageMetadata"] = {
                "promptTokenCount": INPUT_TOKENS,
                "candidatesTokenCount": OUTPUT_TOKENS,
                "totalTokenCount": INPUT_TOKENS + OUTPUT_TOKENS,
            }
        return out

    if ":streamGenerateContent" not in path:
        return 200, answer("".join(ANSWER), True)
    last = len(ANSWER) - 1
    return 200, [(None, answer(piece, i == last)) for i, piece in enumerate(ANSWER)]


def serve(route: Callable[[str, dict[str, Any], dict[str, str]], Reply]) -> Iterator[FakeServer]:
    server = FakeServer(route)
    try:
        yield server
    finally:
        server.close()
