"""The analysis of one code: its state (a dataclass the check modules' parts share), the walk
that sends every node to its check, the nested analysis of ``eval``/``exec`` literals, and the
entry points :func:`analyze` and :func:`check`.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Collection, Container, Mapping
from dataclasses import dataclass, field
from typing import Any

from jupyter_codegen.kernel.cell_run import plain_python
from jupyter_codegen.kernel.policy.calls import _CallChecks
from jupyter_codegen.kernel.policy.findings import Finding, _decision, _ranked
from jupyter_codegen.kernel.policy.materialise import _MaterialiseChecks
from jupyter_codegen.kernel.policy.nodes import _arg, _const_str
from jupyter_codegen.kernel.policy.persistence import _PersistenceChecks
from jupyter_codegen.kernel.policy.rebinding import _Rebinding
from jupyter_codegen.kernel.policy.rules import _SENSITIVE_MODULES, POLICIES
from jupyter_codegen.kernel.policy.source import _parse, _transform
from jupyter_codegen.kernel.policy.tools import ToolServer, _ToolChecks


@dataclass
class _Analysis(_CallChecks, _Rebinding, _PersistenceChecks, _MaterialiseChecks, _ToolChecks):
    """One code's analysis. The checks come from the parts it is made of (one module each); the
    state they share is declared once, here, and each part names only what it reads."""

    policy: str
    user_names: Container[str]
    registered: Collection[str]
    #: The prompt the code answers: a file it names may be loaded (:mod:`.loads`).
    prompt: str = ""
    depth: int = 0
    findings: list[Finding] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)
    #: Names the code itself binds (defs, classes, assignments, loop variables, imports).
    bound: set[str] = field(default_factory=set)
    #: Names bound to modules by an import in this code.
    imported: set[str] = field(default_factory=set)
    #: Local names known to hold modules (imported here, or modules in the user's namespace).
    modules: set[str] = field(default_factory=set)
    parents: dict[int, ast.AST] = field(default_factory=dict)
    #: Every node of the code, from the one walk.
    nodes: list[ast.AST] = field(default_factory=list)
    #: The user's lazy or distributed frames the code mentions (kernel/engines.lazy_frames).
    frames: Mapping[str, Any] = field(default_factory=dict)
    #: The MCP servers bound in the user's namespace, by variable name (:mod:`.tools`).
    tool_servers: Mapping[str, ToolServer] = field(default_factory=dict)

    def run(self, tree: ast.Module) -> None:
        nodes = self.nodes = _walk(tree, self.parents)  # one walk for every pass
        self.collect_aliases(nodes)
        self.modules |= {n for n, path in self.aliases.items() if path in _SENSITIVE_MODULES}
        # Each node to its check by its exact type (the parser makes no subclasses): a chain
        # of isinstance tests asked most nodes nine questions.
        checks: dict[type, Any] = {
            ast.Import: self.check_import,
            ast.ImportFrom: self.check_import,
            ast.Call: self._check_call_node,
            ast.Attribute: self.check_attribute,
            ast.Name: self.check_name,
            ast.Subscript: self.check_subscript,
            ast.Constant: self._check_constant,
            ast.Delete: self.check_delete,
            ast.Global: self._check_global,
            ast.Nonlocal: self._check_global,
        }
        for node in nodes:
            check = checks.get(type(node))
            if check is not None:
                check(node)
        self.check_rebinding(tree)
        self.check_persistence(nodes)
        self.check_tools(nodes)

    def _check_call_node(self, node: ast.Call) -> None:
        self.check_call(node)
        self.check_materialise(node)

    def _check_constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str):
            self.check_string(node)

    def _check_global(self, node: ast.Global | ast.Nonlocal) -> None:
        if self.strict:
            self.strict_block("`global` statements", node)

    def check_eval(self, node: ast.Call, path: str) -> None:
        source = _const_str(_arg(node, 0, "source", "object"))
        name = path.rsplit(".", 1)[-1]
        if self.strict:
            self.strict_block(f"`{name}(...)`", node)
            return
        if source is None or self.depth >= 3:
            self.blocked(f"`{name}(...)`", "runs code the check cannot see", node)
            return
        try:
            inner = _parse(source)
        except (SyntaxError, ValueError):
            return  # it will raise when run, harmlessly
        sub = _Analysis(
            self.policy,
            self.user_names,
            self.registered,
            self.prompt,
            self.depth + 1,
            tool_servers=self.tool_servers,
        )
        sub.run(inner)
        for finding in sub.findings:
            kind = "blocked" if finding.kind == "rejected" else finding.kind
            self.findings.append(Finding(kind, f"{finding.reason} (inside {name})", node.lineno))


def _walk(tree: ast.AST, parents: dict[int, ast.AST]) -> list[ast.AST]:
    """Every node of ``tree`` in ``ast.walk``'s order, each child's parent noted in
    ``parents`` on the way (a second walk for the parents was a quarter of the analysis)."""
    nodes = [tree]
    node_type = ast.AST
    for node in nodes:  # (the list grows as it is read: breadth first)
        # ast.iter_child_nodes, inlined: its generators were a third of the walk.
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, node_type):
                parents[id(value)] = node
                nodes.append(value)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, node_type):
                        parents[id(item)] = node
                        nodes.append(item)
    return nodes


def analyze(
    code: str,
    user_names: Container[str] = (),
    *,
    policy: str = "default",
    registered: Collection[str] = (),
    aliases: Mapping[str, str] | None = None,
    prompt: str = "",
    frames: Mapping[str, Any] | None = None,
    tool_servers: Mapping[str, ToolServer] | None = None,
    tree: ast.Module | None = None,
) -> list[Finding]:
    """Every finding in ``code`` under ``policy``, most severe first (empty: it may run).

    ``aliases`` (from :func:`namespace_aliases`) tells what the user's names already refer to;
    ``prompt`` is what the code answers (a file it names may be unpickled, :mod:`.loads`).
    ``frames`` (from :func:`jupyter_codegen.kernel.engines.lazy_frames`) which of them hold
    lazy or distributed frames; ``tool_servers`` the MCP servers bound in the namespace;
    ``tree``: ``code`` as the caller parsed it, used when IPython runs the text as it is (a
    parse is a tenth of a one-line check).
    """
    if policy == "off":
        return []
    if policy not in POLICIES:
        raise ValueError(f"unknown policy {policy!r}; use one of {', '.join(POLICIES)}")
    try:
        if tree is None or not plain_python(code):
            tree = _parse(_transform(code))
    except SyntaxError as exc:
        return [Finding("rejected", f"SyntaxError: {exc.msg}", exc.lineno or 0)]
    except (ValueError, RecursionError, MemoryError) as exc:
        return [Finding("rejected", f"the code cannot be parsed ({type(exc).__name__})")]
    analysis = _Analysis(
        policy, user_names, registered, prompt, frames=frames or {}, tool_servers=tool_servers or {}
    )
    for name, path in (aliases or {}).items():
        analysis.aliases[name] = path
        if path.split(".")[0] in sys.modules and path in sys.modules:
            analysis.modules.add(name)
    try:
        analysis.run(tree)
    except RecursionError:
        return [Finding("blocked", "Blocked: the code is nested too deeply to check")]
    return _ranked(analysis.findings)


def check(
    code: str,
    user_names: Container[str] = (),
    *,
    policy: str = "default",
    registered: Collection[str] = (),
    aliases: Mapping[str, str] | None = None,
    prompt: str = "",
    frames: Mapping[str, Any] | None = None,
    tool_servers: Mapping[str, ToolServer] | None = None,
    tree: ast.Module | None = None,
) -> Finding | None:
    """The finding that decides what happens to ``code``, or None when it may run.

    ``blocked`` beats ``rejected`` beats ``confirm``; the ``confirm`` finding lists every
    reason to ask (file writes, network, ...). ``user_names`` are the variables the user already
    has (rebinding one at top level to literal data, or deleting it, is rejected; reading one
    whose name looks like a credential is blocked); ``registered`` are the registered functions,
    which ``strict`` allows.
    """
    findings = analyze(
        code,
        user_names,
        policy=policy,
        registered=registered,
        aliases=aliases,
        prompt=prompt,
        frames=frames,
        tool_servers=tool_servers,
        tree=tree,
    )
    return _decision(findings)
