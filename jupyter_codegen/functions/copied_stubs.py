"""Small models copy a registered function's stub from the context into their code (``def
fx_rate(currency: str) -> float: '''...'''`` above the call). Run as written, the copy would
replace the user's function with one that returns None, and the policy sends the code back; the
copy carries no intent of its own, so it is dropped before the checks instead. A redefinition
with a body of its own (a stand-in that answers with made-up numbers) is left for the policy to
reject."""

from __future__ import annotations

import ast
from collections.abc import Collection


def drop_copied_stubs(code: str, registered: Collection[str]) -> str:
    """``code`` without its top-level defs of registered names whose body is only a docstring,
    ``...`` or ``pass``; unchanged when it has none (or does not parse)."""
    if not registered or "def " not in code:
        return code
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code
    spans = [
        (min([node.lineno, *(d.lineno for d in node.decorator_list)]), node.end_lineno)
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.name in registered
        and node.end_lineno is not None
        and all(_is_placeholder(statement) for statement in node.body)
    ]
    if not spans:
        return code
    lines = code.splitlines(keepends=True)
    for start, end in reversed(spans):
        del lines[start - 1 : end]
    return "".join(lines).lstrip("\n")


def _is_placeholder(node: ast.stmt) -> bool:
    if isinstance(node, ast.Pass):
        return True
    return isinstance(node, ast.Expr) and (
        isinstance(node.value, ast.Constant)
        and (node.value.value is Ellipsis or isinstance(node.value.value, str))
    )
