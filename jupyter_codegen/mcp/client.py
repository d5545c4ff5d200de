"""``connect_mcp``: an MCP server as a Python object with one callable per tool."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from jupyter_codegen.errors import MCPError
from jupyter_codegen.mcp.runtime import DEFAULT_TIMEOUT, Connection, ServerSpec
from jupyter_codegen.mcp.tools import make_callable


def python_name(tool: str) -> str:
    """A tool name as a Python identifier (``get-forecast`` -> ``get_forecast``)."""
    name = re.sub(r"\W", "_", tool)
    return f"_{name}" if not name or name[0].isdigit() else name


class MCPServer:
    """A connected server: ``server.<tool>(**arguments)``; ``skipped`` names the tools whose
    schema could not become a Python signature, with why."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self.name = connection.spec.name
        self.tools: dict[str, Callable[..., Any]] = {}
        self.annotations: dict[str, Any] = {}
        self.skipped: dict[str, str] = {}
        for tool in connection.tools:
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
            self.tools[pyname] = fn
            self.annotations[pyname] = tool.annotations

    def _caller(self, tool: str) -> Callable[[dict[str, Any]], Any]:
        return lambda arguments: self._connection.call(tool, arguments)

    def __getattr__(self, name: str) -> Any:
        tools = self.__dict__.get("tools", {})
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
        """``running``, ``down`` (crashed; the next call restarts it), ``failed`` or ``stopped``."""
        return self._connection.state

    @property
    def log_path(self) -> str:
        """Where the server's stderr goes."""
        return self._connection.log_path

    def close(self) -> None:
        """Stop the server (stdio) or end the session (HTTP)."""
        self._connection.close()

    def __repr__(self) -> str:
        return f"<MCP server {self.name!r} ({self.state}): {', '.join(self.tools)}>"


def connect_mcp(
    name: str,
    *,
    command: list[str] | None = None,
    env: dict[str, str] | None = None,
    url: str | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
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
    """
    if bool(command) == bool(url):
        raise MCPError(f"connect_mcp({name!r}): give either command=[...] or url=..., not both")
    spec = ServerSpec(
        name=name,
        command=list(command or []),
        env=dict(env or {}),
        url=url or "",
        headers=dict(headers or {}),
        timeout=timeout,
    )
    connection = Connection(spec)
    connection.start()
    return MCPServer(connection)
