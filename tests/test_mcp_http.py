"""connect_mcp against a real streamable-HTTP MCP server (tests/mcp_servers/http_server.py)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyter_codegen import connect_mcp
from jupyter_codegen.errors import MCPError

SERVER = str(Path(__file__).parent / "mcp_servers" / "http_server.py")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, SERVER, str(port)])
    deadline = time.monotonic() + 30
    while True:  # the condition is the port accepting connections
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the HTTP MCP test server did not start") from None
            time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/mcp"
    proc.terminate()
    proc.wait(10)


def test_http_tools_with_headers(url: str) -> None:
    notes = connect_mcp("notes", url=url, headers={"Authorization": "Bearer test-token"})
    try:
        assert sum(notes.add(a=i, b=1) for i in range(20)) == sum(range(20)) + 20
        assert notes.annotations["delete_note"].destructive_hint is True
        assert notes.annotations["add"].read_only_hint is True
    finally:
        notes.close()


def test_http_wrong_token_is_one_line_without_the_secret(url: str) -> None:
    with pytest.raises(MCPError) as info:
        connect_mcp("notes", url=url, headers={"Authorization": "Bearer wrong-secret"})
    line = str(info.value)
    assert "did not start" in line and "\n" not in line
    assert "wrong-secret" not in line


def test_a_prompt_cell_loops_over_a_configured_http_servers_tools(
    url: str, shell, gemini_env, capsys
) -> None:
    """Pasted ``mcpServers`` config (url + headers), a prompt cell, one model request, 20 calls
    over HTTP, the right sum; the bearer token is in no request, output, pin or history."""
    from gemini_server import text

    from jupyter_codegen.session import session_for

    session = session_for(shell)
    session.config.model = "gemini-3.8-flash"
    token = "Bearer test-token"
    session.mcp.configure(
        {"mcpServers": {"notes": {"url": url, "headers": {"Authorization": token}}}},
        shell.user_ns,
    )
    assert shell.user_ns["notes"].state == "not started"
    code = "total = sum(notes.add(a=i, b=1) for i in range(20))\nprint('total', total)"
    gemini_env.enqueue(text("```python\n", code, "\n```\n"))
    try:
        shell.run_cell_magic("gemini", "", "Add 1 to each of 0..19 with the notes server; sum.")
        assert shell.user_ns["total"] == sum(range(20)) + 20
        assert gemini_env.request_count == 1
        body = json.dumps(gemini_env.requests[0].body)
        assert "notes.add(a: int, b: int) -> int" in body and "test-token" not in body
        shell.run_line_magic("gemini", "history")
        shell.run_line_magic("gemini", "mcp list")
        out = capsys.readouterr().out
        assert "total 210" in out and "notes: running" in out and "test-token" not in out
        session.pins.flush()
        pins = [p.read_text() for p in Path(session.pins.root).rglob("*") if p.is_file()]
        assert pins and not any("test-token" in p for p in pins)
    finally:
        shell.run_line_magic("gemini", "mcp remove notes")
