"""Name and alias resolution: what a name in the code, or in the user's namespace, refers to as
a dotted path (``s = os.system``, ``getattr(os, "system")``, ``__import__("os")``,
``importlib.import_module("os")`` and ``sys.modules["os"]`` all lead to ``os.system``), so that
the checks judge what is called rather than what it is called here.
"""

from __future__ import annotations

import ast
import re
import types
from collections.abc import Iterable, Mapping
from typing import Any

from jupyter_codegen.kernel.policy.folding import fold
from jupyter_codegen.kernel.policy.match import _severity_of
from jupyter_codegen.kernel.policy.nodes import _arg, _const_str

#: Nodes that may bind a name to an expression (alias chains: ``a = os; b = a.system``).
_ASSIGNING = frozenset([ast.Assign, ast.AnnAssign, ast.NamedExpr, ast.withitem])
#: Every node that binds a name or an alias (what :meth:`_Names.collect_aliases` reads).
_BINDING = _ASSIGNING | {
    ast.Import,
    ast.ImportFrom,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.Name,
    ast.arg,
}


class _Names:
    """The resolution part of the analysis: the aliases, bound names and modules one code sets
    up, and the dotted path of any expression. The analysis dataclass provides the attributes."""

    aliases: dict[str, str]
    #: Names the code itself binds (defs, classes, assignments, loop variables, imports).
    bound: set[str]
    #: Names bound to modules by an import in this code.
    imported: set[str]
    #: Local names known to hold modules (imported here, or modules in the user's namespace).
    modules: set[str]
    parents: dict[int, ast.AST]

    def resolve(self, node: ast.AST, seen: int = 0) -> str:
        """The dotted path ``node`` refers to, following aliases; '' when unknown."""
        if seen > 20:
            return ""
        if isinstance(node, ast.Name):
            alias = self.aliases.get(node.id)
            return alias if alias is not None else node.id
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value, seen + 1)
            return f"{base}.{node.attr}" if base else ""
        if isinstance(node, ast.Subscript):
            base = self.resolve(node.value, seen + 1)
            key = _const_str(node.slice)
            if base == "sys.modules" and key:
                return key
            if base in ("globals()", "locals()", "vars()") and key:
                return self.aliases.get(key, key)
            if base in ("os.environ", "os.environb"):
                return f"{base}[]"
            return f"{base}[]" if base else ""
        if isinstance(node, ast.Call):
            return self._resolve_call(node, seen)
        if isinstance(node, ast.NamedExpr):
            return self.resolve(node.value, seen + 1)
        return ""

    def _resolve_call(self, node: ast.Call, seen: int) -> str:
        func = self.resolve(node.func, seen + 1)
        if func in ("getattr", "builtins.getattr") and len(node.args) >= 2:
            attr = fold(node.args[1], self.resolve)  # 'po' + 'pen' names popen as well
            base = self.resolve(node.args[0], seen + 1)
            if attr is not None and base:
                return f"{base}.{attr}"
            return ""
        if func in ("__import__", "builtins.__import__", "importlib.import_module"):
            name = _const_str(_arg(node, 0, "name"))
            if name:
                # __import__("os.path") returns os; import_module("os.path") returns os.path.
                return name if func == "importlib.import_module" else name.split(".")[0]
            return ""
        if func in ("pathlib.PurePath", "pathlib.PosixPath", "pathlib.WindowsPath"):
            func = "pathlib.Path"
        if func == "pathlib.Path.home" or func == "pathlib.Path.cwd":
            return "pathlib.Path()"
        return f"{func}()" if func else ""

    def collect_aliases(self, nodes: list[ast.AST]) -> None:
        """Imports and simple assignments, flow-insensitively (a later rebinding is not
        trusted to undo an earlier dangerous one). ``nodes``: the tree, walked once."""
        assignments: list[ast.AST] = []
        for node in nodes:
            kind = type(node)  # (exact types: the parser makes no subclasses)
            if kind not in _BINDING:
                continue  # most nodes: one set lookup, not seven isinstance tests
            if kind in _ASSIGNING:
                assignments.append(node)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    local = alias.asname or alias.name.split(".")[0]
                    self._alias(local, alias.name if alias.asname else alias.name.split(".")[0])
                    self.imported.add(local)
                    self.modules.add(local)
            elif isinstance(node, ast.ImportFrom):
                module = ("." * node.level) + (node.module or "")
                for alias in node.names:
                    if alias.name == "*":
                        continue
                    local = alias.asname or alias.name
                    self._alias(local, f"{module}.{alias.name}")
                    self.imported.add(local)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.bound.add(node.name)
            elif isinstance(node, (ast.Name,)) and isinstance(node.ctx, ast.Store):
                self.bound.add(node.id)
            elif isinstance(node, ast.arg):
                self.bound.add(node.arg)
        for _ in range(4):  # chains like a = os; b = a.system
            changed = False
            for node in assignments:
                pairs: list[tuple[ast.AST, ast.AST]] = []
                if isinstance(node, ast.Assign):
                    pairs = [(t, node.value) for t in node.targets]
                elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
                    pairs = [(node.target, node.value)]
                elif isinstance(node, ast.withitem) and node.optional_vars is not None:
                    pairs = [(node.optional_vars, node.context_expr)]
                for target, value in pairs:
                    for name, expr in _unpack(target, value):
                        path = self.resolve(expr)
                        if path and path != name and self._alias(name, path):
                            changed = True
            if not changed:
                break

    def _alias(self, name: str, path: str) -> bool:
        old = self.aliases.get(name)
        if old == path:
            return False
        if old is not None and _severity_of(old) >= _severity_of(path):
            return False  # keep the more dangerous meaning of a rebound name
        self.aliases[name] = path
        return True


def _unpack(target: ast.AST, value: ast.AST) -> Iterable[tuple[str, ast.AST]]:
    if isinstance(target, ast.Name):
        yield target.id, value
    elif isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, (ast.Tuple, ast.List)):
        for t, v in zip(target.elts, value.elts, strict=False):
            yield from _unpack(t, v)


_ALIAS_TYPES = (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, type)


def namespace_aliases(namespace: Mapping[str, Any]) -> dict[str, str]:
    """What the user's own names refer to, for names that hold modules or functions of modules
    (``sp`` after ``import subprocess as sp``; ``system`` after ``from os import system``), so
    generated code cannot reach them under another name; user-defined functions map to
    ``__main__.NAME`` (not registered, so ``strict`` refuses to call them)."""
    out: dict[str, str] = {}
    for name, value in list(namespace.items()):
        if not isinstance(value, _ALIAS_TYPES) or not isinstance(name, str) or name[:1] == "_":
            continue
        try:
            if isinstance(value, types.ModuleType):
                real = value.__name__
            elif isinstance(value, (types.FunctionType, types.BuiltinFunctionType, type)):
                module = getattr(value, "__module__", None) or ""
                qualname = getattr(value, "__qualname__", "") or ""
                if not module or not qualname or "<" in qualname:
                    continue
                real = f"{module}.{qualname}"
            else:
                continue
        except Exception:  # exotic objects with failing properties: not an alias
            continue
        if real != name:
            out[name] = real
    return out


_WORD = re.compile(r"\w+")


def code_aliases(code: str, namespace: Mapping[str, Any]) -> dict[str, str]:
    """:func:`namespace_aliases` for the names ``code`` mentions, the only ones its check
    looks up (a pass over a big namespace cost more than checking the code)."""
    mentioned = {word: namespace[word] for word in set(_WORD.findall(code)) if word in namespace}
    return namespace_aliases(mentioned)
