"""MCP server processes end with the kernel that started them: shutdown, restart, crash."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.manager import start_new_kernel

SERVER = str(Path(__file__).parent / "mcp_servers" / "stdio_server.py")
WAIT = 60


def _printed(kc: Any, code: str) -> str:
    out: list[str] = []
    reply = kc.execute_interactive(code, timeout=WAIT, output_hook=lambda msg: _collect(msg, out))
    assert reply["content"]["status"] == "ok", reply["content"]
    return "".join(out)


def _collect(msg: dict[str, Any], out: list[str]) -> None:
    if msg["msg_type"] == "stream":
        out.append(msg["content"]["text"])


def _gone(pid: int) -> bool:
    """Whether ``pid`` ended (a zombie counts: it runs nothing), waiting up to WAIT seconds."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except OSError:
            return True
        time.sleep(0.05)
    return False


START = f"""
import sys
from jupyter_codegen import connect_mcp
weather = connect_mcp("weather", command=[sys.executable, {SERVER!r}])
print(weather.pid())
"""


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc")
@pytest.mark.parametrize("how", ["shutdown", "restart", "crash"])
def test_server_ends_with_the_kernel(how: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    km, kc = start_new_kernel(kernel_name="python3", env=env)
    try:
        server_pid = int(_printed(kc, START).split()[-1])
        assert not _gone_now(server_pid)
        if how == "shutdown":
            km.shutdown_kernel(now=False)
        elif how == "restart":
            km.restart_kernel(now=False)
        else:
            # the server is busy in a call, so it is not reading stdin: only the death signal
            # (jupyter_codegen/mcp/guard.py), not the closed pipe, can end it
            code = "import os, threading\n"
            code += "threading.Thread(target=weather.hang, kwargs={'seconds': 300}).start()\n"
            code += "print(os.getpid())"
            kernel_pid = int(_printed(kc, code).split()[-1])
            os.kill(kernel_pid, signal.SIGKILL)
        assert _gone(server_pid), f"the MCP server outlived the kernel ({how})"
    finally:
        kc.stop_channels()
        if km.is_alive():
            km.shutdown_kernel(now=True)


def _gone_now(pid: int) -> bool:
    return not os.path.exists(f"/proc/{pid}")
