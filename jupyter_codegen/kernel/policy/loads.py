"""The check of loaders that can run code stored in what they load (pickle and its kin,
``torch.load``, ``numpy.load(allow_pickle=True)``, unsafe ``yaml.load``).

What decides is where the loaded data comes from, read off the loader's first argument:

* a file the prompt names (``pd.read_pickle("data.pkl")`` for "load data.pkl"): data loading,
  which runs;
* another file, or the user's own variable: asks (the user knows where it came from, we do not);
* bytes the code builds, decodes or fetches (``pickle.loads(base64.b64decode(...))``,
  ``torch.load(io.BytesIO(r.content))``, inline YAML): blocked, whatever the user would answer,
  since whoever wrote those bytes chose the code that runs.

A loader passed around as a value is blocked too: the check cannot see what it will load.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Container

from jupyter_codegen.kernel.policy.aliases import _Names
from jupyter_codegen.kernel.policy.findings import _Findings
from jupyter_codegen.kernel.policy.folding import fold
from jupyter_codegen.kernel.policy.nodes import _arg, dotted_name
from jupyter_codegen.kernel.policy.rules import (
    _FILE_SOURCES,
    _SAFE_YAML_LOADERS,
    _UNPICKLE_BYTES_REASON,
    _UNPICKLE_REASON,
    _UNPICKLERS,
)

#: Where the loaded data comes from (see the module docstring).
_NAMED, _FILE, _USER, _BUILT = "named", "file", "user", "built"


class _LoadChecks(_Names, _Findings):
    """The loader check. The analysis dataclass provides the attributes."""

    prompt: str
    user_names: Container[str]
    nodes: list[ast.AST]

    def check_unpickle(self, node: ast.Call, path: str) -> bool:
        """Judge ``node`` if ``path`` is a loader that can run code; True when it was one."""
        takes = _UNPICKLERS.get(path)
        if takes is None:
            return False
        if not _unsafe_options(path, node):
            return True
        arg = _arg(node, 0, "file", "filepath_or_buffer", "f", "stream", "s", "data")
        if takes != "file" and isinstance(arg, (ast.Constant, ast.JoinedStr, ast.BinOp)):
            source = _BUILT  # the data itself, written into the code (yaml takes no paths)
        else:
            source = self.source_of(arg)
        if source == _NAMED and not self.strict:
            return True  # strict runs no loader that can run code, named or not
        asks, blocks = _REASONS["yaml" if path.startswith("yaml.") else "pickle"]
        if source == _BUILT or takes == "bytes" and source == _FILE:
            self.blocked(f"`{path}(...)`", blocks, node)
        else:
            self.add("confirm", f"`{path}(...)` {asks}", node)
        return True

    def source_of(self, node: ast.AST | None, depth: int = 0) -> str:
        """Where the data ``node`` stands for comes from: named, file, user or built."""
        if node is None or depth > 6:
            return _BUILT if node is not None else _FILE
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str):
                return _NAMED if self.named_in_prompt(node.value) else _FILE
            return _BUILT
        if isinstance(node, ast.Name):
            if node.id in self.bound:
                values = self.assigned(node.id)
                if not values:
                    return _BUILT  # a loop variable, an argument: whatever the code computed
                kinds = {self.source_of(v, depth + 1) for v in values}
                return max(kinds, key=_RANK.__getitem__)
            return _USER if node.id in self.user_names else _FILE
        if isinstance(node, (ast.JoinedStr, ast.BinOp)):
            text = fold(node, self.resolve)
            if text is not None:
                return _NAMED if self.named_in_prompt(text) else _FILE
            return _FILE if _path_like(node) else _BUILT
        if isinstance(node, ast.Call):
            callee = self.resolve(node.func) or dotted_name(node.func)
            if callee in _FILE_SOURCES or callee.rsplit(".", 1)[-1] in ("open", "read"):
                inner = node.args[0] if node.args else _receiver(node)
                if inner is None:
                    return _FILE
                return self.source_of(inner, depth + 1)
            return _BUILT
        if isinstance(node, ast.Attribute):
            return _USER if self.source_of(node.value, depth + 1) == _USER else _BUILT
        return _BUILT

    def named_in_prompt(self, text: str) -> bool:
        """True when the prompt names the file ``text`` (as written, or its normal form)."""
        text = text.strip()
        if len(text) < 3 or not self.prompt:
            return False
        return text in self.prompt or os.path.normpath(text) in self.prompt

    def assigned(self, name: str) -> list[ast.AST]:
        """The expressions the code binds ``name`` to (assignments and ``with ... as``)."""
        values: list[ast.AST] = []
        for node in self.nodes:
            if isinstance(node, ast.Assign):
                if any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                    values.append(node.value)
            elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)):
                target = node.target
                if isinstance(target, ast.Name) and target.id == name and node.value is not None:
                    values.append(node.value)
            elif isinstance(node, ast.withitem):
                var = node.optional_vars
                if isinstance(var, ast.Name) and var.id == name:
                    values.append(node.context_expr)
        return values


#: (why a load asks, why it is blocked), by family.
_REASONS = {
    "pickle": (_UNPICKLE_REASON, _UNPICKLE_BYTES_REASON),
    "yaml": (
        "loads YAML without a safe Loader, which can run code stored in it",
        "loads YAML the code builds without a safe Loader, which runs arbitrary code",
    ),
}
#: The worse of two sources wins when a name is bound more than once.
_RANK = {_NAMED: 0, _FILE: 1, _USER: 2, _BUILT: 3}


def _unsafe_options(path: str, node: ast.Call) -> bool:
    """False when the call's own options make the load safe."""
    if path.startswith("torch."):
        flag = _arg(node, 99, "weights_only")
        return not (isinstance(flag, ast.Constant) and flag.value is True)
    if path.startswith("numpy."):
        flag = _arg(node, 99, "allow_pickle")
        return flag is not None and not (isinstance(flag, ast.Constant) and flag.value is False)
    if path in ("yaml.load", "yaml.load_all"):
        loader = dotted_name(_arg(node, 1, "Loader") or ast.Constant(None))
        return not loader.endswith(_SAFE_YAML_LOADERS)
    return True


def _receiver(call: ast.Call) -> ast.AST | None:
    """``x`` of ``x.open()`` / ``x.read_bytes()``: the path a method-style opener reads."""
    return call.func.value if isinstance(call.func, ast.Attribute) else None


def _path_like(node: ast.AST) -> bool:
    """An f-string or ``/`` join with a variable part: a path built at run time, not bytes."""
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)
    )
