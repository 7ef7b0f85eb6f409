"""A stand-in OpenAI-compatible server on 127.0.0.1 for `vlint probe`'s tests: real sockets, real HTTP.

It serves `/v1/models`, `/v1/chat/completions` and `/v1/completions` the way vLLM shapes them, and can
misbehave on purpose (a status, a delay, a body that is not JSON or too large, a redirect), so that the
probe's HTTP handling is tested against a real server rather than a mock. Every request is recorded.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ANSWER = "Here is a helpful and complete answer to that."


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Behaviour:
    """What the server does. `chat`: "echo" (repeat the user message), "answer", "long" (a 4,700-character
    answer) or "refuse" (HTTP 400, as
    vLLM answers a model without a chat template). `quote_auth`: put the Authorization header it got
    into every chat output and error body, as a careless server might."""

    models: list[dict[str, Any]] = field(default_factory=list)
    chat: str = "echo"
    completions: bool = True
    require_key: str | None = None
    quote_auth: bool = False
    status: dict[str, int] = field(default_factory=dict)  # path -> status to answer with
    delay_s: dict[str, float] = field(default_factory=dict)  # path -> seconds to wait before answering
    raw: dict[str, bytes] = field(default_factory=dict)  # path -> body sent as is (200)
    redirect: dict[str, tuple[int, str]] = field(default_factory=dict)  # path -> (status, Location)
    unsized: bool = False  # raw bodies without Content-Length (read until the connection closes)


class _Handler(BaseHTTPRequestHandler):
    server: StandInServer  # type: ignore[assignment]
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._handle(None)

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw
        self._handle(body)

    def _send(self, status: int, payload: Any = None, *, raw: bytes | None = None, headers: dict | None = None):
        data = raw if raw is not None else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if raw is not None and self.server.behaviour.unsized:
            self.send_header("Connection", "close")
            self.close_connection = True
        else:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self, body: Any) -> None:
        b = self.server.behaviour
        path = self.path
        auth = self.headers.get("Authorization") or ""
        self.server.hits.append(Recorded(self.command, path, dict(self.headers.items()), body))
        time.sleep(b.delay_s.get(path, 0.0))
        quoted = f" (got Authorization: {auth})" if b.quote_auth else ""
        if b.require_key is not None and auth != f"Bearer {b.require_key}":
            return self._send(401, {"error": {"message": f"invalid API key{quoted}", "code": 401}})
        if path in b.redirect:
            status, location = b.redirect[path]
            return self._send(status, {}, headers={"Location": location})
        if path in b.status:
            status = b.status[path]
            return self._send(status, {"error": {"message": f"stand-in error {status}{quoted}", "code": status}})
        if path in b.raw:
            return self._send(200, raw=b.raw[path])
        if path == "/v1/models":
            return self._send(200, {"object": "list", "data": b.models})
        if path == "/v1/chat/completions":
            return self._chat(body, quoted)
        if path == "/v1/completions" and b.completions:
            return self._send(200, {"object": "text_completion", "model": body["model"], "choices": [
                {"index": 0, "text": " " + ANSWER, "finish_reason": "stop"}]})
        return self._send(404, {"error": {"message": f"no route {path}", "code": 404}})

    def _chat(self, body: dict[str, Any], quoted: str) -> None:
        mode = self.server.behaviour.chat
        if mode == "refuse":
            return self._send(400, {"error": {"message": "As of transformers v4.44, default chat template is no "
                                              "longer allowed, so you must provide a chat template", "code": 400}})
        user = [m["content"] for m in body["messages"] if m["role"] == "user"][-1]
        content = {"echo": user, "long": ANSWER * 100}.get(mode, ANSWER) + quoted
        return self._send(200, {"object": "chat.completion", "model": body["model"], "choices": [
            {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]})


class StandInServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, behaviour: Behaviour) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.behaviour = behaviour
        self.hits: list[Recorded] = []
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up mid-answer (the probe stops reading an oversized body) is expected;
        anything else is the stand-in's own bug and is printed."""
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> StandInServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=5)

    def posts(self, path: str) -> list[Recorded]:
        return [h for h in self.hits if h.method == "POST" and h.path == path]
