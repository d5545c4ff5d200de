"""A local HTTP server that speaks the OpenAI chat-completions wire format (as Ollama, vLLM,
llama.cpp's server and LM Studio do), scripted by the test: streamed replies as server-sent
events, tool calls, usage, ``GET /v1/models``, and the faults the error matrix needs (status
codes with ``Retry-After``, a stall past the client's timeout, a connection dropped mid-stream,
an empty reply). The real ``openai`` SDK talks to it over loopback.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Chat:
    """A streamed reply: text in pieces, then tool calls, then usage."""

    text: str = ""
    tool_calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    finish: str = "stop"
    #: Drop the connection after this many text pieces (None: never).
    drop_after: int | None = None
    #: Seconds to wait before the first byte (a read timeout on the client's side).
    stall: float = 0.0


@dataclass
class Status:
    """An HTTP error reply in OpenAI's error shape."""

    code: int
    message: str = "error"
    retry_after: float | None = None


Reply = Chat | Status
Responder = Callable[[dict[str, Any], int], Reply]


@dataclass
class Recorded:
    path: str
    body: dict[str, Any]
    headers: dict[str, str]


class OpenAITestServer:
    """``with OpenAITestServer(responder) as server:`` serves at ``server.url`` (``.../v1``).

    ``responder(body, n)`` gets each chat request's JSON body and its number (from 1)."""

    def __init__(self, responder: Responder, models: tuple[str, ...] = ("tiny-coder",)) -> None:
        self.responder = responder
        self.models = models
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def _record(self, body: dict[str, Any]) -> int:
                with outer._lock:
                    outer.requests.append(Recorded(self.path, body, dict(self.headers)))
                    return sum(1 for r in outer.requests if r.path.endswith("/completions"))

            def _json(self, code: int, payload: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                self._record({})
                if self.path.rstrip("/").endswith("/models"):
                    data = [{"id": m, "object": "model", "owned_by": "test"} for m in outer.models]
                    self._json(200, {"object": "list", "data": data})
                else:
                    self._json(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                n = self._record(body)
                if body.get("model") not in outer.models:
                    self._json(
                        404, {"error": {"message": f"model '{body.get('model')}' not found"}}
                    )
                    return
                reply = outer.responder(body, n)
                if isinstance(reply, Status):
                    headers = {}
                    if reply.retry_after is not None:
                        headers["Retry-After"] = f"{reply.retry_after:g}"
                    self._json(reply.code, {"error": {"message": reply.message}}, headers)
                    return
                if reply.stall:
                    outer._release.wait(reply.stall)
                self._stream(body, reply)

            def _stream(self, body: dict[str, Any], reply: Chat) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                model = body.get("model")

                def send(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> None:
                    chunk = {
                        "id": "chatcmpl-test",
                        "object": "chat.completion.chunk",
                        "created": int(time.time()),
                        "model": model,
                        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                        **extra,
                    }
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()

                pieces = [reply.text[i : i + 7] for i in range(0, len(reply.text), 7)]
                send({"role": "assistant", "content": ""})
                for i, piece in enumerate(pieces):
                    if reply.drop_after is not None and i >= reply.drop_after:
                        self.wfile.flush()
                        self.connection.shutdown(2)
                        return
                    send({"content": piece})
                for i, (name, args) in enumerate(reply.tool_calls):
                    call = {
                        "index": i,
                        "id": f"call_{i}",
                        "type": "function",
                        "function": {"name": name, "arguments": json.dumps(args)},
                    }
                    send({"tool_calls": [call]})
                send({}, reply.finish)
                usage = {"prompt_tokens": 11, "completion_tokens": len(pieces), "total_tokens": 0}
                chunk = {"id": "chatcmpl-test", "object": "chat.completion.chunk", "model": model}
                self.wfile.write(
                    f"data: {json.dumps({**chunk, 'choices': [], 'usage': usage})}\n\n".encode()
                )
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client that hung up on a stall or a drop: what the test wanted

        self._server = Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def chat_requests(self) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/completions")]

    def __enter__(self) -> OpenAITestServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
