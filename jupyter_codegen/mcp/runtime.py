"""One MCP server connection, run by the official ``mcp`` SDK on a background thread with its
own event loop: the kernel already runs an asyncio loop, so the SDK's coroutines cannot be
driven with a nested ``asyncio.run`` from a cell. Calls cross threads with
``run_coroutine_threadsafe`` and each waits with a timeout.

A stdio server is started through :mod:`jupyter_codegen.mcp.guard`, which asks Linux to kill it
when the thread that spawned it dies, so a killed kernel leaves no orphan; a normal shutdown
closes the session (``atexit``). Server stderr goes to a log file, never into the notebook.
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import contextlib
import json
import os
import sys
import tempfile
import threading
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any, TextIO
from urllib.parse import urlsplit, urlunsplit

from jupyter_codegen.errors import MCPError

DEFAULT_TIMEOUT = 30.0
START_TIMEOUT = 20.0


@dataclass
class ServerSpec:
    """How to reach one server: ``command`` (stdio) or ``url`` (streamable HTTP)."""

    name: str
    command: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    url: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    timeout: float = DEFAULT_TIMEOUT

    def describe(self) -> str:
        """The server for an error line: its command or URL, never its env or headers (nor a
        URL's password or query, where some servers take a token)."""
        if self.command:
            return " ".join(self.command)
        parts = urlsplit(self.url)
        host = parts.netloc.rpartition("@")[2]
        return urlunsplit((parts.scheme, host, parts.path, "…" if parts.query else "", ""))


def _log_path(name: str) -> str:
    folder = os.path.join(tempfile.gettempdir(), f"jupyter-codegen-mcp-{os.getuid()}")
    os.makedirs(folder, exist_ok=True)
    return os.path.join(folder, f"{name}-{os.getpid()}.log")


def _tail(path: str, lines: int = 3) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            text = fh.read().strip().splitlines()
    except OSError:
        return ""
    return " | ".join(text[-lines:])


def result_value(result: Any) -> Any:
    """A tool result as a Python value: structured content (the SDK wraps a non-object return
    as ``{"result": ...}``), else each content block's JSON or text, images as display objects."""
    if result.structured_content is not None:
        sc = result.structured_content
        if isinstance(sc, dict) and list(sc) == ["result"]:
            return sc["result"]
        return sc
    values = [_block_value(block) for block in result.content]
    return values[0] if len(values) == 1 else values


def _block_value(block: Any) -> Any:
    kind = getattr(block, "type", "")
    if kind == "text":
        try:
            return json.loads(block.text)
        except ValueError:
            return block.text
    if kind == "image":
        from IPython.display import Image

        return Image(data=base64.b64decode(block.data), format=block.mime_type.split("/")[-1])
    return block


class Connection:
    """A live session with one server, owned by its own thread and event loop."""

    def __init__(self, spec: ServerSpec) -> None:
        self.spec = spec
        self.log_path = _log_path(spec.name)
        self.tools: list[Any] = []
        self.state = "stopped"
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._session: Any = None
        self._stop: asyncio.Event | None = None
        self._errlog: TextIO | None = None

    def start(self) -> None:
        """Start (or restart) the server and list its tools; a one-line :class:`MCPError`."""
        self.close()
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        failure: list[BaseException] = []
        self._loop = loop
        self._thread = threading.Thread(
            target=self._run, args=(loop, ready, failure), name=f"mcp-{self.spec.name}", daemon=True
        )
        self._thread.start()
        if not ready.wait(START_TIMEOUT) or failure:
            why = _error_text(failure[0]) if failure else f"no answer in {START_TIMEOUT:g}s"
            self.close()
            self.state = "failed"
            tail = _tail(self.log_path)
            raise MCPError(
                f"MCP server {self.spec.name!r} ({self.spec.describe()}) did not start: {why}"
                + (f"; stderr: {tail}" if tail else "")
            )
        self.state = "running"
        atexit.register(self.close)

    def _run(self, loop: asyncio.AbstractEventLoop, ready: threading.Event, failure: list) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._serve(ready))
        except BaseException as exc:  # reported to the starting cell, or marks the server down
            failure.append(exc)
        finally:
            self.state = "down" if self.state == "running" else self.state
            ready.set()
            loop.close()

    async def _serve(self, ready: threading.Event) -> None:
        from mcp import ClientSession

        self._stop = asyncio.Event()
        async with AsyncExitStack() as stack:
            streams = await stack.enter_async_context(self._transport(stack))
            session = await stack.enter_async_context(ClientSession(streams[0], streams[1]))
            await asyncio.wait_for(session.initialize(), START_TIMEOUT)
            listed = await asyncio.wait_for(session.list_tools(), START_TIMEOUT)
            self.tools = list(listed.tools)
            self._session = session
            ready.set()
            await self._stop.wait()

    def _transport(self, stack: AsyncExitStack) -> Any:
        if self.spec.command:
            from mcp.client.stdio import StdioServerParameters, stdio_client

            # closed by the stack when the session ends
            self._errlog = stack.enter_context(open(self.log_path, "a", encoding="utf-8"))  # noqa: SIM115
            params = StdioServerParameters(
                command=sys.executable,
                args=["-m", "jupyter_codegen.mcp.guard", *self.spec.command],
                env=dict(self.spec.env),
            )
            return stdio_client(params, errlog=self._errlog)
        import httpx2
        from mcp.client.streamable_http import streamable_http_client

        client = httpx2.AsyncClient(headers=self.spec.headers, timeout=self.spec.timeout)
        return streamable_http_client(self.spec.url, http_client=client)

    def call(self, tool: str, arguments: dict[str, Any]) -> Any:
        """Call one tool and wait at most the server's timeout; errors are :class:`MCPError`."""
        if self.state != "running" or self._loop is None or self._session is None:
            self.start()
        assert self._loop is not None
        future = asyncio.run_coroutine_threadsafe(
            self._session.call_tool(tool, arguments), self._loop
        )
        where = f"MCP tool {self.spec.name}.{tool}"
        try:
            result = future.result(self.spec.timeout)
        except TimeoutError:
            future.cancel()
            raise MCPError(f"{where} timed out after {self.spec.timeout:g}s") from None
        except Exception as exc:
            if not self._alive():
                self.close()
                self.state = "down"
                raise MCPError(
                    f"{where} failed: the server went down ({_error_text(exc)}); "
                    "the next call restarts it"
                ) from None
            raise MCPError(f"{where} failed: {_error_text(exc)}") from None
        if result.is_error:
            text = " ".join(getattr(b, "text", "") for b in result.content).strip()
            raise MCPError(f"{where} reported an error: {text or 'no message'}")
        return result_value(result)

    def _alive(self) -> bool:
        """Whether the session still answers: a crashed stdio server leaves the thread
        waiting, so only a ping tells a tool's own failure from a dead server."""
        if self._loop is None or self._thread is None or not self._thread.is_alive():
            return False
        ping = asyncio.run_coroutine_threadsafe(self._session.send_ping(), self._loop)
        try:
            ping.result(min(self.spec.timeout, 5.0))
        except Exception:
            ping.cancel()
            return False
        return True

    def close(self) -> None:
        """End the session and the server process; safe to call twice."""
        loop, thread, stop = self._loop, self._thread, self._stop
        if loop is not None and stop is not None and thread is not None and thread.is_alive():
            # the loop may close in between: the thread is ending anyway
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop.set)
            thread.join(10)
        self._loop = self._thread = self._session = self._stop = None
        if self.state == "running":
            self.state = "stopped"


def _error_text(exc: BaseException) -> str:
    # anyio's task groups wrap the cause in exception groups
    while getattr(exc, "exceptions", None):
        exc = exc.exceptions[0]  # type: ignore[attr-defined]
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
