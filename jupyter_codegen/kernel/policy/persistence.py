"""The persistence check: code that changes files and names a place where a file runs code
later by itself (IPython and Jupyter startup and config folders, shell and login startup files,
cron, ``sitecustomize.py`` and site-packages, git hooks) is blocked, not asked: what it writes
would run in every new kernel, login or commit, long after the user clicked Run.

The places are read from every path the code spells out, literally or built from literals
(:mod:`.folding`), and from the functions that give them at run time (``site.getsitepackages``,
``IPython.paths.get_ipython_dir``, a module's ``__file__``). The check does not follow which
path a write goes to: naming such a place and writing anything is enough, so a path kept in a
variable and the write elsewhere in the code are blocked alike.
"""

from __future__ import annotations

import ast

from jupyter_codegen.kernel.policy.aliases import _Names
from jupyter_codegen.kernel.policy.findings import Finding, _Findings
from jupyter_codegen.kernel.policy.folding import fold
from jupyter_codegen.kernel.policy.match import _lookup
from jupyter_codegen.kernel.policy.rules import (
    _FILE_CHANGE_WORDS,
    _MODULE_FILE_ATTRS,
    _PERSISTENCE_FUNCTIONS,
    _PERSISTENCE_PATHS,
)

#: Nodes that can spell out a path (the others never fold to text).
_TEXT_NODES = (ast.Constant, ast.BinOp, ast.JoinedStr, ast.Call, ast.Subscript)


class _PersistenceChecks(_Names, _Findings):
    """The persistence check, run after the walk (it needs every other finding to know whether
    the code writes). The analysis dataclass provides the attributes."""

    def check_persistence(self, nodes: list[ast.AST]) -> None:
        writes = [f for f in self.findings if f.kind == "confirm" and _changes_files(f)]
        if not writes:
            return
        place = self.persistence_place(nodes)
        if place is None:
            return
        shown, reason, line = place
        self.findings.append(Finding("blocked", f"Blocked: {shown} {reason}", line))

    def persistence_place(self, nodes: list[ast.AST]) -> tuple[str, str, int] | None:
        """The first place in ``nodes`` where a written file would run later: (how it is
        shown, the reason, its line), or None."""
        for node in nodes:
            line = getattr(node, "lineno", 0)
            if isinstance(node, ast.Attribute) and node.attr in _MODULE_FILE_ATTRS:
                return f"writing near `.{node.attr}`", _MODULE_FILE_ATTRS[node.attr], line
            if isinstance(node, (ast.Attribute, ast.Name, ast.Call)) and self.names_module(node):
                path = self.resolve(node.func if isinstance(node, ast.Call) else node)
                reason = _lookup(_PERSISTENCE_FUNCTIONS, path)
                if reason is not None:
                    return f"writing where `{path}` points", reason, line
            if not isinstance(node, _TEXT_NODES):
                continue
            text = fold(node, self.resolve)
            if text is None or len(text) > 1000:
                continue
            normal = text.replace("\\", "/").strip()
            for pattern, reason in _PERSISTENCE_PATHS:
                if pattern.search(normal):
                    return f"writing {text[:80]!r}", reason, line
        return None

    def names_module(self, node: ast.AST) -> bool:
        """True when the chain ``node`` starts at a name bound to an import (``site`` the module,
        not a user's variable that happens to be called ``site``)."""
        while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
            node = node.func if isinstance(node, ast.Call) else node.value
        return isinstance(node, ast.Name) and node.id in self.aliases


def _changes_files(finding: Finding) -> bool:
    return any(word in finding.reason for word in _FILE_CHANGE_WORDS)
