"""connect_mcp against a real streamable-HTTP MCP server (tests/mcp_servers/http_server.py)."""

from __future__ import annotations

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
