"""The checks of everything the code reaches without calling it: imports, names, attributes,
subscripts, string literals and ``del``; with the environment and IPython checks, which calls
share (``os.environ["K"]`` and ``os.getenv("K")`` are one question).
"""

from __future__ import annotations

import ast
from collections.abc import Container

from jupyter_codegen.kernel.policy.aliases import _Names
from jupyter_codegen.kernel.policy.findings import _Findings
from jupyter_codegen.kernel.policy.match import _lookup, _root, _strict_module
from jupyter_codegen.kernel.policy.nodes import _const_str
from jupyter_codegen.kernel.policy.rules import (
    _BLOCKED,
    _BLOCKED_MAGICS,
    _CONFIRM,
    _CONFIRM_MAGICS,
    _CREDENTIAL_ENV_PREFIXES,
    _CREDENTIAL_PATH,
    _ESCAPE_ATTRS,
    _SAFE_MAGICS,
    _SENSITIVE_MODULES,
    _STRICT_DUNDERS,
    _STRICT_MAGICS,
    _UNPICKLERS,
)
from jupyter_codegen.kernel.redact import is_secret_name


class _NodeChecks(_Names, _Findings):
    """The checks of nodes other than calls. The analysis dataclass provides the attributes."""

    user_names: Container[str]

    def check_import(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            modules = [a.name for a in node.names]
        else:
            modules = [("." * node.level) + (node.module or "")]
            if any(a.name == "*" for a in node.names):
                if _root(modules[0]) in _SENSITIVE_MODULES or _lookup(_BLOCKED, modules[0] + "."):
                    self.blocked(f"`from {modules[0]} import *`", "hides what is called", node)
                elif self.strict:
                    self.strict_block(f"`from {modules[0]} import *`", node)
        for module in modules:
            if _root(module) in ("jupyter_codegen", "ctypes", "cffi"):
                self.blocked(f"`import {module}`", _lookup(_BLOCKED, module + ".") or "", node)
                continue
            if self.strict and not _strict_module(module):
                names = [f"{module}.{a.name}" for a in getattr(node, "names", [])]
                if module == "IPython" and names and all(_strict_module(n) for n in names):
                    continue
                self.strict_block(
                    f"`import {module}` (allowed libraries: numpy, pandas, math, statistics, "
                    "matplotlib, ipywidgets, scipy, ... and registered functions)",
                    node,
                )

    def check_name(self, node: ast.Name) -> None:
        if not isinstance(node.ctx, ast.Load):
            if node.id in ("__builtins__", "get_ipython", "display", "print", "open"):
                self.blocked(f"rebinding `{node.id}`", "changes Python's builtins", node)
            return
        if node.id in ("__builtins__", "__loader__", "__spec__"):
            self.blocked(f"`{node.id}`", _BLOCKED[node.id], node)
            return
        if node.id in self.user_names and node.id not in self.bound and is_secret_name(node.id):
            self.blocked(f"`{node.id}`", "reads a credential (its name looks like a secret)", node)
            return
        if self.is_used_as_value(node):
            self.check_reference(self.resolve(node), node)

    def is_used_as_value(self, node: ast.AST) -> bool:
        """True unless ``node`` is the object of an attribute access or the callee of a call."""
        parent = self.parents.get(id(node))
        if isinstance(parent, ast.Attribute) and parent.value is node:
            return False
        if isinstance(parent, ast.Call) and parent.func is node:
            return False
        return not (isinstance(parent, ast.Subscript) and parent.value is node)

    def check_reference(self, path: str, node: ast.AST) -> None:
        """A dangerous function or module passed around as a value (``map(os.remove, ...)``)."""
        if "()" in path or "[]" in path:
            return  # a call's result: the call itself was judged
        if path in ("eval", "exec", "compile", "__import__", "breakpoint"):
            self.blocked(f"passing `{path}` around", "runs code the check cannot see", node)
            return
        if path in _SENSITIVE_MODULES and path not in ("io", "pathlib", "types", "inspect"):
            bare = isinstance(node, ast.Name) and node.id == path
            if bare or path in ("builtins", "sys", "os", "subprocess", "ctypes", "importlib"):
                self.blocked(f"passing the module `{path}` around", "hides what is called", node)
            return
        reason = _lookup(_BLOCKED, path)
        if reason is not None and "." in path:
            self.blocked(f"`{path}`", reason, node)
            return
        if path in _UNPICKLERS:
            self.blocked(f"passing `{path}` around", "hides what it unpickles", node)
            return
        reason = _lookup(_CONFIRM, path)
        if reason is not None and "." in path and path.split(".")[-1][:1].islower():
            self.add("confirm", f"`{path}` {reason}", node)

    def check_attribute(self, node: ast.Attribute) -> None:
        attr = node.attr
        if attr in _ESCAPE_ATTRS:
            self.blocked(f"`.{attr}`", "reaches interpreter internals used to escape checks", node)
            return
        if self.strict and attr.startswith("__") and attr not in _STRICT_DUNDERS:
            self.strict_block(f"the attribute `.{attr}`", node)
            return
        path = self.resolve(node)
        if not path:
            return
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            root = _root(path)
            if root in _SENSITIVE_MODULES or root in ("get_ipython()", "__builtins__"):
                self.blocked(f"assigning `{path}`", "changes a module the kernel relies on", node)
            elif self.strict and isinstance(node.value, ast.Name) and node.value.id in self.modules:
                self.strict_block(f"changing `{path}`", node)
            return
        parent = self.parents.get(id(node))
        if isinstance(parent, ast.Call) and parent.func is node:
            return  # judged as a call
        if isinstance(parent, (ast.Attribute, ast.Subscript)) and parent.value is node:
            return  # judged at the outermost attribute or subscript
        if path.startswith("get_ipython()."):
            self.check_ipython(path, node)
            return
        if path.startswith(("os.environ", "os.getenv")):
            self.check_environ(node, path, None)
            return
        self.check_reference(path, node)

    def check_subscript(self, node: ast.Subscript) -> None:
        base = self.resolve(node.value)
        key = _const_str(node.slice)
        if base == "sys.modules" and (not isinstance(node.ctx, ast.Load) or key is None):
            self.blocked("`sys.modules[...]`", "swaps modules behind the check", node)
        elif base in ("os.environ", "os.environb"):
            if isinstance(node.ctx, ast.Load):
                self.check_environ(node, base, node.slice)
            else:
                self.blocked("changing `os.environ`", "changes variables the extension uses", node)
        elif base in ("globals()", "locals()", "vars()") and key is not None:
            if key.startswith("__"):
                self.blocked(f"`{base}[{key!r}]`", "reaches interpreter internals", node)
        elif key is not None and key.startswith("__") and key.endswith("__"):
            self.blocked(f"the key {key!r}", "reaches interpreter internals", node)

    def check_string(self, node: ast.Constant) -> None:
        value = str(node.value).strip()
        if len(value) > 300 or _in_docstring(node, self.parents):
            return
        looks_like_path = any(c in value for c in "/\\") or value.startswith((".", "~", "id_"))
        if looks_like_path and _CREDENTIAL_PATH.search(value):
            self.blocked(f"the path {value!r}", "refers to a credential file", node)

    def check_delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            if (
                isinstance(target, ast.Name)
                and target.id in self.user_names
                and self.parents.get(id(node)) is not None
                and isinstance(self.parents.get(id(node)), ast.Module)
            ):
                self.add(
                    "rejected",
                    f"the code deletes your variable `{target.id}`; keep it and use new names",
                    node,
                )

    def check_environ(self, node: ast.AST, path: str, key_node: ast.AST | None) -> None:
        key = _const_str(key_node)
        if key is None:
            self.blocked("reading `os.environ`", "may expose credentials", node)
        elif is_secret_name(key) or key.upper().startswith(_CREDENTIAL_ENV_PREFIXES):
            self.blocked(f"reading the environment variable {key!r}", "reads a credential", node)
        else:
            self.strict_block(f"reading the environment variable {key!r}", node)

    def check_ipython(self, path: str, node: ast.AST, call: ast.Call | None = None) -> None:
        if path in ("get_ipython().run_line_magic", "get_ipython().run_cell_magic"):
            name = (_const_str(call.args[0]) if call is not None and call.args else None) or ""
            name = name.lstrip("%")
            if name in _CONFIRM_MAGICS:
                self.add("confirm", f"`%{name}` {_CONFIRM_MAGICS[name]}", node)
            elif name not in (_STRICT_MAGICS if self.strict else _SAFE_MAGICS):
                what = f"the magic `%{name}`" if name else "a magic chosen at run time"
                reason = _BLOCKED_MAGICS.get(name, "runs what the check cannot see")
                self.blocked(what, reason, node)
            return
        if path in ("get_ipython().set_next_input", "get_ipython().display_pub"):
            self.blocked(f"`{path}`", "writes into the notebook's cells", node)
            return
        known = _lookup(_BLOCKED, path)
        if known is None and not self.strict and path in ("get_ipython()", "get_ipython().user_ns"):
            return
        self.blocked(f"`{path}`", known or "reaches into IPython's machinery", node)


def _in_docstring(node: ast.AST, parents: dict[int, ast.AST]) -> bool:
    parent = parents.get(id(node))
    return isinstance(parent, ast.Expr)
