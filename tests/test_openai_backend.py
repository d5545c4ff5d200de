"""The OpenAI-compatible backend (-m openai:MODEL / ollama:MODEL) through the real ``openai``
SDK against tests/openai_server.py: streaming, tool calls, usage, %gemini status and models,
and the error matrix, each failure one line with nothing run and the namespace intact."""

from __future__ import annotations

import pytest
from openai_server import Chat, OpenAITestServer, Status

from jupyter_codegen.errors import BackendError, NoCodeError
from jupyter_codegen.model.backends import backend_kind, collect
from jupyter_codegen.model.backends.base import ModelRequest, ToolSpec, Turn
from jupyter_codegen.model.backends.openai_compat import (
    OpenAICompatibleBackend,
    endpoint_for,
)

MODEL = "openai:tiny-coder"
CODE = "```python\nresult_value = 6 * 7\nprint(result_value)\n```"


def _request(**kw) -> ModelRequest:
    return ModelRequest(mode="code", system="You write Python.", turns=(Turn.user("go"),), **kw)


def _backend(url: str, timeout: float = 5.0, model: str = MODEL) -> OpenAICompatibleBackend:
    shared: dict = {"config": type("C", (), {"openai_base_url": url})()}
    return OpenAICompatibleBackend.create(model, request_timeout=timeout, shared=shared)


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "OLLAMA_HOST"):
        monkeypatch.delenv(name, raising=False)


def test_model_names_pick_the_backend_and_the_endpoint(monkeypatch):
    assert backend_kind("openai:gpt-x") == backend_kind("ollama:qwen2.5-coder:7b") == "openai"
    assert endpoint_for("ollama:qwen2.5-coder:7b").base_url == "http://localhost:11434/v1"
    assert endpoint_for("ollama:qwen2.5-coder:7b").model_id == "qwen2.5-coder:7b"
    monkeypatch.setenv("OLLAMA_HOST", "gpu-box:11500")
    assert endpoint_for("ollama:m").base_url == "http://gpu-box:11500/v1"
    with pytest.raises(BackendError, match="No OpenAI-compatible server"):
        endpoint_for("openai:m")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://team-llm:8000/v1/")
    assert endpoint_for("openai:m").base_url == "http://team-llm:8000/v1"
    assert endpoint_for("openai:m", "http://other/v1").source == "openai_base_url setting"
    with pytest.raises(BackendError, match="names no model"):
        endpoint_for("openai:")


def test_streams_text_and_usage_through_the_sdk():
    with OpenAITestServer(lambda body, n: Chat(text=CODE)) as server:
        reply = collect(_backend(server.url).stream(_request(max_output_tokens=77, stop=("END",))))
        body = server.chat_requests()[0].body
    assert reply.text == CODE
    assert reply.prompt_tokens == 11 and reply.output_tokens > 0
    assert body["stream"] is True and body["max_tokens"] == 77 and body["stop"] == ["END"]
    assert body["messages"][0] == {"role": "system", "content": "You write Python."}


def test_native_tool_calls_come_back_as_function_call_events():
    tool = ToolSpec(
        "fx_rate", "A rate.", {"type": "object", "properties": {"c": {"type": "string"}}}
    )
    with OpenAITestServer(lambda b, n: Chat(tool_calls=[("fx_rate", {"c": "EUR"})])) as server:
        reply = collect(_backend(server.url).stream(_request(tools=(tool,))))
        sent = server.chat_requests()[0].body["tools"]
    assert [(c.name, c.args) for c in reply.function_calls] == [("fx_rate", {"c": "EUR"})]
    assert sent[0]["function"]["name"] == "fx_rate"


def test_a_server_without_tools_is_asked_again_without_them_with_a_note():
    def respond(body, n):
        if "tools" in body:
            return Status(400, "this server does not support tools")
        return Chat(text=CODE)

    tool = ToolSpec("f", "", {"type": "object", "properties": {}})
    with OpenAITestServer(respond) as server:
        backend = _backend(server.url)
        reply = collect(backend.stream(_request(tools=(tool,))))
        assert len(server.chat_requests()) == 2
        collect(backend.stream(_request(tools=(tool,))))
        assert len(server.chat_requests()) == 3  # remembered: no second failed request
    assert reply.text == CODE
    assert any("does not support native function calls" in note for note in backend.notes)


# --- the error matrix -----------------------------------------------------------------------


def _fails(responder, match: str, timeout: float = 5.0, model: str = MODEL) -> int:
    with OpenAITestServer(responder) as server:
        with pytest.raises(BackendError, match=match) as info:
            collect(_backend(server.url, timeout, model).stream(_request()))
        assert "\n" not in str(info.value)
        return len(server.chat_requests())


def test_unreachable_server_is_one_line():
    with pytest.raises(BackendError, match="Cannot reach the model server at http://127.0.0.1:9"):
        collect(_backend("http://127.0.0.1:9/v1").stream(_request()))


def test_401_says_to_check_the_key():
    assert _fails(lambda b, n: Status(401, "bad key"), r"refused the key \(401\)") == 1


def test_404_names_the_models_the_server_serves():
    _fails(
        lambda b, n: Chat(text=CODE),
        r"Model 'nope' is not served .*it serves: tiny-coder",
        model="openai:nope",
    )


def test_429_with_retry_after_is_retried_then_succeeds():
    def respond(body, n):
        return Status(429, "slow down", retry_after=0.2) if n == 1 else Chat(text=CODE)

    with OpenAITestServer(respond) as server:
        reply = collect(_backend(server.url).stream(_request()))
        assert len(server.chat_requests()) == 2
    assert reply.text == CODE


def test_500_is_said_at_once_and_503_after_the_retries():
    assert _fails(lambda b, n: Status(500, "boom"), r"failed \(500\) after 1 attempts: boom") == 1
    assert _fails(lambda b, n: Status(503, "busy", retry_after=0), r"failed \(503\) after 4") == 4


def test_a_retry_after_longer_than_the_limit_is_not_slept_through():
    assert _fails(lambda b, n: Status(429, "later", retry_after=3600), r"rate limiting") == 1


def test_read_timeout_is_one_line_and_not_retried():
    assert _fails(lambda b, n: Chat(text=CODE, stall=10), "did not answer in time", 1.0) == 1


def test_disconnect_mid_stream_is_one_line():
    _fails(lambda b, n: Chat(text=CODE * 3, drop_after=2), "mid-reply")


def test_empty_reply_is_one_line():
    _fails(lambda b, n: Chat(text=""), "empty reply")


# --- through the magic, in a real shell ----------------------------------------------------


@pytest.fixture
def served(shell, monkeypatch):
    """The shell pointed at a scripted OpenAI-wire server; replies queued per test."""
    replies: list = []

    def respond(body, n):
        return replies[min(n, len(replies)) - 1]

    with OpenAITestServer(respond) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret-123456")
        yield shell, replies, server


def test_generates_and_runs_code_with_usage_in_the_status_line(served, capsys):
    shell, replies, server = served
    replies.append(Chat(text=CODE))
    shell.run_cell_magic("gemini", f"-m {MODEL}", "Compute 6 times 7 into `result_value`.")
    assert shell.user_ns["result_value"] == 42
    out = capsys.readouterr().out
    assert "✓ openai:tiny-coder · generated" in out
    assert "sk-test-secret" not in out


def test_a_failure_runs_nothing_and_keeps_the_namespace(served):
    shell, replies, server = served
    shell.user_ns["keep"] = 1
    replies.append(Status(401, "bad key sk-test-secret-123456"))
    result = shell.run_cell(f"%%gemini -m {MODEL}\nset keep to 2")
    assert isinstance(result.error_in_exec, BackendError)
    assert "sk-test-secret" not in str(result.error_in_exec)
    assert shell.user_ns["keep"] == 1


def test_a_reply_with_no_code_runs_nothing(served):
    shell, replies, server = served
    replies.append(Chat(text="I cannot help with that."))
    result = shell.run_cell(f"%%gemini -m {MODEL}\nset keep to 2")
    assert isinstance(result.error_in_exec, NoCodeError)


def test_status_shows_the_endpoint_and_that_a_key_is_set_never_the_key(served, capsys):
    shell, replies, server = served
    shell.run_line_magic("gemini", f"config model={MODEL}")
    capsys.readouterr()
    shell.run_line_magic("gemini", "status")
    out = capsys.readouterr().out
    assert f"endpoint: {server.url} (OPENAI_BASE_URL) · key: set" in out
    assert "sk-test-secret" not in out
    shell.run_line_magic("gemini", "models")
    assert capsys.readouterr().out.strip() == "openai:tiny-coder"


def test_the_base_url_setting_wins_and_takes_effect_at_once(served, capsys):
    shell, replies, server = served
    replies.append(Chat(text=CODE))
    with OpenAITestServer(lambda b, n: Chat(text="```python\nother_value = 1\n```")) as other:
        shell.run_line_magic("gemini", f"config openai_base_url={other.url}")
        shell.run_cell_magic("gemini", f"-m {MODEL}", "Set `other_value` to 1.")
        assert shell.user_ns["other_value"] == 1
        assert len(other.chat_requests()) == 1 and not server.chat_requests()
