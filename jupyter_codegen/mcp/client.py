"""``connect_mcp``: an MCP server as a Python object with one callable per tool."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from jupyter_codegen.errors import MCPError
from jupyter_codegen.functions.registry import CallLog, CallRecord, format_args, short_repr
from jupyter_codegen.mcp.runtime import DEFAULT_TIMEOUT, Connection, ServerSpec
from jupyter_codegen.mcp.tools import make_callable


def python_name(tool: str) -> str:
    """A tool name as a Python identifier (``get-forecast`` -> ``get_forecast``)."""
    name = re.sub(r"\W", "_", tool)
    return f"_{name}" if not name or name[0].isdigit() else name


def why_it_asks(annotations: Any) -> str:
    """Why calling a tool needs the user's yes under the ``default`` policy ("" when it may
    run): the tool's MCP annotations, read with the spec's defaults (a tool that says nothing
    is assumed to write and to reach the outside world)."""

    def hint(name: str, default: bool) -> bool:
        value = getattr(annotations, name, None)
        return default if value is None else bool(value)

    if hint("read_only_hint", False):
        return ""
    if hint("destructive_hint", True):
        return "destructive" if annotations is not None else "not annotated as read-only"
    if hint("open_world_hint", True):
        return "open-world"
    return ""


class MCPServer:
    """A server: ``server.<tool>(**arguments)``. It starts at first use (a tool call, its
    ``tools``, a prompt cell that describes it). ``skipped`` names the tools whose schema could
    not become a Python signature, with why; ``trusted`` servers are the ones the ``strict``
    policy lets generated code call."""

    def __init__(self, connection: Connection, *, trusted: bool = False) -> None:
        self._connection = connection
        self.name = connection.spec.name
        self.trusted = trusted
        self._tools: dict[str, Callable[..., Any]] | None = None
        #: Why the last start failed: raised again at each use instead of waiting for a server
        #: that will not start at every prompt cell (``restart()`` tries again).
        self._failure: MCPError | None = None
        self.annotations: dict[str, Any] = {}
        self.skipped: dict[str, str] = {}
        #: While generated code runs, the prompt cell's call log (see ServerSet.logging_calls).
        self.log: CallLog | None = None

    @property
    def tools(self) -> dict[str, Callable[..., Any]]:
        """Python name -> callable, listed from the server (started now if it is not yet)."""
        if self._tools is None:
            if self._failure is not None:
                raise self._failure
            if self._connection.state != "running":
                try:
                    self._connection.start()
                except MCPError as exc:
                    self._failure = MCPError(f"{exc}; fix it, then {self.name}.restart()")
                    raise self._failure from None
            self._tools = self._load()
        return self._tools

    def restart(self) -> None:
        """Stop the server and start it again (after a failed start, or to list new tools)."""
        self._connection.close()
        self._tools, self._failure = None, None
        self.skipped.clear()
        self.tools  # noqa: B018 - starts it, raising a one-line error

    @property
    def started(self) -> bool:
        return self._tools is not None

    def _load(self) -> dict[str, Callable[..., Any]]:
        tools: dict[str, Callable[..., Any]] = {}
        for tool in self._connection.tools:
            pyname = python_name(tool.name)
            try:
                fn = make_callable(
                    pyname,
                    tool.description or "",
                    tool.input_schema,
                    self._caller(tool.name),
                    tool.output_schema,
                )
            except MCPError as exc:
                self.skipped[tool.name] = str(exc)
                continue
            tools[pyname] = fn
            self.annotations[pyname] = tool.annotations
        return tools

    def asks(self) -> dict[str, str]:
        """Tool -> why calling it asks ("" when it may run): see :func:`why_it_asks`."""
        return {name: why_it_asks(self.annotations.get(name)) for name in self.tools}

    def _caller(self, tool: str) -> Callable[[dict[str, Any]], Any]:
        def call(arguments: dict[str, Any]) -> Any:
            log, started = self.log, time.perf_counter()
            try:
                value = self._connection.call(tool, arguments)
            except Exception as exc:
                if log is not None:
                    log.add(self._record(tool, arguments, False, str(exc), started))
                raise
            if log is not None:
                log.add(self._record(tool, arguments, True, short_repr(value), started))
            return value

        return call

    def _record(
        self, tool: str, arguments: dict[str, Any], ok: bool, summary: str, started: float
    ) -> CallRecord:
        return CallRecord(
            f"{self.name}.{python_name(tool)}",
            format_args(arguments),
            "code",
            ok,
            summary[:120],
            time.perf_counter() - started,
        )

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        tools = self.tools
        if name in tools:
            return tools[name]
        raise AttributeError(
            f"MCP server {self.__dict__.get('name')!r} has no tool {name!r}; "
            f"its tools: {', '.join(sorted(tools)) or 'none'}"
        )

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self.tools))

    @property
    def state(self) -> str:
        """``not started``, ``running``, ``down`` (crashed; the next call restarts it),
        ``failed`` or ``stopped``."""
        state = self._connection.state
        return "not started" if state == "stopped" and self._tools is None else state

    @property
    def spec(self) -> ServerSpec:
        return self._connection.spec

    @property
    def log_path(self) -> str:
        """Where the server's stderr goes."""
        return self._connection.log_path

    def close(self) -> None:
        """Stop the server (stdio) or end the session (HTTP)."""
        self._connection.close()

    def __repr__(self) -> str:
        listed = ", ".join(self._tools) if self._tools is not None else "tools listed at first use"
        return f"<MCP server {self.name!r} ({self.state}): {listed}>"


def server_for(spec: ServerSpec, *, trusted: bool = False, start: bool = True) -> MCPServer:
    """An :class:`MCPServer` for ``spec``; ``start``: connect now (else at first use)."""
    server = MCPServer(Connection(spec), trusted=trusted)
    if start:
        server.tools  # noqa: B018 - starts it and lists the tools, raising a one-line error
    return server


def connect_mcp(
    name: str,
    *,
    command: list[str] | None = None,
    env: dict[str, str] | None = None,
    url: str | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    trusted: bool = False,
) -> MCPServer:
    """Start (``command``, stdio) or connect to (``url``, streamable HTTP) an MCP server and
    return an object with one callable per tool, e.g. ``weather.get_forecast(city="Oslo")``.

    Args:
        name: what the server is called in stubs and errors.
        command: the server's command line, for a stdio server.
        env: extra environment variables for a stdio server (never shown anywhere).
        url: the endpoint of a streamable-HTTP server.
        headers: HTTP headers, e.g. an authorization token (never shown anywhere).
        timeout: seconds each tool call may take.
        trusted: the ``strict`` policy lets generated code call this server's tools.
    """
    return server_for(spec_for(name, command, env, url, headers, timeout), trusted=trusted)


def spec_for(
    name: str,
    command: list[str] | None,
    env: dict[str, str] | None,
    url: str | None,
    headers: dict[str, str] | None,
    timeout: float = DEFAULT_TIMEOUT,
) -> ServerSpec:
    """A checked :class:`ServerSpec` (one-line :class:`MCPError` when it is not one)."""
    if not name.isidentifier():
        raise MCPError(f"MCP server name {name!r} must be a Python identifier (e.g. 'weather')")
    if bool(command) == bool(url):
        raise MCPError(f"MCP server {name!r}: give either command=[...] or url=..., not both")
    return ServerSpec(
        name=name,
        command=list(command or []),
        env=dict(env or {}),
        url=url or "",
        headers=dict(headers or {}),
        timeout=timeout,
    )
