"""OpenAI-compatible model servers (Ollama, vLLM, llama.cpp's server, LM Studio, a team's shared
endpoint, OpenAI itself) through the official ``openai`` SDK: ``-m openai:MODEL`` and
``-m ollama:MODEL``.

Where the server is:

* ``openai:MODEL``: ``%gemini config openai_base_url=URL`` (or ``c.Codegen.openai_base_url``),
  else the SDK's own ``OPENAI_BASE_URL``, else OpenAI's API. The key is the SDK's own
  ``OPENAI_API_KEY``; a server of your own that wants none needs none. The key is never put in
  a config file the project writes, nor in a message.
* ``ollama:MODEL``: ``OLLAMA_HOST`` (``host:port`` or a URL), else ``http://localhost:11434``;
  Ollama's OpenAI-compatible API lives under ``/v1``. No key.

Retries: 429 and 503 only (rate limits and overload), up to ``max_retries`` times, before the
first token, waiting what the server's ``Retry-After`` asks (else 1 s, 2 s, ...; a wait over
``max_retry_delay_s`` is not slept through: the error says how long). Timeouts, refused
connections and 500 are not retried, as on the Gemini path: a hung or failing server is said at
once, not after three times the request timeout. (The SDK's own retries are off: they retry
timeouts too.) Every failure is a
one-line :class:`~jupyter_codegen.errors.BackendError`.

What a server lacks: most serve native function calls (``tools``) and JSON-schema output
(``response_format``); some do not (older llama.cpp builds, some vLLM models without a tool
parser). ``c.Codegen.openai_lacks = "tools,response_format"`` (or ``%gemini config``) says so up
front: the backend's capabilities drop them, so the modes call registered functions from code and
read ``--ui=spec`` replies as text, validated. Undeclared, a 400 that names the field is found on
the first request: asked again without it, once per server, with a one-line note under the cell.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, overload

from jupyter_codegen.config import OPENAI_FEATURES
from jupyter_codegen.errors import BackendError
from jupyter_codegen.model.backends.base import (
    BackendEvent,
    Capabilities,
    CodeResultPart,
    ExecutableCodePart,
    FinishEvent,
    FunctionCallEvent,
    FunctionCallPart,
    FunctionResponsePart,
    ModelRequest,
    TextDelta,
    TextPart,
    UsageEvent,
)

if TYPE_CHECKING:
    import openai

OLLAMA_DEFAULT = "http://localhost:11434"
#: Sent where the server needs no key (the SDK refuses to start without one).
_NO_KEY = "no-key-needed"
_FINISH = {"stop": "STOP", "length": "MAX_TOKENS", "tool_calls": "STOP", "content_filter": "SAFETY"}
_NOISY_LOGGERS = ("openai", "httpx", "httpcore")


@dataclass(frozen=True)
class Endpoint:
    """Where an ``openai:``/``ollama:`` model is served, and with which key (never shown)."""

    base_url: str
    api_key: str | None
    #: The model id the server knows (the name after the prefix).
    model_id: str
    #: Where the base URL came from, for %gemini status.
    source: str

    @property
    def key_set(self) -> bool:
        return bool(self.api_key) and self.api_key != _NO_KEY


def endpoint_for(model: str, configured_base_url: str = "") -> Endpoint:
    """The endpoint of ``model`` (``openai:ID`` or ``ollama:ID``); one-line error when the
    name has no model id or no server can be found."""
    prefix, _, model_id = model.partition(":")
    model_id = model_id.strip()
    if not model_id:
        raise BackendError(
            f"'{model}' names no model: write {prefix}:MODEL (e.g. {prefix}:qwen2.5-coder:7b); "
            f"%gemini models -m {prefix}: lists what the server serves."
        )
    if prefix == "ollama":
        host = os.environ.get("OLLAMA_HOST", "").strip()
        source = "OLLAMA_HOST" if host else "Ollama's default"
        base = _ollama_url(host or OLLAMA_DEFAULT)
        return Endpoint(base, _NO_KEY, model_id, source)
    key = os.environ.get("OPENAI_API_KEY", "").strip() or None
    if configured_base_url.strip():
        base, source = configured_base_url.strip(), "openai_base_url setting"
    elif os.environ.get("OPENAI_BASE_URL", "").strip():
        base, source = os.environ["OPENAI_BASE_URL"].strip(), "OPENAI_BASE_URL"
    else:
        if key is None:
            raise BackendError(
                "No OpenAI-compatible server: set OPENAI_BASE_URL (or %gemini config "
                "openai_base_url=http://host:port/v1) for a server of your own, or "
                "OPENAI_API_KEY for OpenAI's API."
            )
        base, source = "https://api.openai.com/v1", "OpenAI's API"
    return Endpoint(base.rstrip("/"), key or _NO_KEY, model_id, source)


def _ollama_url(host: str) -> str:
    url = host if "://" in host else f"http://{host}"
    url = url.rstrip("/")
    return url if url.endswith("/v1") else f"{url}/v1"


def make_client(endpoint: Endpoint, *, timeout_s: float) -> openai.OpenAI:
    import openai

    for name in _NOISY_LOGGERS:  # their records would land in cell output
        logging.getLogger(name).setLevel(logging.WARNING)
    return openai.OpenAI(
        base_url=endpoint.base_url,
        api_key=endpoint.api_key,
        timeout=timeout_s,
        max_retries=0,  # ours, in the backend (module docstring)
    )


def list_models(client: openai.OpenAI) -> list[str]:
    """The model ids the server serves (GET /v1/models), as typed after the prefix."""
    try:
        return sorted(m.id for m in client.models.list())
    except Exception as exc:
        raise _backend_error(exc, client, None, attempts=1) from None


def _client(shared: dict[str, Any], endpoint: Endpoint, timeout_s: float) -> openai.OpenAI:
    """One client per server, key and timeout in a session (its connections are pooled)."""
    clients = shared.setdefault("openai_clients", {})
    key = (endpoint.base_url, endpoint.api_key, timeout_s)
    if key not in clients:
        clients[key] = make_client(endpoint, timeout_s=timeout_s)
    return clients[key]


def describe_endpoint(model: str, configured_base_url: str = "") -> str:
    """For %gemini status: where ``model`` is served and whether a key is set (never the key)."""
    try:
        endpoint = endpoint_for(model, configured_base_url)
    except BackendError as exc:
        return f"none — {exc}"
    key = "set" if endpoint.key_set else "not set"
    return f"{endpoint.base_url} ({endpoint.source}) · key: {key}"


# --- what a server lacks ------------------------------------------------------------------


@dataclass(frozen=True)
class _Feature:
    #: The Capabilities field it gives.
    capability: str
    #: What it is, for the user.
    what: str
    #: Words of a 400 that rejects it.
    words: tuple[str, ...]
    #: What happens without it.
    instead: str


#: The request fields a server may not support (``c.Codegen.openai_lacks`` names them): the one
#: table the declaration, the 400 detection, the capabilities and %gemini status read.
_FEATURES = {
    "tools": _Feature(
        "native_tools",
        "native function calls",
        ("tool", "function"),
        "registered functions are called from code",
    ),
    "response_format": _Feature(
        "json_schema",
        "JSON-schema output",
        ("response_format", "json_schema", "grammar"),
        "replies are read as text and validated",
    ),
}
assert tuple(_FEATURES) == OPENAI_FEATURES

#: What most such servers do (Ollama, vLLM, llama.cpp's server, LM Studio): function calling and
#: JSON-schema output. Sampling costs a full request: not cheap.
TYPICAL = Capabilities(native_tools=True, json_schema=True)


def declared_lacks(config: Any) -> list[str]:
    """What ``c.Codegen.openai_lacks`` says the server cannot do (request field names)."""
    text = str(getattr(config, "openai_lacks", "") or "")
    return [name for name in (n.strip() for n in text.split(",")) if name in _FEATURES]


def without(capabilities: Capabilities, lacks: Iterable[str]) -> Capabilities:
    """``capabilities`` less what the features in ``lacks`` give."""
    return replace(capabilities, **{_FEATURES[name].capability: False for name in lacks})


def describe_capabilities(config: Any, found: Iterable[str] = ()) -> str:
    """For %gemini status: each feature, whether the server has it, and how that is known."""
    declared, found = set(declared_lacks(config)), set(found)
    parts = []
    for name, feature in _FEATURES.items():
        if name in declared:
            state = "no (openai_lacks)"
        elif name in found:
            state = "no (the server rejected it)"
        else:
            state = "yes"
        parts.append(f"{feature.what} ({name}): {state}")
    return " · ".join(parts)


class _Capabilities:
    """``OpenAICompatibleBackend.capabilities``: on the class, :data:`TYPICAL` (what
    ``capabilities_of`` reads before any backend exists: nothing is created for it); on a
    backend, that less what its server lacks, declared or found, read at each access (a
    ``%gemini config openai_lacks=...`` counts at the next cell)."""

    @overload
    def __get__(self, backend: None, owner: type) -> Capabilities: ...
    @overload
    def __get__(self, backend: OpenAICompatibleBackend, owner: type) -> Capabilities: ...
    def __get__(self, backend: OpenAICompatibleBackend | None, owner: type) -> Capabilities:
        if backend is None:
            return TYPICAL
        return without(TYPICAL, backend.lacks())


# --- the backend --------------------------------------------------------------------------


class OpenAICompatibleBackend:
    """A model on an OpenAI-compatible server behind the Backend protocol."""

    @staticmethod
    def configured_capabilities(config: Any) -> Capabilities:
        """Before a backend exists (the session's first prompt cell): what the server can do
        less what ``openai_lacks`` says it cannot."""
        return without(TYPICAL, declared_lacks(config))

    kind = "openai"
    capabilities = _Capabilities()

    @classmethod
    def create(
        cls, model: str, *, request_timeout: float, shared: dict[str, Any]
    ) -> OpenAICompatibleBackend:
        config = shared.get("config")
        base_url = str(getattr(config, "openai_base_url", "") or "")
        endpoint = endpoint_for(model, base_url)
        backend = cls(model, endpoint, _client(shared, endpoint, request_timeout))
        backend._shared, backend._timeout = shared, request_timeout
        return backend

    @classmethod
    def served_models(
        cls, model: str, *, request_timeout: float, shared: dict[str, Any]
    ) -> list[str]:
        """What the server of ``model`` serves, as names for -m (``openai:ID``)."""
        prefix = model.partition(":")[0]
        config = shared.get("config")
        probe = f"{prefix}:_" if not model.partition(":")[2] else model
        endpoint = endpoint_for(probe, str(getattr(config, "openai_base_url", "") or ""))
        return [
            f"{prefix}:{name}" for name in list_models(_client(shared, endpoint, request_timeout))
        ]

    def __init__(self, model: str, endpoint: Endpoint, client: openai.OpenAI) -> None:
        self.model = model
        self.endpoint = endpoint
        self.client = client
        self._shared: dict[str, Any] | None = None
        self._timeout = 120.0
        self.max_retries = 3
        self.max_retry_delay_s = 30.0
        self._sleep: Callable[[float], None] = time.sleep
        #: Request features this server rejected (found on first use; asked without them).
        self.unsupported: set[str] = set()
        #: The one-line notes shown for them (a feature the server lacks).
        self.notes: list[str] = []
        self._lock = threading.Lock()

    def lacks(self) -> set[str]:
        """The request features this server cannot do: declared (``openai_lacks``) or found."""
        config = self._shared.get("config") if self._shared is not None else None
        return set(declared_lacks(config)) | self.unsupported

    def _follow_settings(self) -> None:
        """A changed ``openai_base_url`` (or environment) takes effect at the next request."""
        if self._shared is None:
            return
        config = self._shared.get("config")
        endpoint = endpoint_for(self.model, str(getattr(config, "openai_base_url", "") or ""))
        if endpoint != self.endpoint:
            self.endpoint = endpoint
            self.client = _client(self._shared, endpoint, self._timeout)
            self.unsupported.clear()

    def stream(self, request: ModelRequest) -> Generator[BackendEvent, None, None]:
        self._follow_settings()
        attempt = 0
        while True:
            attempt += 1
            params = self._params(request)
            try:
                chunks = self.client.chat.completions.create(**params)
            except Exception as exc:
                if self._drop_unsupported(exc, params):
                    continue
                delay = _retry_delay(exc, attempt)
                retry = delay is not None and attempt <= self.max_retries
                if retry and delay is not None and delay <= self.max_retry_delay_s:
                    self._sleep(delay)
                    continue
                raise _backend_error(exc, self.client, self.endpoint, attempts=attempt) from None
            break
        state = _StreamState()
        try:
            while True:
                try:
                    chunk = next(chunks)
                except StopIteration:
                    break
                except Exception as exc:
                    raise _midstream_error(exc, self.endpoint, state.yielded) from None
                for event in state.events(chunk):
                    state.yielded = True
                    yield event
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        yield from state.finish()

    # --- request building

    def _params(self, request: ModelRequest) -> dict[str, Any]:
        messages: list[dict[str, Any]] = []
        if request.system:
            messages.append({"role": "system", "content": request.system})
        for turn in request.turns:
            messages.extend(_messages(turn.role, turn.parts))
        params: dict[str, Any] = {
            "model": self.endpoint.model_id,
            "messages": messages,
            "stream": True,
            "stream_options": {"include_usage": True},
            "max_tokens": request.max_output_tokens,
        }
        if request.stop:
            params["stop"] = list(request.stop)[:4]
        if request.temperature is not None:
            params["temperature"] = request.temperature
        if request.seed is not None:
            params["seed"] = request.seed
        lacks = self.lacks()
        if request.tools and "tools" not in lacks:
            params["tools"] = [
                {
                    "type": "function",
                    "function": {
                        "name": t.name,
                        "description": t.description,
                        "parameters": t.parameters,
                    },
                }
                for t in request.tools
            ]
        if request.response_schema is not None and "response_format" not in lacks:
            params["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "reply", "schema": request.response_schema},
            }
        return params

    def _drop_unsupported(self, exc: BaseException, params: dict[str, Any]) -> bool:
        """On a 400 that names tools or response_format, remember the server lacks it and say
        so once; True when the request should go again without it."""
        if _status(exc) not in (400, 422, 501):
            return False
        text = _message(exc).lower()
        for name, feature in _FEATURES.items():
            if name in params and any(w in text for w in feature.words):
                with self._lock:
                    self.unsupported.add(name)
                    declare = ",".join(sorted(self.lacks()))
                    note = (
                        f"{self.endpoint.base_url} does not support {feature.what}: asked again "
                        f"without; {feature.instead} (%gemini config openai_lacks={declare} "
                        "says so up front)."
                    )
                    self.notes.append(note)
                say = self._shared.get("note") if self._shared is not None else None
                if callable(say):
                    say(note)
                return True
        return False


@dataclass
class _StreamState:
    yielded: bool = False
    finish: Callable[[], Any] = field(init=False)
    _calls: dict[int, dict[str, str]] = field(default_factory=dict)
    #: The finish reason; "" until the server sends one (a stream that ends without one was cut).
    _reason: str = ""
    _usage: tuple[int, int] | None = None
    _text: bool = False

    def __post_init__(self) -> None:
        self.finish = self._finish

    def events(self, chunk: Any) -> list[BackendEvent]:
        out: list[BackendEvent] = []
        usage = getattr(chunk, "usage", None)
        if usage is not None:
            self._usage = (usage.prompt_tokens or 0, usage.completion_tokens or 0)
        for choice in getattr(chunk, "choices", None) or []:
            delta = choice.delta
            if delta is not None and delta.content:
                self._text = True
                out.append(TextDelta(delta.content))
            for call in (delta.tool_calls if delta is not None else None) or []:
                slot = self._calls.setdefault(call.index, {"id": "", "name": "", "args": ""})
                if call.id:
                    slot["id"] = call.id
                if call.function is not None:
                    slot["name"] += call.function.name or ""
                    slot["args"] += call.function.arguments or ""
            if choice.finish_reason:
                self._reason = _FINISH.get(choice.finish_reason, choice.finish_reason.upper())
        return out

    def _finish(self) -> Generator[BackendEvent, None, None]:
        if not self._reason:
            raise BackendError(
                "The model server closed the connection mid-reply (no finish reason came): "
                "nothing was run; try again."
            )
        for slot in self._calls.values():
            try:
                args = json.loads(slot["args"] or "{}")
            except json.JSONDecodeError:
                raise BackendError(
                    f"The server sent a function call to {slot['name'] or '?'} with arguments "
                    "that are not JSON: try again, or use --tools code."
                ) from None
            yield FunctionCallEvent(
                slot["name"], args if isinstance(args, dict) else {}, slot["id"] or None
            )
        if not self._text and not self._calls and self._reason == "STOP":
            raise BackendError(
                "The server sent an empty reply: try again, or choose another model."
            )
        if self._usage is not None:
            yield UsageEvent(prompt_tokens=self._usage[0], output_tokens=self._usage[1])
        yield FinishEvent(self._reason)


def _messages(role: str, parts: tuple[Any, ...]) -> list[dict[str, Any]]:
    """The chat messages of one turn: text, the model's tool calls, their results."""
    text = "".join(p.text for p in parts if isinstance(p, TextPart))
    text += "".join(
        f"\n```python\n{p.code}\n```\n" for p in parts if isinstance(p, ExecutableCodePart)
    )
    text += "".join(f"\nOutput:\n{p.output}\n" for p in parts if isinstance(p, CodeResultPart))
    calls = [p for p in parts if isinstance(p, FunctionCallPart)]
    results = [p for p in parts if isinstance(p, FunctionResponsePart)]
    out: list[dict[str, Any]] = []
    if role == "model":
        message: dict[str, Any] = {"role": "assistant", "content": text or None}
        if calls:
            message["tool_calls"] = [
                {
                    "id": c.id or f"call_{i}",
                    "type": "function",
                    "function": {"name": c.name, "arguments": json.dumps(c.args)},
                }
                for i, c in enumerate(calls)
            ]
        out.append(message)
        return out
    for i, r in enumerate(results):
        out.append(
            {
                "role": "tool",
                "tool_call_id": r.id or f"call_{i}",
                "content": json.dumps(r.response, default=str),
            }
        )
    if text or not results:
        out.append({"role": "user", "content": text})
    return out


# --- errors -------------------------------------------------------------------------------

#: Status codes worth a retry: rate limit, and "service unavailable" (overload).
_RETRYABLE = frozenset({429, 503})


def _retry_delay(exc: BaseException, attempt: int) -> float | None:
    """Seconds to wait before retrying ``exc``; None when it is not retried."""
    if _status(exc) not in _RETRYABLE:
        return None
    response = getattr(exc, "response", None)
    header = response.headers.get("retry-after", "") if response is not None else ""
    try:
        return max(0.0, float(header))
    except ValueError:
        return float(2 ** (attempt - 1))


def _status(exc: BaseException) -> int | None:
    code = getattr(exc, "status_code", None)
    return code if isinstance(code, int) else None


def _message(exc: BaseException) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        if isinstance(error, str):
            return error
    return str(getattr(exc, "message", "") or exc)


def _clip(text: str, endpoint: Endpoint | None) -> str:
    line = " ".join(str(text).split())[:200]
    key = endpoint.api_key if endpoint is not None else None
    if key and key != _NO_KEY:
        line = line.replace(key, "<redacted>")
    return line


def _backend_error(
    exc: BaseException, client: Any, endpoint: Endpoint | None, *, attempts: int
) -> BackendError:
    import openai

    where = endpoint.base_url if endpoint is not None else str(getattr(client, "base_url", ""))
    model = endpoint.model_id if endpoint is not None else ""
    if isinstance(exc, openai.APITimeoutError):
        timeout = getattr(client, "timeout", None)
        shown = f" ({timeout:g} s)" if isinstance(timeout, (int, float)) else ""
        return BackendError(
            f"The model server at {where} did not answer in time{shown}: try again, or raise "
            "%gemini config request_timeout=N."
        )
    if isinstance(exc, openai.APIConnectionError):
        return BackendError(
            f"Cannot reach the model server at {where}: is it running? (check the URL, "
            "OPENAI_BASE_URL / openai_base_url, or OLLAMA_HOST)"
        )
    status = _status(exc)
    reason = _clip(_message(exc), endpoint)
    if status in (401, 403):
        return BackendError(
            f"The model server at {where} refused the key ({status}): check OPENAI_API_KEY."
        )
    if status == 404:
        served = ""
        if endpoint is not None:
            try:
                names = sorted(m.id for m in client.models.list())
                served = f"; it serves: {', '.join(names[:12])}" if names else ""
            except Exception:
                served = ""
        return BackendError(f"Model '{model}' is not served at {where}{served}.")
    if status == 429:
        return BackendError(
            f"The model server at {where} is rate limiting (429) after {attempts} attempts: "
            f"wait and try again ({reason})."
        )
    if status is not None and status >= 500:
        return BackendError(
            f"The model server at {where} failed ({status}) after {attempts} attempts: {reason}"
        )
    if status is not None:
        return BackendError(
            f"The model server at {where} rejected the request ({status}): {reason}"
        )
    return BackendError(f"The model server at {where} failed: {type(exc).__name__}: {reason}")


def _midstream_error(exc: BaseException, endpoint: Endpoint, yielded: bool) -> BackendError:
    import httpx
    import openai

    if isinstance(exc, (httpx.TimeoutException, openai.APITimeoutError)):
        return BackendError(
            f"The model server at {endpoint.base_url} stopped sending mid-reply (read timeout): "
            "try again, or raise %gemini config request_timeout=N."
        )
    if isinstance(exc, openai.APIError) and not isinstance(exc, openai.APIConnectionError):
        return BackendError(
            f"The model server at {endpoint.base_url} sent an error mid-reply: "
            f"{_clip(_message(exc), endpoint)}"
        )
    return BackendError(
        f"The model server at {endpoint.base_url} closed the connection mid-reply"
        + (" (nothing was run)" if yielded else "")
        + ": try again."
    )
