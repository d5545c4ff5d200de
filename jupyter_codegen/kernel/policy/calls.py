"""The checks of calls: ``check_call`` sends each call to the rule it falls under (IPython,
``eval``, dynamic imports, ``getattr``, the environment, ``sys.modules``, the blocked and
confirm tables, opening and writing files, URLs, unsafe loads, ``strict``'s allow-lists).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Collection

from jupyter_codegen.kernel.policy.folding import fold
from jupyter_codegen.kernel.policy.loads import _LoadChecks
from jupyter_codegen.kernel.policy.match import _lookup, _root, _strict_module
from jupyter_codegen.kernel.policy.nodes import _arg, _const_str, dotted_name
from jupyter_codegen.kernel.policy.references import _NodeChecks
from jupyter_codegen.kernel.policy.rules import (
    _BLOCKED,
    _CONFIRM,
    _DELETE_METHODS,
    _ESCAPE_ATTRS,
    _MEMORY_FILES,
    _OPENERS,
    _PATH_METHODS,
    _RECURSIVE_DELETE_METHODS,
    _RUNTIME_GETATTR_ASKS,
    _SENSITIVE_MODULES,
    _UNPICKLERS,
    _URL,
    _URL_READERS,
    _WRITE_METHODS,
    _WRITE_WITH_TARGET,
    STRICT_BUILTINS,
)


class _CallChecks(_NodeChecks, _LoadChecks):
    """The checks of calls. The analysis dataclass provides the attributes."""

    registered: Collection[str]

    def check_call(self, node: ast.Call) -> None:
        path = self.resolve(node.func)
        callee = path or dotted_name(node.func)
        last = callee.rsplit(".", 1)[-1] if callee else ""
        if not last and isinstance(node.func, ast.Attribute):
            last = node.func.attr  # a method of something unnamed: (Path.home() / "f").write_text
        if isinstance(node.func, ast.Attribute) and node.func.attr in _ESCAPE_ATTRS:
            return  # reported by check_attribute
        if path.startswith("get_ipython()") and path != "get_ipython()":
            self.check_ipython(path, node, node)
            return
        if path in ("eval", "exec", "compile", "builtins.eval", "builtins.exec"):
            self.check_eval(node, path)
            return
        if path in ("__import__", "builtins.__import__", "importlib.import_module"):
            name = _const_str(_arg(node, 0, "name"))
            if name is None:
                self.blocked(f"`{path}(...)`", "imports a module chosen at run time", node)
            elif self.strict and not _strict_module(name):
                self.strict_block(f"importing {name!r}", node)
            elif _root(name) == "jupyter_codegen":
                self.blocked(f"importing {name!r}", _BLOCKED["jupyter_codegen"], node)
            return
        if path in ("getattr", "setattr", "delattr", "hasattr"):
            self.check_getattr(node, path)
            return
        if path in ("globals", "locals", "vars") and self.strict:
            self.strict_block(f"`{path}()`", node)
            return
        if path in ("os.getenv", "os.environ.get", "os.environ.pop", "os.environ.setdefault"):
            if path == "os.getenv" or path == "os.environ.get":
                self.check_environ(node, path, _arg(node, 0, "key"))
            else:
                self.blocked(f"`{path}(...)`", "changes variables the extension uses", node)
            return
        if path.startswith("os.environ."):
            what = path.rsplit(".", 1)[-1]
            if what in ("update", "clear", "popitem", "__setitem__"):
                self.blocked(f"`{path}(...)`", "changes variables the extension uses", node)
            else:
                self.blocked(f"`{path}(...)`", "reads environment variables", node)
            return
        if path.startswith("sys.modules."):
            if last in ("get", "__getitem__", "keys", "__contains__"):
                return
            self.blocked(f"`{path}(...)`", "swaps modules behind the check", node)
            return
        reason = _lookup(_BLOCKED, path)
        if reason is not None:
            self.blocked(f"`{path}(...)`", reason, node)
            return
        if self.check_unpickle(node, path):
            return
        if path in _OPENERS or last == "open" and path.startswith("pathlib.Path()"):
            self.check_open(node, path)
        if self.check_file_methods(node, path, last):
            return
        self.check_url_read(node, last)
        reason = _lookup(_CONFIRM, path)
        if reason is not None and reason.startswith("deletes") and self.in_loop(node):
            self.blocked(f"`{path}(...)` in a loop", "deletes many files", node)
            return
        if reason is not None:
            self.add("confirm", f"`{path}(...)` {reason}", node)
            return
        if path in ("input", "builtins.input"):
            self.strict_block("`input()` (waits for typing)", node)
            return
        if self.strict:
            self.check_strict_call(node, path, callee)

    def check_eval(self, node: ast.Call, path: str) -> None:
        """``eval``/``exec`` of a literal is checked as code, by a nested analysis, so this
        check belongs to the analysis itself (:mod:`jupyter_codegen.kernel.policy.analysis`)."""
        raise NotImplementedError

    def check_getattr(self, node: ast.Call, path: str) -> None:
        if len(node.args) < 2:
            return
        base = self.resolve(node.args[0])
        attr = fold(node.args[1], self.resolve)
        if attr is None:
            if path == "hasattr":
                return
            if self.strict:
                self.strict_block(f"`{path}` with an attribute chosen at run time", node)
            elif (
                _root(base) in _SENSITIVE_MODULES
                or base in ("get_ipython()", "__builtins__")
                or _holds_danger(base)
            ):
                self.blocked(
                    f"`{path}({base}, ...)`", "reaches a function chosen at run time", node
                )
            elif _root(base) in _RUNTIME_GETATTR_ASKS and path == "getattr":
                why = _RUNTIME_GETATTR_ASKS[_root(base)]
                self.add(
                    "confirm", f"`getattr({base}, ...)` with a name chosen at run time {why}", node
                )
            return
        if attr in _ESCAPE_ATTRS or (self.strict and attr.startswith("__")):
            self.blocked(f"`{path}(..., {attr!r})`", "reaches interpreter internals", node)
            return
        if path in ("setattr", "delattr"):
            if _root(base) in _SENSITIVE_MODULES or base in ("get_ipython()", "__builtins__"):
                self.blocked(f"`{path}({base}, {attr!r})`", "changes a module", node)
            elif self.strict:
                self.strict_block(f"`{path}(...)`", node)

    def check_open(self, node: ast.Call, path: str) -> None:
        mode_index = 0 if path == "pathlib.Path().open" else 1
        mode = _arg(node, mode_index, "mode")
        if path == "zipfile.ZipFile" or path == "tarfile.open":
            text = _const_str(mode) if mode is not None else "r"
        else:
            text = "r" if mode is None else _const_str(mode)
        if text is None or re.search(r"[waxW+]", text):
            shown = repr(text) if text is not None else "a mode chosen at run time"
            self.add("confirm", f"`{path}(...)` with mode {shown} writes files", node)
        elif self.strict:
            self.strict_block(f"`{path}(...)` (reading files)", node)

    def check_file_methods(self, node: ast.Call, path: str, last: str) -> bool:
        if not isinstance(node.func, ast.Attribute):
            return False
        if last in _RECURSIVE_DELETE_METHODS:
            self.blocked(f"`{path or '.' + last}(...)`", _RECURSIVE_DELETE_METHODS[last], node)
            return True
        target = _arg(node, 0, "fname", "path", "path_or_buf", "buf", "excel_writer")
        if target is not None and self.resolve(target).startswith(_MEMORY_FILES):
            return True  # fig.savefig(io.BytesIO()): a buffer in memory, not a file
        if last in _DELETE_METHODS:
            if self.in_loop(node):
                self.blocked(f"`.{last}()` in a loop", "deletes many files", node)
            else:
                self.add("confirm", f"`.{last}()` {_DELETE_METHODS[last]}", node)
            return True
        if last in _WRITE_METHODS:
            self.add("confirm", f"`.{last}(...)` {_WRITE_METHODS[last]}", node)
            return True
        if last in _WRITE_WITH_TARGET:
            names = _WRITE_WITH_TARGET[last]
            has_target = bool(node.args) or any(kw.arg in names for kw in node.keywords)
            if has_target or last == "to_clipboard":
                self.add("confirm", f"`.{last}(...)` writes files", node)
                return True
        if path.startswith("pathlib.Path()") and last in _PATH_METHODS:
            self.add("confirm", f"`Path.{last}(...)` writes files", node)
            return True
        return False

    def check_url_read(self, node: ast.Call, last: str) -> None:
        if not _URL_READERS.match(last):
            return
        for arg in [*node.args[:1], *(kw.value for kw in node.keywords)]:
            value = _const_str(arg)
            if value is not None and _URL.match(value):
                self.add("confirm", f"`{last}({value[:40]!r}...)` uses the network", node)
                return

    def check_strict_call(self, node: ast.Call, path: str, callee: str) -> None:
        if isinstance(node.func, ast.Name):
            name = node.func.id
            if name in self.registered or name in self.bound and name not in self.aliases:
                return
            parent = self.parents.get(id(node))
            if name == "get_ipython" and isinstance(parent, ast.Attribute):
                return  # judged by check_ipython
            if path in STRICT_BUILTINS:
                return
            if "." in path and _strict_module(path):
                return
            if name in self.aliases and _strict_module(self.aliases[name]):
                return
            self.strict_block(
                f"calling `{name}`, which is not a registered function, a side-effect-free "
                "builtin or an allowed library",
                node,
            )
            return
        head: ast.AST = node.func
        while isinstance(head, (ast.Attribute, ast.Subscript, ast.Call)):
            head = head.func if isinstance(head, ast.Call) else head.value
        if isinstance(head, ast.Name) and head.id in self.modules and not _strict_module(path):
            self.strict_block(f"calling `{callee}`", node)

    def in_loop(self, node: ast.AST) -> bool:
        parent = self.parents.get(id(node))
        while parent is not None:
            if isinstance(parent, (ast.For, ast.AsyncFor, ast.While, ast.comprehension)):
                return True
            if isinstance(parent, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
                return True
            if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                return False
            parent = self.parents.get(id(parent))
        return False


def _holds_danger(module: str) -> bool:
    """True when ``module`` has a blocked function or a loader that can run code, so that reaching
    into it by a name chosen at run time can reach one (``getattr(dill, name)``)."""
    if not module or "(" in module or module.split(".")[0] in _RUNTIME_GETATTR_ASKS:
        return False
    prefix = module + "."
    return any(key.startswith(prefix) for key in (*_BLOCKED, *_UNPICKLERS))
