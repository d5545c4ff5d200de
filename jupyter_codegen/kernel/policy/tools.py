"""The checks of MCP tool calls: what a tool's annotations say decides whether generated code
that calls it may run (``weather.get_forecast(...)``: read-only, it runs) or asks first
(destructive or open-world tools, under ``default``); ``strict`` lets code call only the
servers the user marked trusted, and only their read-only tools.

The check is by name, conservatively: any reference to a tool that asks, on the server or on
anything else (a tool passed around, a server handed to a function), counts as a call.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from jupyter_codegen.kernel.policy.findings import _Findings
from jupyter_codegen.kernel.policy.nodes import _const_str
from jupyter_codegen.kernel.policy.source import _parse, _transform

#: What a server object offers besides its tools, none of which calls one.
_INERT_ATTRS = frozenset(["name", "state", "trusted", "skipped", "annotations", "log_path"])


@dataclass(frozen=True)
class ToolServer:
    """An MCP server bound in the user's namespace, as the policy sees it: whether the user
    trusts it, and for each tool (its Python name) why a call asks ("" when it may run)."""

    trusted: bool
    asks: Mapping[str, str]

    def asking(self) -> dict[str, str]:
        return {tool: why for tool, why in self.asks.items() if why}


class _ToolChecks(_Findings):
    """The checks of MCP tool use. The analysis dataclass provides the attributes."""

    tool_servers: Mapping[str, ToolServer]
    parents: dict[int, ast.AST]

    def check_tools(self, nodes: list[ast.AST]) -> None:
        if not self.tool_servers:
            return
        elsewhere = {
            tool: (name, why)
            for name, server in self.tool_servers.items()
            for tool, why in server.asking().items()
        }
        for node in nodes:
            if isinstance(node, ast.Name) and node.id in self.tool_servers:
                if isinstance(node.ctx, ast.Load):
                    self._check_server_use(node)
                else:  # (small models write `stations = stations.list_stations()`)
                    self.add(
                        "rejected",
                        f"the code rebinds `{node.id}`, your MCP server; keep the server and "
                        "store results under another name",
                        node,
                    )
            elif (
                isinstance(node, ast.Attribute)
                and node.attr in elsewhere
                and not (isinstance(node.value, ast.Name) and node.value.id in self.tool_servers)
            ):
                server, why = elsewhere[node.attr]
                self.add(
                    "confirm",
                    f"`.{node.attr}` may call the MCP tool `{server}.{node.attr}`, which is {why}",
                    node,
                )

    def _check_server_use(self, node: ast.Name) -> None:
        name, server = node.id, self.tool_servers[node.id]
        if self.strict and not server.trusted:
            self.strict_block(f"calling the MCP server `{name}`, which is not marked trusted", node)
            return
        parent = self.parents.get(id(node))
        attr: str | None = None
        if isinstance(parent, ast.Attribute) and parent.value is node:
            attr = parent.attr
        elif (
            isinstance(parent, ast.Call)
            and isinstance(parent.func, ast.Name)
            and parent.func.id == "getattr"
            and parent.args[:1] == [node]
        ):
            attr = _const_str(parent.args[1]) if len(parent.args) > 1 else None
            if attr is None:
                self._ask_any(name, server, "reaches its tools by a name chosen at run time", node)
                return
        if attr is None:
            self._ask_any(name, server, "is handed on, so the code can call any of its tools", node)
        elif attr in server.asks:
            if server.asks[attr]:
                why = server.asks[attr]
                self.add("confirm", f"`{name}.{attr}(...)` calls an MCP tool that is {why}", node)
        elif attr not in _INERT_ATTRS:
            self._ask_any(name, server, f"is used through `.{attr}`", node)

    def _ask_any(self, name: str, server: ToolServer, how: str, node: ast.AST) -> None:
        asking = server.asking()
        if asking:
            tools = ", ".join(sorted(asking)[:4]) + (" ..." if len(asking) > 4 else "")
            self.add(
                "confirm",
                f"the MCP server `{name}` {how}, including tools that are not read-only ({tools})",
                node,
            )


def uses_names(code: str, names: Collection[str]) -> bool:
    """Whether ``code`` reads any of ``names`` (False for code that does not parse)."""
    if not names:
        return False
    try:
        tree = _parse(_transform(code))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(tree))
