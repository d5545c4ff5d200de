"""Gemini through the google-genai SDK: a :class:`ModelRequest` in, backend events out.

One ``genai.Client`` per session (:func:`make_client`), shared by every :class:`GeminiBackend`
(one per model). The backend streams with automatic function calling off (registered functions
run in the kernel, visibly), retries 429 and 503 itself honouring the server's ``RetryInfo``
(the SDK's own retry ignores it), and turns every failure into a one-line
:class:`~jupyter_codegen.errors.BackendError` (worded by
:mod:`jupyter_codegen.model.backends.gemini_errors`).

Retry policy: 429 RESOURCE_EXHAUSTED and 503 UNAVAILABLE are retried, up to ``max_retries``
times after the first attempt, and only before the first event reached the caller. The wait is
the server's ``RetryInfo.retryDelay`` (or ``Retry-After``), else 1 s, 2 s, 4 s, ...; a wait longer
than ``max_retry_delay_s`` is not slept through: the error says how long the server asked for.
500 INTERNAL is not retried: the service documents it as a request that failed on its side and
that a retry of the same request usually reproduces (long context, tool schema), so the user
gets the message at once instead of after three slow failures. Timeouts, refused connections and
dropped connections are not retried either.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable, Generator, Iterator
from contextlib import AbstractContextManager
from types import TracebackType
from typing import TYPE_CHECKING, Any

from jupyter_codegen.errors import BackendError
from jupyter_codegen.model.backends.base import (
    BackendEvent,
    Capabilities,
    CodeEvent,
    CodeResultEvent,
    CodeResultPart,
    ExecutableCodePart,
    FinishEvent,
    FunctionCallEvent,
    FunctionCallPart,
    FunctionResponsePart,
    ModelRequest,
    TextDelta,
    TextPart,
    Turn,
    UsageEvent,
)
from jupyter_codegen.model.backends.gemini_errors import (
    KEY_ENV_VARS,
    clip_message,
    is_api_error,
    is_auth_error,
    secret_values,
    server_retry_delay,
    to_backend_error,
    vertex_credentials_message,
)

if TYPE_CHECKING:
    from google import genai
    from google.genai import types

#: Seconds the client waits for the server (connect, and each read while streaming).
DEFAULT_TIMEOUT_S = 120.0

NO_KEY_MESSAGE = (
    "No Gemini API key: set GEMINI_API_KEY (or GOOGLE_API_KEY), or run offline with -m local."
)

_VERTEX_ENV_VARS = ("GOOGLE_GENAI_USE_ENTERPRISE", "GOOGLE_GENAI_USE_VERTEXAI")

#: Loggers of the SDK and its HTTP stack; their records would land in cell output.
_NOISY_LOGGERS = ("google_genai", "httpx2", "httpcore2", "httpx", "httpcore")

#: Status codes worth a retry: rate limit / quota, and "service unavailable" (overload).
_RETRYABLE_CODES = frozenset({429, 503})

#: Thought signatures remembered per backend, to send them back with their function calls.
_MAX_SIGNATURES = 512

_FINISH_MESSAGES = {
    "SAFETY": "Gemini stopped its reply on safety grounds (SAFETY): rephrase the prompt.",
    "RECITATION": (
        "Gemini stopped its reply because it was reciting existing text (RECITATION): "
        "rephrase the prompt or ask for original code."
    ),
    "PROHIBITED_CONTENT": (
        "Gemini stopped its reply: prohibited content (PROHIBITED_CONTENT): rephrase the prompt."
    ),
    "BLOCKLIST": (
        "Gemini stopped its reply: it contained a blocked term (BLOCKLIST): rephrase the prompt."
    ),
    "SPII": (
        "Gemini stopped its reply: it contained sensitive personal data (SPII): "
        "leave such data out of the prompt."
    ),
    "MALFORMED_FUNCTION_CALL": (
        "Gemini produced a malformed function call (MALFORMED_FUNCTION_CALL): try again, "
        "or simplify the registered functions' signatures."
    ),
    "OTHER": (
        "Gemini stopped its reply for an unspecified reason (OTHER): try again, "
        "or choose another model with -m."
    ),
}


# --- credentials and the client ---------------------------------------------------------


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true")


def _vertex_enabled() -> bool:
    return any(_env_flag(name) for name in _VERTEX_ENV_VARS)


def has_credentials() -> bool:
    """True when the environment names a Gemini key or opts into Vertex AI: enough to choose
    the Gemini backend automatically. Creates no client and reads no files."""
    return any(os.environ.get(v, "").strip() for v in KEY_ENV_VARS) or _vertex_enabled()


def make_client(
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    base_url: str | None = None,
    api_key: str | None = None,
) -> genai.Client:
    """The session's one ``genai.Client``, shared by every model.

    ``timeout_s`` bounds connecting and each wait for data (the SDK sets no timeout by default).
    ``base_url`` defaults to ``GOOGLE_GEMINI_BASE_URL`` (the SDK reads it); the key to
    ``api_key``, else ``GOOGLE_API_KEY`` / ``GEMINI_API_KEY`` as the SDK resolves them; Vertex AI
    is used when ``GOOGLE_GENAI_USE_VERTEXAI`` (or ``..._ENTERPRISE``) is set. Raises
    :class:`BackendError` (one line) when there is no key or the client cannot be built.
    """
    from google import genai
    from google.genai import types

    key = (api_key or "").strip() or None
    if key is None and not has_credentials():
        raise BackendError(NO_KEY_MESSAGE)
    options = types.HttpOptions(timeout=max(1, round(timeout_s * 1000)))
    if base_url:
        options.base_url = base_url
    secrets = secret_values(key)
    try:
        with _quiet_sdk, warnings.catch_warnings():
            # e.g. "both GOOGLE_API_KEY and GEMINI_API_KEY are set": not worth a cell's output.
            warnings.simplefilter("ignore")
            return genai.Client(api_key=key, http_options=options)
    except ValueError as exc:
        reason = clip_message(str(exc), secrets)
        if _vertex_enabled():
            raise BackendError(
                f"Gemini on Vertex AI could not start ({reason}): set GOOGLE_CLOUD_PROJECT and "
                "GOOGLE_CLOUD_LOCATION, or unset GOOGLE_GENAI_USE_VERTEXAI to use GEMINI_API_KEY."
            ) from None
        if "API key" in reason:
            raise BackendError(NO_KEY_MESSAGE) from None
        raise BackendError(f"Gemini client could not start: {reason}") from None
    except Exception as exc:  # google.auth's errors, when Vertex finds no credentials
        if is_auth_error(exc):
            raise BackendError(vertex_credentials_message(exc, secrets)) from None
        raise


def list_models(client: genai.Client) -> list[str]:
    """Names of the models this key can generate content with, as typed after ``-m``."""
    names: list[str] = []
    try:
        with _quiet_sdk:
            for model in client.models.list():
                actions = model.supported_actions
                if actions and "generateContent" not in actions:
                    continue
                if model.name:
                    names.append(model.name.removeprefix("models/"))
    except Exception as exc:
        error = to_backend_error(exc, model=None, client=client, attempts=1)
        if error is None:
            raise
        raise error from None
    return names


# --- the backend --------------------------------------------------------------------------


class GeminiBackend:
    """A Gemini model behind the :class:`~jupyter_codegen.model.backends.base.Backend` protocol."""

    kind = "gemini"
    capabilities = Capabilities(native_tools=True, code_execution=True, json_schema=True)

    @classmethod
    def create(cls, model: str, *, request_timeout: float, shared: dict[str, Any]) -> GeminiBackend:
        """The backend a session uses: every Gemini model of a session shares one client."""
        client = shared.get("gemini_client")
        if client is None:
            client = shared["gemini_client"] = make_client(timeout_s=request_timeout)
        return cls(model, client)

    @classmethod
    def served_models(
        cls, model: str, *, request_timeout: float, shared: dict[str, Any]
    ) -> list[str]:
        """The Gemini models this key can generate with."""
        client = shared.get("gemini_client")
        if client is None:
            client = shared["gemini_client"] = make_client(timeout_s=request_timeout)
        return list_models(client)

    def __init__(
        self,
        model: str,
        client: genai.Client,
        *,
        max_retries: int = 3,
        max_retry_delay_s: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.model = model
        self.client = client
        self.max_retries = max_retries
        self.max_retry_delay_s = max_retry_delay_s
        self._sleep = sleep
        # Gemini 3 rejects a function call sent back without the thought signature it came with;
        # the engine's turns do not carry signatures, so the backend remembers them.
        self._signatures: OrderedDict[str, bytes] = OrderedDict()

    def stream(self, request: ModelRequest) -> Generator[BackendEvent, None, None]:
        """Stream the reply to ``request`` as events; every failure is a one-line
        :class:`BackendError`. 429/503 are retried before the first event (module docstring)."""
        contents = [self._content(turn) for turn in request.turns if turn.parts]
        config = self._config(request)
        attempt = 0
        while True:
            attempt += 1
            state = _StreamState()
            failure: Exception | None = None
            chunks = self.client.models.generate_content_stream(
                model=self.model, contents=contents, config=config
            )
            try:
                while True:
                    try:
                        with _quiet_sdk:
                            chunk = next(chunks)
                    except StopIteration:
                        break
                    except Exception as exc:
                        failure = exc
                        break
                    # Yield outside the try: an exception thrown in at a yield is not ours.
                    for event in self._events(chunk, state):
                        state.yielded = True
                        yield event
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    with _quiet_sdk:
                        close()
            if failure is None:
                yield from self._finish(request, state)
                return
            delay = None if state.yielded else self._retry_delay(failure, attempt)
            if delay is None:
                error = to_backend_error(
                    failure,
                    model=self.model,
                    client=self.client,
                    attempts=attempt,
                    midstream=state.yielded,
                    max_delay=self.max_retry_delay_s,
                )
                if error is None:
                    raise failure  # not a failure the user can act on: a bug, keep the traceback
                raise error from None
            self._sleep(delay)

    # --- request building

    def _content(self, turn: Turn) -> types.Content:
        from google.genai import types

        parts: list[types.Part] = []
        for part in turn.parts:
            if isinstance(part, TextPart):
                parts.append(types.Part(text=part.text))
            elif isinstance(part, FunctionCallPart):
                parts.append(
                    types.Part(
                        function_call=types.FunctionCall(
                            name=part.name, args=dict(part.args), id=part.id
                        ),
                        thought_signature=self._signatures.get(
                            _call_key(part.name, part.args, part.id)
                        ),
                    )
                )
            elif isinstance(part, FunctionResponsePart):
                parts.append(
                    types.Part(
                        function_response=types.FunctionResponse(
                            name=part.name, response=dict(part.response), id=part.id
                        )
                    )
                )
            elif isinstance(part, ExecutableCodePart):
                parts.append(
                    types.Part(
                        executable_code=types.ExecutableCode(
                            code=part.code, language=types.Language(part.language)
                        )
                    )
                )
            elif isinstance(part, CodeResultPart):
                parts.append(
                    types.Part(
                        code_execution_result=types.CodeExecutionResult(
                            outcome=types.Outcome(part.outcome), output=part.output
                        )
                    )
                )
        return types.Content(role=turn.role, parts=parts)

    def _config(self, request: ModelRequest) -> types.GenerateContentConfig:
        from google.genai import types

        tools: list[types.ToolUnion] = []
        if request.tools:
            tools.append(
                types.Tool(
                    function_declarations=[
                        types.FunctionDeclaration(
                            name=spec.name,
                            description=spec.description,
                            parameters_json_schema=spec.parameters,
                        )
                        for spec in request.tools
                    ]
                )
            )
        if request.code_execution:
            tools.append(types.Tool(code_execution=types.ToolCodeExecution()))
        # No temperature / top_p: the current models deprecate them.
        return types.GenerateContentConfig(
            system_instruction=request.system or None,
            max_output_tokens=request.max_output_tokens,
            stop_sequences=list(request.stop) or None,
            tools=tools or None,
            automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
            response_mime_type="application/json" if request.response_schema else None,
            response_json_schema=request.response_schema,
            temperature=request.temperature,
            seed=request.seed,
        )

    # --- reply reading

    def _events(
        self, chunk: types.GenerateContentResponse, state: _StreamState
    ) -> list[BackendEvent]:
        """The events in one streamed chunk (a list: the caller yields outside its try)."""
        state.chunks += 1
        feedback = chunk.prompt_feedback
        if feedback is not None and feedback.block_reason is not None:
            reason = _enum_name(feedback.block_reason)
            raise BackendError(
                f"Gemini blocked the prompt ({reason}): rephrase it, or leave sensitive data "
                "out of the context."
            )
        events: list[BackendEvent] = []
        candidate = chunk.candidates[0] if chunk.candidates else None
        if candidate is not None:
            content_parts = candidate.content.parts if candidate.content else None
            for part in content_parts or []:
                if part.thought:
                    continue
                if part.function_call is not None:
                    call = part.function_call
                    name, args = call.name or "", dict(call.args or {})
                    if part.thought_signature:
                        self._remember(_call_key(name, args, call.id), part.thought_signature)
                    events.append(FunctionCallEvent(name, args, call.id))
                if part.text:
                    events.append(TextDelta(part.text))
                if part.executable_code is not None:
                    code = part.executable_code
                    events.append(CodeEvent(code.code or "", _enum_name(code.language) or "PYTHON"))
                if part.code_execution_result is not None:
                    result = part.code_execution_result
                    events.append(
                        CodeResultEvent(_enum_name(result.outcome) or "", result.output or "")
                    )
            if candidate.finish_reason is not None:
                state.finish_reason = _enum_name(candidate.finish_reason)
                state.finish_message = candidate.finish_message or ""
        usage = chunk.usage_metadata
        if usage is not None:
            # Thinking tokens count as output: they are billed and count against the limit.
            pair = (
                usage.prompt_token_count or 0,
                (usage.candidates_token_count or 0) + (usage.thoughts_token_count or 0),
            )
            if pair != state.usage:
                state.usage = pair
                events.append(UsageEvent(*pair))
        return events

    def _finish(self, request: ModelRequest, state: _StreamState) -> Iterator[BackendEvent]:
        reason = state.finish_reason
        if reason == "STOP":
            yield FinishEvent("STOP")
            return
        if reason == "MAX_TOKENS":
            raise BackendError(
                f"Gemini's reply was cut off at {request.max_output_tokens} tokens (MAX_TOKENS): "
                f"raise the limit with %gemini config max_output_tokens="
                f"{2 * request.max_output_tokens}, or ask for less in one prompt."
            )
        if reason is None:
            if state.chunks == 0:
                raise BackendError("Gemini sent an empty reply: try again.")
            raise BackendError(
                "Gemini's reply ended without a finish reason, so it may be incomplete: try again."
            )
        message = _FINISH_MESSAGES.get(reason)
        if message is None:
            detail = f": {clip_message(state.finish_message, ())}" if state.finish_message else ""
            message = f"Gemini stopped its reply early ({reason}){detail}; try again."
        raise BackendError(message)

    def _remember(self, key: str, signature: bytes) -> None:
        self._signatures[key] = signature
        self._signatures.move_to_end(key)
        while len(self._signatures) > _MAX_SIGNATURES:
            self._signatures.popitem(last=False)

    # --- retries

    def _retry_delay(self, exc: Exception, attempt: int) -> float | None:
        """Seconds to wait before retrying ``exc`` after ``attempt`` attempts, or None."""
        code = getattr(exc, "code", None)
        if not is_api_error(exc) or code not in _RETRYABLE_CODES or attempt > self.max_retries:
            return None
        delay = server_retry_delay(exc)
        if delay is None:
            delay = float(2 ** (attempt - 1))
        if delay > self.max_retry_delay_s:
            return None
        return delay


class _StreamState:
    """What one attempt has seen so far."""

    def __init__(self) -> None:
        self.chunks = 0
        self.yielded = False
        self.finish_reason: str | None = None
        self.finish_message = ""
        self.usage: tuple[int, int] | None = None


def _call_key(name: str, args: dict[str, Any], call_id: str | None) -> str:
    if call_id:
        return f"id:{call_id}"
    return f"call:{name}:{json.dumps(args, sort_keys=True, default=str)}"


def _enum_name(value: Any) -> str | None:
    if value is None:
        return None
    return str(getattr(value, "value", value))


# --- logging ------------------------------------------------------------------------------


class _QuietSdk(AbstractContextManager["_QuietSdk"]):
    """Silences the SDK's and httpx2's loggers while our calls run, restoring them afterwards.

    Loggers are process-wide, so this guard is too: nested and concurrent entries share one
    depth count, the first saves the levels and the last restores them. Nothing is attached to
    or changed on the root logger, and between our calls the user's own logging is untouched.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._saved: dict[str, int] = {}

    def __enter__(self) -> _QuietSdk:
        with self._lock:
            if self._depth == 0:
                for name in _NOISY_LOGGERS:
                    logger = logging.getLogger(name)
                    self._saved[name] = logger.level
                    logger.setLevel(logging.CRITICAL + 1)
            self._depth += 1
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with self._lock:
            self._depth -= 1
            if self._depth == 0:
                for name, level in self._saved.items():
                    logging.getLogger(name).setLevel(level)
                self._saved.clear()


_quiet_sdk = _QuietSdk()
