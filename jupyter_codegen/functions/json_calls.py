"""Small models on a server without native tool calls sometimes write the call as JSON text
(``{"name": "fx_rate", "arguments": {"currency": "EUR"}}``) instead of code. It parses as
Python (a dict display), runs, shows the dict and answers nothing: a ✓ on a wrong answer. Such
code goes back for repair with what to write instead."""

from __future__ import annotations

import ast
from collections.abc import Collection

_ARGUMENT_KEYS = {"arguments", "parameters", "args", "kwargs", "input"}


def json_call_problem(code: str, registered: Collection[str]) -> str | None:
    """Why ``code`` is a function call written as JSON (the whole code is a dict, or a list of
    dicts, naming a registered function and its arguments), or None."""
    if not registered:
        return None  # (no function to name: not parsed at all)
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Expr):
        return None
    value = tree.body[0].value
    items = value.elts if isinstance(value, (ast.List, ast.Tuple)) else [value]
    names = [_called(item) for item in items]
    if not names or None in names or not set(names) <= set(registered):
        return None
    name = names[0]
    return (
        f"the code is a call of `{name}` written as JSON text, which runs nothing: write Python "
        f"that calls it (`result = {name}(...)`), computes what the task asks and prints or "
        "stores it"
    )


def _called(node: ast.expr) -> str | None:
    if not isinstance(node, ast.Dict):
        return None
    keys = {
        k.value: v
        for k, v in zip(node.keys, node.values, strict=True)
        if isinstance(k, ast.Constant) and isinstance(k.value, str)
    }
    name = keys.get("name") or keys.get("function")
    if not (isinstance(name, ast.Constant) and isinstance(name.value, str)):
        return None
    return name.value if _ARGUMENT_KEYS & set(keys) else None
