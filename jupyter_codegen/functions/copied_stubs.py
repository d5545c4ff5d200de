"""Small models write their own ``def fx_rate(...)`` above a call to the registered
``fx_rate``: a copy of its stub from the context (a body of only a docstring), or a stand-in that
answers with made-up numbers. Run as written, either would replace the user's function, so the
policy sent the code back, and on the whole quality set such repairs failed three times out of
three (the model writes the definition again). The definition is never what the prompt asked for
(the user's function is), so it is dropped before the checks: the rest of the code then calls
the real function, whose checked arguments say so when the model's call does not fit it."""

from __future__ import annotations

import ast
from collections.abc import Collection


def drop_copied_stubs(code: str, registered: Collection[str]) -> str:
    """``code`` without its top-level ``def`` of registered names; unchanged when it has none
    (or does not parse). Other rebindings (``fx_rate = ...``, a def inside a block) are left
    for the policy to reject."""
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
    ]
    if not spans:
        return code
    lines = code.splitlines(keepends=True)
    for start, end in reversed(spans):
        del lines[start - 1 : end]
    return "".join(lines).lstrip("\n")
