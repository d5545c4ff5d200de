"""Static check of generated code before it runs.

Two kinds of findings: *blocked* code is shown and never run (clearly destructive calls);
*rejected* code goes back to the model for repair (syntax errors, and rebinding a user's
variable to literal data, the habit of small models that silently replaces real data).
"""

from __future__ import annotations

import ast
from collections.abc import Container
from dataclasses import dataclass

# Dotted call names that are destructive or escape to the shell under every policy but "off".
_BLOCKED_CALLS = {
    "os.system": "runs a shell command",
    "os.popen": "runs a shell command",
    "os.remove": "deletes files",
    "os.unlink": "deletes files",
    "os.rmdir": "deletes directories",
    "os.removedirs": "deletes directories",
    "os.kill": "kills processes",
    "os._exit": "kills the kernel",
    "shutil.rmtree": "deletes a directory tree",
    "sys.exit": "stops the kernel",
    "exit": "stops the kernel",
    "quit": "stops the kernel",
    "get_ipython().system": "runs a shell command",
    "get_ipython().getoutput": "runs a shell command",
}
_BLOCKED_PREFIXES = {
    "subprocess.": "starts a subprocess",
    "os.exec": "replaces the kernel process",
    "os.spawn": "starts a subprocess",
}


@dataclass(frozen=True)
class Finding:
    kind: str  # "blocked" | "rejected"
    reason: str
    line: int = 0

    def message(self) -> str:
        where = f" (line {self.line})" if self.line else ""
        return f"{self.reason}{where}"


def dotted_name(node: ast.AST) -> str:
    """``a.b.c`` for attribute chains, ``f()`` for calls in the chain, '' otherwise."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted_name(node.value)
        return f"{base}.{node.attr}" if base else ""
    if isinstance(node, ast.Call):
        base = dotted_name(node.func)
        return f"{base}()" if base else ""
    return ""


def _import_aliases(tree: ast.AST) -> dict[str, str]:
    """Local names bound by imports: ``from os import system as s`` -> {"s": "os.system"}."""
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                aliases[alias.asname or alias.name.split(".")[0]] = (
                    alias.name if alias.asname else alias.name.split(".")[0]
                )
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def _resolve(name: str, aliases: dict[str, str]) -> str:
    head, _, rest = name.partition(".")
    real = aliases.get(head, head)
    return f"{real}.{rest}" if rest else real


def _blocked_reason(name: str) -> str | None:
    if name in _BLOCKED_CALLS:
        return _BLOCKED_CALLS[name]
    for prefix, reason in _BLOCKED_PREFIXES.items():
        if name.startswith(prefix):
            return reason
    return None


_LITERAL_NODES = (ast.List, ast.Tuple, ast.Dict, ast.Set, ast.Constant)
_DATA_CONSTRUCTORS = {
    "pd.DataFrame",
    "pandas.DataFrame",
    "pd.Series",
    "pandas.Series",
    "np.array",
    "numpy.array",
    "DataFrame",
    "Series",
}


def _is_literal_data(node: ast.AST) -> bool:
    """A literal container, or a DataFrame/array built straight from literals."""
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return len(node.elts) > 0 and all(_is_literal_data(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return len(node.values) > 0 and all(_is_literal_data(v) for v in node.values)
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant):
        return True
    if isinstance(node, ast.Call) and dotted_name(node.func) in _DATA_CONSTRUCTORS:
        return bool(node.args) and all(_is_literal_data(a) for a in node.args[:1])
    return False


def check(code: str, user_names: Container[str] = ()) -> Finding | None:
    """The first finding in ``code``, or None when it may run.

    ``user_names`` are the variables the user already has: rebinding one of them at top level
    to a literal container/DataFrame is rejected (sent back for repair), a plain constant is not
    (``threshold = 10`` is a normal edit).
    """
    try:
        tree = ast.parse(code)
    except SyntaxError as exc:
        return Finding("rejected", f"SyntaxError: {exc.msg}", exc.lineno or 0)
    aliases = _import_aliases(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _resolve(dotted_name(node.func), aliases)
            reason = _blocked_reason(name)
            if reason:
                return Finding("blocked", f"Blocked: `{name}(...)` {reason}", node.lineno)
    for node in tree.body:
        if isinstance(node, ast.Assign) and not isinstance(node.value, ast.Constant):
            for target in node.targets:
                if (
                    isinstance(target, ast.Name)
                    and target.id in user_names
                    and _is_literal_data(node.value)
                ):
                    return Finding(
                        "rejected",
                        f"the code replaces your variable `{target.id}` with literal data; "
                        f"use the existing `{target.id}` instead of redefining it",
                        node.lineno,
                    )
    return None
