"""The MCP servers of one kernel, as the prompt cells see them.

A server is any :class:`~jupyter_codegen.mcp.client.MCPServer` bound to a name in the user's
namespace: one the user's code made with ``connect_mcp``, or one configured
(``c.Codegen.mcp_servers`` in the common ``mcpServers`` shape, or ``%gemini mcp add``), which
:class:`ServerSet` binds under its name and which starts at first use. A prompt cell then

* describes each server's tools as namespaced stubs in the context (:func:`describe`; many
  tools: full stubs for the best few, the rest by name, see :mod:`.stubs`);
* declares its read-only tools for native calls (:func:`native_tools`; the others are called
  from code only, where the policy can ask first);
* tells the policy what each tool's annotations mean (:func:`policy_view`);
* logs the calls made by the generated code (:func:`logging_calls`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from jupyter_codegen.errors import MCPError, UsageError
from jupyter_codegen.functions.registry import CallLog
from jupyter_codegen.kernel.policy import ToolServer
from jupyter_codegen.mcp.client import MCPServer, server_for, spec_for
from jupyter_codegen.mcp.runtime import DEFAULT_TIMEOUT
from jupyter_codegen.mcp.stubs import FULL_STUBS, describe_server, rank_tools, stub

#: Keys of one entry of the common ``mcpServers`` shape that this client reads ("type" and
#: the like, which other clients write, are accepted and ignored).
_ENTRY_KEYS = ("command", "args", "env", "url", "headers", "timeout", "trusted")


def found(namespace: Mapping[str, Any]) -> dict[str, MCPServer]:
    """Variable name -> server, for every server bound in ``namespace``."""
    return {
        name: value
        for name, value in list(namespace.items())
        if type(value) is MCPServer and not name.startswith("_")
    }


def parse_config(config: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The servers of a config in the ``mcpServers`` shape (the mapping itself, or a mapping
    holding it under ``mcpServers``), each entry checked; a one-line :class:`UsageError`."""
    servers = config.get("mcpServers", config) if isinstance(config, Mapping) else None
    if not isinstance(servers, Mapping):
        raise UsageError("mcp_servers must map server names to {command, args, env} or {url}")
    parsed: dict[str, dict[str, Any]] = {}
    for name, entry in servers.items():
        if not isinstance(entry, Mapping):
            raise UsageError(f"mcp_servers[{name!r}] must be a mapping")
        command = entry.get("command")
        args = entry.get("args", [])
        if command is not None and (not isinstance(command, str) or not isinstance(args, list)):
            raise UsageError(f"mcp_servers[{name!r}]: 'command' is a string, 'args' a list")
        parsed[str(name)] = {k: entry[k] for k in _ENTRY_KEYS if k in entry}
    return parsed


def entry_from_words(words: list[str]) -> tuple[str, dict[str, Any]]:
    """``NAME [--trusted] [--env K=V] [--timeout S] -- CMD ARGS...`` or ``NAME --url URL
    [--header K=V] [--trusted]`` (``%gemini mcp add``) as a name and an ``mcpServers`` entry."""
    name, rest = words[0], words[1:]
    command: list[str] = []
    if "--" in rest:
        at = rest.index("--")
        rest, command = rest[:at], rest[at + 1 :]
    entry: dict[str, Any] = {}
    pairs = {"--env": "env", "--header": "headers"}
    i = 0
    while i < len(rest):
        flag = rest[i]
        if flag == "--trusted":
            entry["trusted"] = True
            i += 1
            continue
        if flag not in (*pairs, "--url", "--timeout") or i + 1 >= len(rest):
            raise UsageError(f"%gemini mcp add: unexpected {flag!r}; put the command after --")
        value = rest[i + 1]
        if flag in pairs:
            key, sep, val = value.partition("=" if flag == "--env" else ":")
            if not sep:
                key, sep, val = value.partition("=")
            if not sep or not key.strip():
                raise UsageError(f"%gemini mcp add: {flag} takes KEY=VALUE, got {value!r}")
            entry.setdefault(pairs[flag], {})[key.strip()] = val.strip()
        elif flag == "--url":
            entry["url"] = value
        else:
            try:
                entry["timeout"] = float(value)
            except ValueError:
                raise UsageError(
                    f"%gemini mcp add: --timeout takes seconds, got {value!r}"
                ) from None
        i += 2
    if command:
        entry["command"], entry["args"] = command[0], command[1:]
    if ("command" in entry) == ("url" in entry):
        raise UsageError("%gemini mcp add NAME: give either -- CMD ARGS... or --url URL")
    return name, entry


def server_from_entry(name: str, entry: Mapping[str, Any]) -> MCPServer:
    """A not yet started server for one ``mcpServers`` entry."""
    command = [entry["command"], *map(str, entry.get("args", []))] if "command" in entry else None
    try:
        spec = spec_for(
            name,
            command,
            {str(k): str(v) for k, v in dict(entry.get("env") or {}).items()},
            entry.get("url"),
            {str(k): str(v) for k, v in dict(entry.get("headers") or {}).items()},
            float(entry.get("timeout", DEFAULT_TIMEOUT)),
        )
    except MCPError as exc:
        raise UsageError(str(exc)) from None
    return server_for(spec, trusted=bool(entry.get("trusted", False)), start=False)


@dataclass
class ServerSet:
    """The servers configured for this kernel, by name (what ``%gemini mcp remove`` may stop)."""

    configured: dict[str, MCPServer] = field(default_factory=dict)

    def configure(self, config: Mapping[str, Any], namespace: dict[str, Any]) -> list[str]:
        """Bind the servers of ``config`` (not started); returns their names."""
        names = []
        for name, entry in parse_config(config).items():
            self.add(server_from_entry(name, entry), namespace)
            names.append(name)
        return names

    def add(self, server: MCPServer, namespace: dict[str, Any]) -> None:
        """Bind ``server`` under its name, replacing (and stopping) a configured one."""
        old = self.configured.pop(server.name, None)
        if old is not None:
            old.close()
        self.configured[server.name] = server
        namespace[server.name] = server

    def remove(self, name: str, namespace: dict[str, Any]) -> None:
        server = self.configured.pop(name, None) or found(namespace).get(name)
        if server is None:
            raise UsageError(f"No MCP server named {name!r}; see %gemini mcp list")
        server.close()
        if namespace.get(name) is server:
            del namespace[name]

    def close(self) -> None:
        for server in self.configured.values():
            server.close()


def listing(namespace: Mapping[str, Any]) -> list[str]:
    """``%gemini mcp list``: one line a server (name, state, where, tools), never a secret."""
    servers = found(namespace)
    if not servers:
        return ["No MCP servers. Add one with %gemini mcp add NAME -- CMD ARGS... or --url URL."]
    lines = []
    for name, server in servers.items():
        tools = ", ".join(server.tools) if server.started else "listed at first use"
        trusted = ", trusted" if server.trusted else ""
        lines.append(f"{name}: {server.state}{trusted} · {server.spec.describe()} · {tools}")
        lines.extend(f"  skipped {tool}: {why}" for tool, why in server.skipped.items())
    return lines


def tool_stubs(name: str, server: MCPServer) -> list[str]:
    """A started server's tools as stubs under its variable ``name`` (the sidebar lists them);
    none before it starts (listing them would start it)."""
    return [stub(name, tool, fn) for tool, fn in server.tools.items()] if server.started else []


def describe(servers: Mapping[str, MCPServer], prompt: str) -> list[str]:
    """The context's lines for every server of :func:`found` (started now if need be); a
    server that cannot start is one line saying so, and the prompt cell goes on without it."""
    lines: list[str] = []
    for name, server in servers.items():
        try:
            tools = server.tools
        except MCPError as exc:
            lines.append(f"# MCP server {name!r} is not available: {exc}")
            continue
        lines.extend(describe_server(name, tools, prompt))
    return lines


@dataclass(frozen=True)
class NativeTool:
    """A read-only tool declared for native calls, under a name without dots (OpenAI's
    function names allow none)."""

    name: str
    server: str
    tool: str
    fn: Any


def native_tools(
    servers: Mapping[str, MCPServer], prompt: str, *, every: bool = False
) -> list[NativeTool]:
    """The read-only tools of the started servers, the best ``FULL_STUBS`` of each for
    ``prompt`` (``every``: all of them): the tools that ask (destructive, open-world) are called
    from code only, where the policy shows the code and asks first."""
    out = []
    for name, server in servers.items():
        if not server.started:
            continue
        asks = server.asks()
        readable = {t: fn for t, fn in server.tools.items() if not asks[t]}
        chosen = list(readable) if every else rank_tools(prompt, readable)[:FULL_STUBS]
        for tool in chosen:
            out.append(NativeTool(f"{name}__{tool}", name, tool, readable[tool]))
    return out


def policy_view(servers: Mapping[str, MCPServer]) -> dict[str, ToolServer]:
    """Variable name -> what the policy needs of that server (started ones only: a server
    nobody described has no tools the code could know of)."""
    return {
        name: ToolServer(server.trusted, server.asks())
        for name, server in servers.items()
        if server.started
    }


@contextlib.contextmanager
def logging_calls(servers: Mapping[str, MCPServer], log: CallLog) -> Iterator[None]:
    """While generated code runs, each server's calls go into the prompt cell's call log."""
    for server in servers.values():
        server.log = log
    try:
        yield
    finally:
        for server in servers.values():
            server.log = None
