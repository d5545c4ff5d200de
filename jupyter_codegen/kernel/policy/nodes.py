"""Small readers of AST nodes that every check uses: the dotted name of an expression, a
string constant, an argument of a call by position or keyword, the names code binds."""

from __future__ import annotations

import ast


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


def stored_names(tree: ast.AST) -> set[str]:
    """Every name the code binds anywhere (an assignment's, a loop's or a ``with``'s target)."""
    return {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
    }


def _const_str(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _arg(call: ast.Call, index: int, *names: str) -> ast.AST | None:
    """Positional argument ``index`` or keyword ``names`` of ``call``."""
    if len(call.args) > index and not any(isinstance(a, ast.Starred) for a in call.args[:index]):
        return call.args[index]
    for kw in call.keywords:
        if kw.arg in names:
            return kw.value
    return None
