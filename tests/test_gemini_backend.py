"""GeminiBackend with the real google-genai SDK against the local GeminiTestServer."""

from __future__ import annotations

import base64
import json
import logging
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from gemini_server import (
    FAKE_GEMINI_KEY,
    GeminiTestServer,
    Stream,
    closed_port_url,
    drop,
    error,
    executable_code,
    finish,
    function_calls,
    midstream_error,
    pick,
    prompt_blocked,
    rules_responder,
    stall,
    text,
)

from jupyter_codegen.errors import BackendError
from jupyter_codegen.model.backends.base import (
    BackendEvent,
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
    ToolSpec,
    Turn,
    UsageEvent,
    collect,
)
from jupyter_codegen.model.backends.gemini import (
    NO_KEY_MESSAGE,
    GeminiBackend,
    has_credentials,
    list_models,
    make_client,
)

MODEL = "gemini-3.8-flash"

WEATHER = ToolSpec(
    name="get_weather",
    description="Current weather for a city.",
    parameters={
        "type": "object",
        "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["C", "F"]}},
        "required": ["city"],
    },
)


def request(prompt: str = "Plot sales", **kw: Any) -> ModelRequest:
    """A code-mode request with one user turn."""
    return ModelRequest(mode="code", system="You write Python.", turns=(Turn.user(prompt),), **kw)


class Delays:
    """Records retry waits instead of sleeping through them."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def delays() -> Delays:
    return Delays()


@pytest.fixture
def backend(gemini_env: GeminiTestServer, delays: Delays) -> GeminiBackend:
    """A backend on a client built from the environment (base URL and fake key)."""
    return GeminiBackend(MODEL, make_client(timeout_s=10), sleep=delays)


def failure(backend: GeminiBackend, req: ModelRequest | None = None) -> str:
    """The BackendError message of streaming ``req``, checked to be one leak-free line."""
    with pytest.raises(BackendError) as info:
        collect(backend.stream(req or request()))
    return checked(str(info.value))


def checked(message: str) -> str:
    assert "\n" not in message
    assert FAKE_GEMINI_KEY not in message
    assert "Traceback" not in message
    return message


# --- streaming ----------------------------------------------------------------------------


def test_text_streams_chunk_by_chunk(backend: GeminiBackend, gemini_env: GeminiTestServer) -> None:
    gate = threading.Event()
    gemini_env.enqueue(text("Hel", "lo ", "world", gate=gate, usage=(12, 3)))
    events = backend.stream(request())
    # The first chunk arrives while the server still holds the rest back: real streaming.
    assert next(events) == TextDelta("Hel")
    gate.set()
    rest = list(events)
    assert rest == [TextDelta("lo "), TextDelta("world"), UsageEvent(12, 3), FinishEvent("STOP")]
    assert gemini_env.request_count == 1
    req = gemini_env.requests[0]
    assert req.path == f"/v1/models/{MODEL}:streamGenerateContent?alt=sse"
    assert req.has_key
    assert "x-goog-api-key" not in req.headers
    assert FAKE_GEMINI_KEY not in json.dumps(req.headers)


def test_single_text_cut_into_chunks_and_thoughts_skipped(
    backend: GeminiBackend, gemini_env: GeminiTestServer
) -> None:
    gemini_env.enqueue(text("print('hello')", chunks=3, thought="Let me think..."))
    events = list(backend.stream(request()))
    deltas = [e.text for e in events if isinstance(e, TextDelta)]
    assert len(deltas) == 3
    assert "".join(deltas) == "print('hello')"
    assert events[-1] == FinishEvent("STOP")


def test_request_body_carries_system_turns_limits_and_no_sampling(
    backend: GeminiBackend, gemini_env: GeminiTestServer
) -> None:
    gemini_env.enqueue(text("ok"))
    turns = (Turn.user("first"), Turn.model("answer"), Turn.user("second"))
    req = ModelRequest(
        mode="chat", system="SYSTEM TEXT", turns=turns, max_output_tokens=321, stop=("```\n",)
    )
    collect(backend.stream(req))
    sent = gemini_env.requests[0]
    assert sent.system_text == "SYSTEM TEXT"
    assert [c["role"] for c in sent.contents] == ["user", "model", "user"]
    assert sent.last_user_text == "second"
    assert sent.get("generationConfig", "maxOutputTokens") == 321
    assert sent.get("generationConfig", "stopSequences") == ["```\n"]
    config = sent.get("generationConfig")
    for sampling in ("temperature", "topP", "top_p", "topK", "top_k"):
        assert sampling not in config
    assert sent.get("tools") is None
    assert sent.get("toolConfig") is None


def test_tools_body_shape(backend: GeminiBackend, gemini_env: GeminiTestServer) -> None:
    gemini_env.enqueue(text("ok"))
    collect(backend.stream(request(tools=(WEATHER,), code_execution=True)))
    sent = gemini_env.requests[0]
    assert sent.function_declarations == [
        {
            "name": "get_weather",
            "description": WEATHER.description,
            "parameters": WEATHER.parameters,
        }
    ]
    # Our own JSON Schema goes verbatim as parametersJsonSchema, not the SDK's Schema type.
    declared = [d for t in sent.tools for d in pick(t, "functionDeclarations") or []]
    assert len(declared) == 1
    assert pick(declared[0], "parametersJsonSchema") == WEATHER.parameters
    assert pick(declared[0], "parameters") is None
    assert any("codeExecution" in t or "code_execution" in t for t in sent.tools)


def test_structured_output_sends_response_json_schema(
    backend: GeminiBackend, gemini_env: GeminiTestServer
) -> None:
    schema = {"type": "object", "properties": {"code": {"type": "string"}}, "required": ["code"]}
    gemini_env.enqueue(text('{"code": "x = 1"}'))
    reply = collect(backend.stream(request(response_schema=schema)))
    assert json.loads(reply.text) == {"code": "x = 1"}
    sent = gemini_env.requests[0]
    assert sent.get("generationConfig", "responseJsonSchema") == schema
    assert sent.get("generationConfig", "responseMimeType") == "application/json"
    assert sent.get("generationConfig", "responseSchema") is None


def test_single_function_call_keeps_id(
    backend: GeminiBackend, gemini_env: GeminiTestServer
) -> None:
    gemini_env.enqueue(function_calls([("get_weather", {"city": "Paris"}, "call-1")]))
    reply = collect(backend.stream(request(tools=(WEATHER,))))
    assert reply.function_calls == [FunctionCallEvent("get_weather", {"city": "Paris"}, "call-1")]
    assert reply.finish_reason == "STOP"
    assert reply.text == ""


def test_parallel_function_calls(backend: GeminiBackend, gemini_env: GeminiTestServer) -> None:
    gemini_env.enqueue(
        function_calls(
            [("get_weather", {"city": "Paris"}, "a"), ("get_weather", {"city": "Oslo"}, "b")],
            text_before="Checking both.",
        )
    )
    reply = collect(backend.stream(request(tools=(WEATHER,))))
    assert reply.text == "Checking both."
    assert [(c.args["city"], c.id) for c in reply.function_calls] == [("Paris", "a"), ("Oslo", "b")]


def test_function_call_round_trip_returns_thought_signature(
    backend: GeminiBackend, gemini_env: GeminiTestServer
) -> None:
    signature = base64.b64encode(b"opaque-signature").decode()
    gemini_env.enqueue(
        function_calls(
            [{"name": "get_weather", "args": {"city": "Rome"}, "thoughtSignature": signature}]
        ),
        text("It is sunny."),
    )
    first = collect(backend.stream(request(tools=(WEATHER,))))
    call = first.function_calls[0]
    assert call.id is None
    follow_up = ModelRequest(
        mode="code",
        system="You write Python.",
        turns=(
            Turn.user("Weather in Rome?"),
            first.as_turn(),
            Turn("user", (FunctionResponsePart(call.name, {"result": {"sky": "sunny"}}),)),
        ),
        tools=(WEATHER,),
    )
    assert collect(backend.stream(follow_up)).text == "It is sunny."
    model_turn = gemini_env.requests[1].contents[1]
    sent_part = model_turn["parts"][0]
    assert sent_part["functionCall"] if "functionCall" in sent_part else sent_part["function_call"]
    assert sent_part.get("thoughtSignature", sent_part.get("thought_signature")) == signature
    response_part = gemini_env.requests[1].contents[2]["parts"][0]
    fr = response_part.get("functionResponse") or response_part["function_response"]
    assert fr == {"name": "get_weather", "response": {"result": {"sky": "sunny"}}}


def test_all_part_kinds_reach_the_wire(
    backend: GeminiBackend, gemini_env: GeminiTestServer
) -> None:
    gemini_env.enqueue(text("done"))
    model_turn = Turn(
        "model",
        (
            TextPart("Running it."),
            ExecutableCodePart("print(2 + 2)"),
            CodeResultPart("OUTCOME_OK", "4\n"),
            FunctionCallPart("get_weather", {"city": "Lima"}, "c9"),
        ),
    )
    answer = Turn("user", (FunctionResponsePart("get_weather", {"result": 20}, "c9"),))
    req = ModelRequest(mode="answer", system="s", turns=(Turn.user("go"), model_turn, answer))
    collect(backend.stream(req))
    parts = gemini_env.requests[0].contents[1]["parts"]
    keys = [next(k for k in p if k not in ("thoughtSignature", "thought_signature")) for p in parts]
    assert [k.replace("_", "").lower() for k in keys] == [
        "text",
        "executablecode",
        "codeexecutionresult",
        "functioncall",
    ]
    assert parts[1].get("executableCode", parts[1].get("executable_code")) == {
        "code": "print(2 + 2)",
        "language": "PYTHON",
    }
    call = parts[3].get("functionCall") or parts[3]["function_call"]
    assert call == {"name": "get_weather", "args": {"city": "Lima"}, "id": "c9"}
    fr_part = gemini_env.requests[0].contents[2]["parts"][0]
    assert (fr_part.get("functionResponse") or fr_part["function_response"])["id"] == "c9"


def test_executable_code_and_result_events(
    backend: GeminiBackend, gemini_env: GeminiTestServer
) -> None:
    gemini_env.enqueue(executable_code("print(6 * 7)", "42\n", text_after="The answer is 42."))
    events = list(backend.stream(request(code_execution=True)))
    assert CodeEvent("print(6 * 7)", "PYTHON") in events
    assert CodeResultEvent("OUTCOME_OK", "42\n") in events
    reply = collect(events)
    assert reply.text == "The answer is 42."
    assert events.index(CodeEvent("print(6 * 7)")) < events.index(
        CodeResultEvent("OUTCOME_OK", "42\n")
    )


def test_consumer_stopping_early_closes_cleanly(
    backend: GeminiBackend, gemini_env: GeminiTestServer
) -> None:
    gemini_env.enqueue(text("a", "b", "c"), text("next"))
    events = backend.stream(request())
    assert next(events) == TextDelta("a")
    events.close()  # what Ctrl-C in the consumer amounts to
    assert collect(backend.stream(request())).text == "next"
    assert gemini_env.request_count == 2


# --- errors -------------------------------------------------------------------------------


def test_no_key(monkeypatch: pytest.MonkeyPatch, gemini_env: GeminiTestServer) -> None:
    monkeypatch.delenv("GEMINI_API_KEY")
    assert not has_credentials()
    with pytest.raises(BackendError) as info:
        make_client()
    assert str(info.value) == NO_KEY_MESSAGE
    assert gemini_env.request_count == 0


def test_has_credentials(monkeypatch: pytest.MonkeyPatch, gemini_env: GeminiTestServer) -> None:
    assert has_credentials()
    monkeypatch.delenv("GEMINI_API_KEY")
    monkeypatch.setenv("GOOGLE_API_KEY", "  ")
    assert not has_credentials()
    monkeypatch.setenv("GOOGLE_API_KEY", "k-123")
    assert has_credentials()
    monkeypatch.delenv("GOOGLE_API_KEY")
    monkeypatch.setenv("GOOGLE_GENAI_USE_VERTEXAI", "true")
    assert has_credentials()


def test_vertex_without_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "GEMINI_API_KEY",
        "GOOGLE_API_KEY",
        "GOOGLE_CLOUD_PROJECT",
        "GOOGLE_GEMINI_BASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GOOGLE_GENAI_USE_VERTEXAI", "true")
    # A missing credentials file: google.auth fails at once instead of probing a metadata server.
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    with pytest.raises(BackendError) as info:
        make_client()
    assert checked(str(info.value)).startswith(
        "No usable Google Cloud credentials for Vertex AI (DefaultCredentialsError:"
    )
    # With a project, the SDK loads credentials only at the first request.
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "my-project")
    monkeypatch.setenv("GOOGLE_CLOUD_LOCATION", "us-central1")
    backend = GeminiBackend(MODEL, make_client())
    assert failure(backend).startswith("No usable Google Cloud credentials for Vertex AI")


def test_explicit_base_url_and_key_win(
    gemini_server: GeminiTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GEMINI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    client = make_client(timeout_s=5, base_url=gemini_server.url, api_key=FAKE_GEMINI_KEY)
    gemini_server.enqueue(text("hi"))
    assert collect(GeminiBackend(MODEL, client).stream(request())).text == "hi"
    assert gemini_server.requests[0].has_key


def test_400_carries_server_message(backend: GeminiBackend, gemini_env: GeminiTestServer) -> None:
    gemini_env.enqueue(error(400, "Invalid JSON payload: unknown field 'foo'.", "INVALID_ARGUMENT"))
    assert failure(backend) == (
        "Gemini rejected the request (400 INVALID_ARGUMENT): "
        "Invalid JSON payload: unknown field 'foo'."
    )
    assert gemini_env.request_count == 1


def test_401_bad_key(backend: GeminiBackend, gemini_env: GeminiTestServer) -> None:
    gemini_env.enqueue(
        error(401, "Request had invalid authentication credentials.", "UNAUTHENTICATED")
    )
    message = failure(backend)
    assert message.startswith("Gemini rejected the API key (401 UNAUTHENTICATED): Request had")
    assert message.endswith(
        "check GEMINI_API_KEY (or GOOGLE_API_KEY), or run offline with -m local."
    )
    assert gemini_env.request_count == 1


def test_invalid_key_as_the_real_service_reports_it(monkeypatch: pytest.MonkeyPatch) -> None:
    with GeminiTestServer(valid_keys={"the-right-key"}) as server:
        monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
        monkeypatch.setenv("GEMINI_API_KEY", FAKE_GEMINI_KEY)
        backend = GeminiBackend(MODEL, make_client(base_url=server.url))
        message = failure(backend)
        assert message.startswith("Gemini rejected the API key (400 INVALID_ARGUMENT): API key not")
        assert server.request_count == 1


def test_404_unknown_model(gemini_env: GeminiTestServer, delays: Delays) -> None:
    gemini_env.unknown_models.add("gemini-0.1-nope")
    backend = GeminiBackend("gemini-0.1-nope", make_client(), sleep=delays)
    assert failure(backend) == (
        "Gemini model 'gemini-0.1-nope' was not found (404 NOT_FOUND): "
        "choose another model with -m NAME."
    )
    assert gemini_env.request_count == 1
    assert gemini_env.requests[0].model == "gemini-0.1-nope"


def test_429_with_retry_info_then_success(gemini_env: GeminiTestServer) -> None:
    # The real sleep here: 50 ms, the delay the server asked for.
    backend = GeminiBackend(MODEL, make_client(timeout_s=10))
    gemini_env.enqueue(
        error(429, "Resource has been exhausted.", "RESOURCE_EXHAUSTED", retry_delay=0.05),
        text("after the wait"),
    )
    assert collect(backend.stream(request())).text == "after the wait"
    assert gemini_env.request_count == 2


def test_429_honours_retry_delay_and_gives_up(gemini_env: GeminiTestServer, delays: Delays) -> None:
    backend = GeminiBackend(MODEL, make_client(), max_retries=2, sleep=delays)
    gemini_env.enqueue(*[error(429, "Quota exceeded.", retry_delay=0.25)] * 3)
    assert failure(backend) == (
        f"Gemini quota or rate limit exhausted for {MODEL} (429 RESOURCE_EXHAUSTED) after 3 "
        "attempts: wait a minute and try again, or choose another model with -m."
    )
    assert delays.waits == [0.25, 0.25]
    assert gemini_env.request_count == 3


def test_429_longer_than_max_delay_is_not_waited_for(
    gemini_env: GeminiTestServer, delays: Delays
) -> None:
    backend = GeminiBackend(MODEL, make_client(), max_retry_delay_s=30, sleep=delays)
    gemini_env.enqueue(error(429, "Quota exceeded.", retry_delay=45), text("never"))
    assert "the server asks to wait 45 s: try again later" in failure(backend)
    assert delays.waits == []
    assert gemini_env.request_count == 1


def test_429_without_retry_info_backs_off(gemini_env: GeminiTestServer, delays: Delays) -> None:
    backend = GeminiBackend(MODEL, make_client(), sleep=delays)
    gemini_env.enqueue(error(429, "slow down"), error(429, "slow down"), text("ok"))
    assert collect(backend.stream(request())).text == "ok"
    assert delays.waits == [1.0, 2.0]
    assert gemini_env.request_count == 3


def test_503_is_retried(
    backend: GeminiBackend, gemini_env: GeminiTestServer, delays: Delays
) -> None:
    gemini_env.enqueue(error(503, "The model is overloaded.", retry_after_header=0.5), text("ok"))
    assert collect(backend.stream(request())).text == "ok"
    assert delays.waits == [0.5]
    assert gemini_env.request_count == 2


def test_503_exhausted(gemini_env: GeminiTestServer, delays: Delays) -> None:
    backend = GeminiBackend(MODEL, make_client(), max_retries=1, sleep=delays)
    gemini_env.enqueue(*[error(503, "The model is overloaded.")] * 2)
    assert failure(backend) == (
        "Gemini server error (503 UNAVAILABLE) after 2 attempts: The model is overloaded.; "
        "try again later."
    )
    assert gemini_env.request_count == 2


def test_500_is_not_retried(
    backend: GeminiBackend, gemini_env: GeminiTestServer, delays: Delays
) -> None:
    gemini_env.enqueue(*[error(500, "An internal error has occurred.")] * 3)
    assert failure(backend) == (
        "Gemini server error (500 INTERNAL): An internal error has occurred.; try again later."
    )
    assert gemini_env.request_count == 1
    assert gemini_env.pending == 2
    assert delays.waits == []


def test_read_timeout(gemini_env: GeminiTestServer) -> None:
    backend = GeminiBackend(MODEL, make_client(timeout_s=0.3))
    gemini_env.enqueue(stall(30))  # released when the fixture stops the server
    message = failure(backend)
    assert message == (
        f"Gemini did not answer within 0.3 s (read timeout at 127.0.0.1:{gemini_env.port}): "
        "try again, or raise it with %gemini config request_timeout=SECONDS."
    )
    assert gemini_env.request_count == 1


def test_connection_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    url, holder = closed_port_url()
    with holder:
        monkeypatch.setenv("GEMINI_API_KEY", FAKE_GEMINI_KEY)
        backend = GeminiBackend(MODEL, make_client(base_url=url, timeout_s=5))
        port = holder.getsockname()[1]
        assert failure(backend) == (
            f"Could not connect to Gemini at 127.0.0.1:{port} (connection refused): "
            "check your network or GOOGLE_GEMINI_BASE_URL."
        )


def test_midstream_error_is_not_retried(
    backend: GeminiBackend, gemini_env: GeminiTestServer
) -> None:
    gemini_env.enqueue(midstream_error("x = ", code=503, message="Backend went away."), text("x"))
    seen: list[BackendEvent] = []
    with pytest.raises(BackendError) as info:
        for event in backend.stream(request()):
            seen.append(event)
    assert seen == [TextDelta("x = ")]
    assert checked(str(info.value)) == (
        "Gemini's reply broke off mid-stream (503 UNAVAILABLE): Backend went away.; try again."
    )
    assert gemini_env.request_count == 1


def test_dropped_connection(backend: GeminiBackend, gemini_env: GeminiTestServer) -> None:
    gemini_env.enqueue(drop())
    assert failure(backend) == (
        f"The connection to Gemini at 127.0.0.1:{gemini_env.port} closed before replying: "
        "try again."
    )
    assert gemini_env.request_count == 1


def test_safety_finish(backend: GeminiBackend, gemini_env: GeminiTestServer) -> None:
    gemini_env.enqueue(finish("SAFETY"))
    assert failure(backend) == (
        "Gemini stopped its reply on safety grounds (SAFETY): rephrase the prompt."
    )
    assert gemini_env.request_count == 1


@pytest.mark.parametrize(
    ("reason", "start"),
    [
        ("RECITATION", "Gemini stopped its reply because it was reciting existing text"),
        ("PROHIBITED_CONTENT", "Gemini stopped its reply: prohibited content"),
        ("BLOCKLIST", "Gemini stopped its reply: it contained a blocked term (BLOCKLIST)"),
        ("MALFORMED_FUNCTION_CALL", "Gemini produced a malformed function call"),
        ("OTHER", "Gemini stopped its reply for an unspecified reason (OTHER)"),
        ("UNEXPECTED_TOOL_CALL", "Gemini stopped its reply early (UNEXPECTED_TOOL_CALL)"),
    ],
)
def test_other_finish_reasons(
    backend: GeminiBackend, gemini_env: GeminiTestServer, reason: str, start: str
) -> None:
    gemini_env.enqueue(finish(reason, "partial text"))
    assert failure(backend).startswith(start)


def test_max_tokens(backend: GeminiBackend, gemini_env: GeminiTestServer) -> None:
    gemini_env.enqueue(finish("MAX_TOKENS", "def f(:\n    retu"))
    assert failure(backend, request(max_output_tokens=256)) == (
        "Gemini's reply was cut off at 256 tokens (MAX_TOKENS): raise the limit with "
        "%gemini config max_output_tokens=512, or ask for less in one prompt."
    )


def test_prompt_blocked(backend: GeminiBackend, gemini_env: GeminiTestServer) -> None:
    gemini_env.enqueue(prompt_blocked("PROHIBITED_CONTENT"))
    assert failure(backend) == (
        "Gemini blocked the prompt (PROHIBITED_CONTENT): rephrase it, or leave sensitive data "
        "out of the context."
    )


def test_stream_without_finish_reason(backend: GeminiBackend, gemini_env: GeminiTestServer) -> None:
    gemini_env.enqueue(
        Stream(({"candidates": [{"content": {"role": "model", "parts": [{"text": "x"}]}}]},))
    )
    assert "ended without a finish reason" in failure(backend)


# --- logs and secrets ---------------------------------------------------------------------


_NOISY = ("google_genai", "httpx2", "httpcore2")


def test_sdk_and_http_logs_stay_out_of_output(
    gemini_env: GeminiTestServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    delays: Delays,
) -> None:
    # Both keys set: the SDK logs a warning while building the client. httpx2 logs every
    # request at INFO. Neither may reach the notebook.
    monkeypatch.setenv("GOOGLE_API_KEY", FAKE_GEMINI_KEY)
    levels = {name: logging.getLogger(name).level for name in _NOISY}
    caplog.set_level(logging.DEBUG)
    backend = GeminiBackend(MODEL, make_client(timeout_s=5), sleep=delays)
    gemini_env.enqueue(error(429, "slow", retry_delay=0.01), text("ok"), error(500, "boom"))
    assert collect(backend.stream(request())).text == "ok"
    failure(backend)
    assert list_models(backend.client)
    leaked = [r for r in caplog.records if r.name.startswith(_NOISY)]
    assert leaked == []
    out, err = capsys.readouterr()
    assert out == "" and err == ""
    assert FAKE_GEMINI_KEY not in caplog.text
    # Levels are restored: the user's own logging setup is left as it was.
    assert {name: logging.getLogger(name).level for name in _NOISY} == levels
    # And the SDK logs normally again outside our calls.
    logging.getLogger("google_genai.test").warning("visible")
    assert any(r.name == "google_genai.test" for r in caplog.records)


def test_no_message_or_log_contains_the_key(
    gemini_env: GeminiTestServer, caplog: pytest.LogCaptureFixture, delays: Delays
) -> None:
    caplog.set_level(logging.DEBUG)
    backend = GeminiBackend(MODEL, make_client(timeout_s=0.3), max_retries=0, sleep=delays)
    messages = []
    for reply in (
        error(400, f"bad request echoing {FAKE_GEMINI_KEY}"),
        error(403, "forbidden"),
        error(429, "quota"),
        error(503, "busy"),
        midstream_error("a"),
        finish("SAFETY"),
        drop(),
        stall(30),
    ):
        gemini_env.enqueue(reply)
        messages.append(failure(backend))
    assert "***" in messages[0]  # a key echoed by the server is scrubbed
    assert FAKE_GEMINI_KEY not in caplog.text
    assert all(
        not r.has_key or r.headers.get("x-goog-api-key") is None for r in gemini_env.requests
    )


# --- models and the server itself ---------------------------------------------------------


def test_list_models(backend: GeminiBackend, gemini_env: GeminiTestServer) -> None:
    assert list_models(backend.client) == list(gemini_env.models)
    assert gemini_env.requests[0].path.startswith("/v1/models")


def test_server_non_streaming_v1beta_and_count_tokens(gemini_server: GeminiTestServer) -> None:
    from google import genai
    from google.genai import types

    client = genai.Client(
        api_key=FAKE_GEMINI_KEY,
        http_options=types.HttpOptions(base_url=gemini_server.url, api_version="v1beta"),
    )
    gemini_server.enqueue(text("one ", "two"))
    response = client.models.generate_content(model=MODEL, contents="hi")
    assert response.text == "one two"
    assert client.models.count_tokens(model=MODEL, contents="hello").total_tokens
    paths = [r.path for r in gemini_server.requests]
    assert paths == [
        f"/v1beta/models/{MODEL}:generateContent",
        f"/v1beta/models/{MODEL}:countTokens",
    ]


def test_server_without_reply_says_so(backend: GeminiBackend, gemini_env: GeminiTestServer) -> None:
    assert "no reply queued and no responder set" in failure(backend)


def test_server_rules_responder(backend: GeminiBackend, gemini_env: GeminiTestServer) -> None:
    gemini_env.responder = rules_responder(
        [{"contains": "weather", "reply": "sunny", "chunks": 2}, {"reply": "default"}]
    )
    assert collect(backend.stream(request("the weather?"))).text == "sunny"
    assert collect(backend.stream(request("anything"))).text == "default"


def test_server_standalone_with_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps([{"contains": "hello", "reply": "print('hi')"}]))
    script = Path(__file__).with_name("gemini_server.py")
    proc = subprocess.Popen(
        [sys.executable, str(script), "--port", "0", "--rules", str(rules)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", url)
        monkeypatch.setenv("GEMINI_API_KEY", FAKE_GEMINI_KEY)
        monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
        backend = GeminiBackend(MODEL, make_client(timeout_s=5))
        assert collect(backend.stream(request("hello there"))).text == "print('hi')"
        assert "no rule matches" in failure(backend, request("unmatched"))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
