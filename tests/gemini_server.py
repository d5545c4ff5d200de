"""A local HTTP server that speaks Gemini's REST wire format, as google-genai 3.x sends it.

Tests point the real SDK at it (``HttpOptions(base_url=server.url)`` or the env var
``GOOGLE_GEMINI_BASE_URL``) so that the whole stack, from ``genai.Client`` down to the bytes on
the socket, runs without network. Replies are scripted::

    with GeminiTestServer() as server:
        server.enqueue(text("Hello, ", "world"), error(429, "slow down", retry_delay=0.05))
        ...
        assert server.requests[0].get("generationConfig", "maxOutputTokens") == 4096

When the queue is empty, an optional ``responder(request) -> reply`` decides (rule-based replies
for notebooks run in CI); with neither, the server answers 500 with a message saying so.

Run standalone for a notebook kernel in another process::

    python tests/gemini_server.py --port 8765 --rules rules.json
    # rules.json: [{"contains": "plot", "reply": "```python\\nprint(1)\\n```"}, {"reply": "ok"}]

It prints its URL on the first line of stdout; set ``GOOGLE_GEMINI_BASE_URL`` to it.

The API key the client sends is checked (when ``valid_keys`` is given) but never stored: a
recorded request only says whether it carried one (``has_key``).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import re
import signal
import socket
import sys
import threading
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

#: Models the server lists; any other ``gemini-*`` name is accepted too (see ``unknown_models``).
DEFAULT_MODELS: tuple[str, ...] = (
    "gemini-3.8-flash",
    "gemini-3.6-flash",
    "gemini-3.5-flash-lite",
    "gemini-3.1-pro-preview",
)

#: A fake, distinctive API key for tests, which assert it never shows up in a message or a log.
FAKE_GEMINI_KEY = "AIzaFAKE-test-key-0123456789-do-not-leak"

#: Headers that carry credentials: dropped from recorded requests, only their presence is kept.
_SECRET_HEADERS = frozenset({"x-goog-api-key", "authorization"})

_GENERATE_ACTIONS = frozenset({"generateContent", "streamGenerateContent"})
_MODEL_PATH = re.compile(
    r"/(?P<version>v\d+(?:alpha|beta)?\d*)/models/(?P<model>[^/:]+):(?P<action>\w+)$"
)
_LIST_PATH = re.compile(r"/(?P<version>v\d+(?:alpha|beta)?\d*)/models$")
_GET_PATH = re.compile(r"/(?P<version>v\d+(?:alpha|beta)?\d*)/models/(?P<model>[^/:]+)$")

#: Upper bound for any wait inside the server (stalls, gates), so a forgotten release never hangs a
#: test run: stop() releases them all anyway.
_MAX_WAIT_S = 60.0


# --- replies ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stream:
    """A 200 reply: ``chunks`` are GenerateContentResponse dicts, one SSE event each when the
    client streams (merged into one JSON body for ``generateContent``). ``error`` (an
    ``{"error": ...}`` dict) is sent as a last event after the chunks: a mid-stream failure.
    ``gate``: after the first chunk the server waits for this event before sending the rest, so a
    test can prove the client sees chunk one before chunk two exists."""

    chunks: tuple[dict[str, Any], ...]
    error: dict[str, Any] | None = None
    gate: threading.Event | None = None


@dataclass(frozen=True)
class HttpError:
    """A non-200 reply with a Google-style ``{"error": {...}}`` body."""

    status_code: int
    body: dict[str, Any]
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Drop:
    """Close the connection without sending any response."""


@dataclass(frozen=True)
class Stall:
    """Wait up to ``seconds`` (released early by :meth:`GeminiTestServer.stop` or
    :meth:`GeminiTestServer.release_stalls`), then send ``then``, or close without a response
    when ``then`` is None. For read-timeout tests."""

    seconds: float
    then: Reply | None = None


Reply = Stream | HttpError | Drop | Stall

#: Decides the reply for a request when the queue is empty.
Responder = Callable[["RecordedRequest"], Reply]


def _candidate(parts: list[dict[str, Any]], finish_reason: str | None = None) -> dict[str, Any]:
    cand: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
    if finish_reason:
        cand["finishReason"] = finish_reason
    return cand


def _chunk(parts: list[dict[str, Any]], finish_reason: str | None = None) -> dict[str, Any]:
    return {"candidates": [_candidate(parts, finish_reason)]}


def _split(text_value: str, n: int) -> list[str]:
    """``text_value`` cut into ``n`` non-empty pieces (fewer if it is shorter than ``n``)."""
    n = max(1, min(n, len(text_value)))
    size = -(-len(text_value) // n) if text_value else 0
    return [text_value[i : i + size] for i in range(0, len(text_value), size)] if size else [""]


def text(
    *pieces: str,
    chunks: int = 1,
    finish_reason: str = "STOP",
    thought: str | None = None,
    usage: tuple[int, int] | None = None,
    gate: threading.Event | None = None,
) -> Stream:
    """A text reply. Several ``pieces`` are sent as one SSE event each; a single piece is cut
    into ``chunks`` events. ``thought`` adds a leading ``"thought": true`` part. ``usage`` is
    (prompt tokens, output tokens) for the last chunk (estimated when omitted)."""
    texts = list(pieces) if len(pieces) > 1 else _split(pieces[0] if pieces else "", chunks)
    out: list[dict[str, Any]] = []
    if thought is not None:
        out.append(_chunk([{"text": thought, "thought": True}]))
    out.extend(_chunk([{"text": t}]) for t in texts)
    _finish_last(out, finish_reason, usage)
    return Stream(tuple(out), gate=gate)


def _finish_last(
    chunks: list[dict[str, Any]], finish_reason: str, usage: tuple[int, int] | None
) -> None:
    """Put ``finishReason`` (and explicit usage) on the last chunk, as the real service does."""
    if not chunks:
        chunks.append(_chunk([]))
    last = chunks[-1]
    cands = last.setdefault("candidates", [_candidate([])])
    cands[0]["finishReason"] = finish_reason
    if usage is not None:
        last["usageMetadata"] = {
            "promptTokenCount": usage[0],
            "candidatesTokenCount": usage[1],
            "totalTokenCount": usage[0] + usage[1],
        }


FunctionCallSpec = dict[str, Any] | tuple[Any, ...]


def function_calls(
    calls: Iterable[FunctionCallSpec], *, text_before: str = "", finish_reason: str = "STOP"
) -> Stream:
    """A reply with ``functionCall`` parts, all in one chunk (parallel calls). Each call is a
    dict (``name``, ``args``, optional ``id``, ``thoughtSignature``) or a tuple
    ``(name, args[, id])``."""
    parts: list[dict[str, Any]] = []
    for call in calls:
        if isinstance(call, dict):
            spec = dict(call)
            sig = spec.pop("thoughtSignature", spec.pop("thought_signature", None))
        else:
            spec = {"name": call[0], "args": call[1] if len(call) > 1 else {}}
            if len(call) > 2 and call[2] is not None:
                spec["id"] = call[2]
            sig = None
        spec.setdefault("args", {})
        part: dict[str, Any] = {"functionCall": spec}
        if sig is not None:
            part["thoughtSignature"] = sig
        parts.append(part)
    out = [_chunk([{"text": text_before}])] if text_before else []
    out.append(_chunk(parts))
    _finish_last(out, finish_reason, None)
    return Stream(tuple(out))


def executable_code(
    code: str,
    output: str,
    *,
    outcome: str = "OUTCOME_OK",
    text_after: str = "",
    language: str = "PYTHON",
) -> Stream:
    """Gemini's server-side code execution: an ``executableCode`` chunk, a
    ``codeExecutionResult`` chunk, then optional closing text."""
    out = [
        _chunk([{"executableCode": {"language": language, "code": code}}]),
        _chunk([{"codeExecutionResult": {"outcome": outcome, "output": output}}]),
    ]
    if text_after:
        out.append(_chunk([{"text": text_after}]))
    _finish_last(out, "STOP", None)
    return Stream(tuple(out))


def parts(
    part_list: Sequence[dict[str, Any]], *, finish_reason: str = "STOP", one_chunk_each: bool = True
) -> Stream:
    """Any parts, verbatim (camelCase wire dicts), one SSE event each by default."""
    out = [_chunk([p]) for p in part_list] if one_chunk_each else [_chunk(list(part_list))]
    _finish_last(out, finish_reason, None)
    return Stream(tuple(out))


def finish(reason: str, partial_text: str = "") -> Stream:
    """A reply that ends with ``reason`` (SAFETY, MAX_TOKENS, RECITATION, ...) after optional
    partial text."""
    out = [_chunk([{"text": partial_text}])] if partial_text else []
    _finish_last(out, reason, None)
    if not partial_text:
        # The real service sends no content at all with a safety stop.
        out[-1]["candidates"][0].pop("content", None)
    return Stream(tuple(out))


def prompt_blocked(reason: str = "SAFETY") -> Stream:
    """The prompt itself was refused: ``promptFeedback.blockReason`` and no candidates."""
    return Stream(({"promptFeedback": {"blockReason": reason}},))


_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def _error_body(
    code: int, message: str, status: str | None, details: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    err: dict[str, Any] = {
        "code": code,
        "message": message,
        "status": status or _STATUS_NAMES.get(code, "UNKNOWN"),
    }
    if details:
        err["details"] = details
    return {"error": err}


def error(
    status_code: int,
    message: str,
    status: str | None = None,
    retry_delay: float | None = None,
    *,
    reason: str | None = None,
    retry_after_header: float | None = None,
) -> HttpError:
    """An HTTP error with Google's error body. ``retry_delay`` adds a ``RetryInfo`` detail
    (``"0.05s"``); ``reason`` adds an ``ErrorInfo`` detail (e.g. ``API_KEY_INVALID``);
    ``retry_after_header`` sends a ``Retry-After`` header."""
    details: list[dict[str, Any]] = []
    if reason is not None:
        details.append(
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": reason,
                "domain": "googleapis.com",
            }
        )
    if retry_delay is not None:
        details.append(
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": f"{retry_delay}s"}
        )
    headers: tuple[tuple[str, str], ...] = ()
    if retry_after_header is not None:
        headers = (("Retry-After", f"{retry_after_header:g}"),)
    return HttpError(status_code, _error_body(status_code, message, status, details), headers)


def midstream_error(
    *pieces: str, code: int = 500, message: str = "Internal error", status: str | None = None
) -> Stream:
    """Some text chunks (no finish reason), then an ``{"error": ...}`` event."""
    chunks = tuple(_chunk([{"text": p}]) for p in (pieces or ("partial ",)))
    return Stream(chunks, error=_error_body(code, message, status))


def drop() -> Drop:
    """Close the connection without a response."""
    return Drop()


def stall(seconds: float, then: Reply | None = None) -> Stall:
    """Hold the reply up to ``seconds`` (released on server stop), then send ``then`` if given."""
    return Stall(seconds, then)


# --- recorded requests ------------------------------------------------------------------------


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def pick(obj: Any, key: str, default: Any = None) -> Any:
    """``obj[key]`` accepting the camelCase or snake_case spelling of ``key`` (the SDK sends
    some nested keys in snake_case)."""
    if not isinstance(obj, dict):
        return default
    if key in obj:
        return obj[key]
    snake = _snake(key)
    if snake in obj:
        return obj[snake]
    camel = re.sub(r"_([a-z])", lambda m: m.group(1).upper(), key)
    return obj.get(camel, default)


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it. Credential headers are not kept: ``has_key`` only."""

    method: str
    path: str
    api_version: str | None
    model: str | None
    action: str | None
    body: dict[str, Any] | None
    headers: dict[str, str]
    has_key: bool

    @property
    def stream(self) -> bool:
        """True for ``streamGenerateContent``."""
        return self.action == "streamGenerateContent"

    def get(self, *keys: str, default: Any = None) -> Any:
        """Nested lookup in the body, each key in either spelling:
        ``req.get("generationConfig", "responseJsonSchema")``."""
        node: Any = self.body
        for key in keys:
            node = pick(node, key)
            if node is None:
                return default
        return node

    @property
    def contents(self) -> list[dict[str, Any]]:
        return list(self.get("contents", default=[]))

    @property
    def system_text(self) -> str:
        """The text of ``systemInstruction`` ("" when absent)."""
        parts_ = pick(self.get("systemInstruction", default={}), "parts", []) or []
        return "".join(str(pick(p, "text", "")) for p in parts_)

    @property
    def last_user_text(self) -> str:
        """The text of the last user turn; function responses in it appear as their JSON, so
        rules can also match on a function's result."""
        for content in reversed(self.contents):
            if pick(content, "role", "user") != "user":
                continue
            out: list[str] = []
            for part in pick(content, "parts", []) or []:
                if pick(part, "text") is not None:
                    out.append(str(pick(part, "text")))
                elif pick(part, "functionResponse") is not None:
                    out.append(json.dumps({"functionResponse": pick(part, "functionResponse")}))
            return "\n".join(out)
        return ""

    @property
    def tools(self) -> list[dict[str, Any]]:
        return list(self.get("tools", default=[]))

    @property
    def function_declarations(self) -> list[dict[str, Any]]:
        """All declared functions as ``{"name", "description", "parameters"}``, whichever of
        ``parameters`` / ``parametersJsonSchema`` the client used."""
        out = []
        for tool in self.tools:
            for decl in pick(tool, "functionDeclarations", []) or []:
                params = pick(decl, "parametersJsonSchema")
                if params is None:
                    params = pick(decl, "parameters")
                out.append(
                    {
                        "name": pick(decl, "name"),
                        "description": pick(decl, "description"),
                        "parameters": params,
                    }
                )
        return out


# --- rules for standalone / CI use ------------------------------------------------------------


def reply_from_rule(rule: dict[str, Any]) -> Reply:
    """A reply from one rule: ``reply`` (text, cut into ``chunks``), ``function_calls``
    (list of ``{"name", "args", "id"?}``) or ``error`` (``{"code", "message", "status"?}``)."""
    if "error" in rule:
        err = rule["error"]
        return error(int(err["code"]), str(err.get("message", "")), err.get("status"))
    if "function_calls" in rule:
        return function_calls(rule["function_calls"], text_before=str(rule.get("reply", "")))
    return text(str(rule.get("reply", "")), chunks=int(rule.get("chunks", 1)))


def rules_responder(rules: Sequence[dict[str, Any]]) -> Responder:
    """A responder for rule lists: the first rule whose ``contains`` is a substring of the
    request's last user text wins; a rule without ``contains`` matches anything. No match: 500
    saying which text matched nothing."""
    rules = list(rules)

    def respond(request: RecordedRequest) -> Reply:
        last = request.last_user_text
        for rule in rules:
            if str(rule.get("contains", "")) in last:
                return reply_from_rule(rule)
        return error(500, f"gemini test server: no rule matches {last[:80]!r}", "INTERNAL")

    return respond


# --- the server -------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: GeminiTestServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (read timeout) makes our late write fail: expected, not news.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError, OSError)):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Silence the per-request access log."""

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self.server.owner._handle(self)

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        self.server.owner._handle(self)


class GeminiTestServer:
    """A scripted Gemini REST endpoint on 127.0.0.1 (free port), served from a daemon thread.

    ``unknown_models``: ``gemini-*`` names answered with 404 NOT_FOUND like the real service
    (any non-``gemini-*`` name is unknown too). ``valid_keys``: when given, other keys get the
    real service's 400 ``API_KEY_INVALID``; a request without a key always gets 403.
    """

    def __init__(
        self,
        *,
        responder: Responder | None = None,
        unknown_models: Collection[str] = (),
        valid_keys: Collection[str] | None = None,
        models: Sequence[str] = DEFAULT_MODELS,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.responder = responder
        self.unknown_models = set(unknown_models)
        self._valid_keys = frozenset(valid_keys) if valid_keys is not None else None
        self.models = tuple(models)
        self._host = host
        self._port = port
        self._queue: deque[Reply] = deque()
        self._requests: list[RecordedRequest] = []
        self._cond = threading.Condition()
        self._release = threading.Event()
        self._ids = itertools.count(1)
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle

    def start(self) -> GeminiTestServer:
        """Bind and serve in a daemon thread; returns self."""
        if self._httpd is not None:
            return self
        self._release.clear()
        httpd = _Server((self._host, self._port), _Handler)
        httpd.owner = self
        self._httpd = httpd
        # A short poll interval keeps stop() (which waits for the loop to notice) fast.
        self._thread = threading.Thread(
            target=httpd.serve_forever, args=(0.02,), name="gemini-test-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Release every stall and gate wait, stop serving and close the socket."""
        self._release.set()
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> GeminiTestServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("GeminiTestServer is not running")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """The base URL to give the SDK (no trailing slash, no API version)."""
        return f"http://{self._host}:{self.port}"

    # --- scripting

    def enqueue(self, *replies: Reply) -> None:
        """Queue replies for the next generate requests, in order."""
        with self._cond:
            self._queue.extend(replies)

    @property
    def pending(self) -> int:
        """Replies still queued."""
        with self._cond:
            return len(self._queue)

    def release_stalls(self) -> None:
        """Let every stalled or gated reply proceed now (stop() does this too)."""
        self._release.set()

    def reset(self) -> None:
        """Forget recorded requests and queued replies (the responder stays)."""
        with self._cond:
            self._queue.clear()
            self._requests.clear()

    # --- inspection

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of the requests received so far, oldest first."""
        with self._cond:
            return list(self._requests)

    @property
    def request_count(self) -> int:
        with self._cond:
            return len(self._requests)

    def wait_for_requests(self, n: int, timeout: float = 5.0) -> bool:
        """Block until at least ``n`` requests arrived (or ``timeout``); True if they did."""
        with self._cond:
            return self._cond.wait_for(lambda: len(self._requests) >= n, timeout=timeout)

    # --- serving (runs on handler threads)

    def _handle(self, h: _Handler) -> None:
        h.close_connection = True
        split = urlsplit(h.path)
        # A key in the query string is a credential too: keep it out of the recorded path.
        query = [(k, v) for k, v in parse_qsl(split.query) if k != "key"]
        has_key = any(k == "key" for k, _ in parse_qsl(split.query))
        path = split.path + (f"?{urlencode(query)}" if query else "")
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            self._send_json(h, 400, _error_body(400, "Invalid JSON payload received.", None))
            return
        headers = {k.lower(): v for k, v in h.headers.items() if k.lower() not in _SECRET_HEADERS}
        key = h.headers.get("x-goog-api-key")
        has_key = has_key or bool(key) or bool(h.headers.get("authorization"))

        m = _MODEL_PATH.search(split.path)
        version = model = action = None
        if m:
            version, model, action = m["version"], m["model"], m["action"]
        elif lm := (_LIST_PATH.search(split.path) or _GET_PATH.search(split.path)):
            version = lm["version"]
            model = lm.groupdict().get("model")
            action = "get" if model else "list"
        request = RecordedRequest(
            method=h.command,
            path=path,
            api_version=version,
            model=model,
            action=action,
            body=body if isinstance(body, dict) else None,
            headers=headers,
            has_key=has_key,
        )
        with self._cond:
            self._requests.append(request)
            self._cond.notify_all()

        if not has_key:
            self._send_json(
                h,
                403,
                _error_body(
                    403,
                    "Method doesn't allow unregistered callers (callers without established "
                    "identity). Please use API Key or other form of API consumer identity to "
                    "call this API.",
                    "PERMISSION_DENIED",
                ),
            )
            return
        if self._valid_keys is not None and key not in self._valid_keys:
            self._send(
                h,
                error(
                    400,
                    "API key not valid. Please pass a valid API key.",
                    "INVALID_ARGUMENT",
                    reason="API_KEY_INVALID",
                ),
                request,
            )
            return
        if action is None:
            self._send_json(h, 404, _error_body(404, f"Unknown path {split.path}", "NOT_FOUND"))
            return
        if model is not None and not self._known(model):
            self._send_json(
                h,
                404,
                _error_body(
                    404,
                    f"models/{model} is not found for API version {version}, or is not "
                    f"supported for {action or 'this method'}. Call ListModels to see the list "
                    "of available models and their supported methods.",
                    "NOT_FOUND",
                ),
            )
            return
        if action == "list":
            self._send_json(h, 200, {"models": [self._model_info(n) for n in self.models]})
        elif action == "get":
            self._send_json(h, 200, self._model_info(str(model)))
        elif action == "countTokens":
            self._send_json(h, 200, {"totalTokens": max(1, len(raw) // 4)})
        elif action in _GENERATE_ACTIONS:
            self._send(h, self._next_reply(request), request)
        else:
            self._send_json(h, 404, _error_body(404, f"Unknown method {action}", "NOT_FOUND"))

    def _known(self, model: str) -> bool:
        name = model.removeprefix("models/")
        return name.startswith("gemini-") and name not in self.unknown_models

    def _model_info(self, name: str) -> dict[str, Any]:
        return {
            "name": f"models/{name}",
            "displayName": name,
            "inputTokenLimit": 1048576,
            "outputTokenLimit": 65536,
            "supportedGenerationMethods": ["generateContent", "countTokens"],
        }

    def _next_reply(self, request: RecordedRequest) -> Reply:
        with self._cond:
            if self._queue:
                return self._queue.popleft()
        if self.responder is not None:
            return self.responder(request)
        return error(
            500,
            "gemini test server: no reply queued and no responder set "
            f"(request {self.request_count}: {request.action} {request.model})",
            "INTERNAL",
        )

    def _send(self, h: _Handler, reply: Reply, request: RecordedRequest) -> None:
        if isinstance(reply, Drop):
            return  # close_connection is set: the socket closes with nothing written
        if isinstance(reply, Stall):
            self._release.wait(min(reply.seconds, _MAX_WAIT_S))
            if reply.then is not None:
                self._send(h, reply.then, request)
            return
        if isinstance(reply, HttpError):
            self._send_json(h, reply.status_code, reply.body, reply.headers)
            return
        chunks = [self._decorate(c, request) for c in reply.chunks]
        if not request.stream:
            if reply.error is not None:
                code = int(reply.error["error"].get("code", 500))
                self._send_json(h, code, reply.error)
            else:
                self._send_json(h, 200, _merge(chunks))
            return
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Connection", "close")
        h.end_headers()
        for i, chunk in enumerate(chunks):
            self._event(h, chunk)
            if i == 0 and reply.gate is not None:
                gate = reply.gate
                # Poll two events (the test's gate, and server stop) in short waits.
                for _ in range(int(_MAX_WAIT_S / 0.02)):
                    if gate.wait(0.02) or self._release.is_set():
                        break
        if reply.error is not None:
            self._event(h, reply.error)

    def _decorate(self, chunk: dict[str, Any], request: RecordedRequest) -> dict[str, Any]:
        """Add modelVersion, responseId and (on the finishing chunk) estimated usage."""
        out = dict(chunk)
        out.setdefault("modelVersion", request.model)
        out.setdefault("responseId", f"resp-{next(self._ids)}")
        cands = out.get("candidates") or []
        if cands and cands[0].get("finishReason") and "usageMetadata" not in out:
            prompt = max(1, len(json.dumps(request.body or {})) // 4)
            output = max(1, len(json.dumps(cands[0].get("content", {}))) // 4)
            out["usageMetadata"] = {
                "promptTokenCount": prompt,
                "candidatesTokenCount": output,
                "totalTokenCount": prompt + output,
            }
        return out

    @staticmethod
    def _event(h: _Handler, payload: dict[str, Any]) -> None:
        h.wfile.write(b"data: " + json.dumps(payload).encode() + b"\r\n\r\n")
        h.wfile.flush()

    @staticmethod
    def _send_json(
        h: _Handler,
        status: int,
        payload: dict[str, Any],
        headers: Iterable[tuple[str, str]] = (),
    ) -> None:
        data = json.dumps(payload).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json; charset=UTF-8")
        h.send_header("Content-Length", str(len(data)))
        h.send_header("Connection", "close")
        for name, value in headers:
            h.send_header(name, value)
        h.end_headers()
        h.wfile.write(data)
        h.wfile.flush()


def _merge(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    """Stream chunks folded into one non-streaming GenerateContentResponse."""
    merged_parts: list[dict[str, Any]] = []
    out: dict[str, Any] = {}
    finish_reason = None
    for chunk in chunks:
        for key in ("promptFeedback", "usageMetadata", "modelVersion", "responseId"):
            if key in chunk:
                out[key] = chunk[key]
        for cand in chunk.get("candidates") or []:
            for part in (cand.get("content") or {}).get("parts", []):
                if merged_parts and set(part) == {"text"} and set(merged_parts[-1]) == {"text"}:
                    merged_parts[-1] = {"text": merged_parts[-1]["text"] + part["text"]}
                else:
                    merged_parts.append(part)
            finish_reason = cand.get("finishReason", finish_reason)
    if chunks and any(c.get("candidates") for c in chunks):
        out["candidates"] = [_candidate(merged_parts, finish_reason)]
    return out


def closed_port_url() -> tuple[str, socket.socket]:
    """A base URL nothing listens on, and the bound (not listening) socket that keeps the port
    taken: connecting is refused while the socket stays open. Close it when done."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return f"http://127.0.0.1:{sock.getsockname()[1]}", sock


def _iter_rules(path: Path) -> Iterator[dict[str, Any]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise SystemExit(f"{path}: expected a JSON list of rules")
    for rule in data:
        if not isinstance(rule, dict):
            raise SystemExit(f"{path}: each rule must be an object, got {rule!r}")
        yield rule


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until interrupted, printing the base URL on the first line of stdout."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--rules", type=Path, help='JSON list of {"contains": ..., "reply": ...}')
    parser.add_argument("--unknown-model", action="append", default=[], metavar="NAME")
    args = parser.parse_args(argv)
    responder = rules_responder(list(_iter_rules(args.rules))) if args.rules else None
    server = GeminiTestServer(
        responder=responder, unknown_models=args.unknown_model, host=args.host, port=args.port
    )
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    with server:
        print(server.url, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stopped.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
