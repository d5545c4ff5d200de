"""Find the code in a model reply: ``executableCode`` parts, fenced blocks, or bare code."""

from __future__ import annotations

import ast
import re

from jupyter_codegen.errors import NoCodeError
from jupyter_codegen.model.backends.base import Reply

_FENCE = re.compile(
    r"^[ \t]*(```|~~~)[ \t]*([A-Za-z0-9_+\-]*)[^\n]*\n(.*?)(?:^[ \t]*\1[ \t]*$|\Z)",
    re.DOTALL | re.MULTILINE,
)
_PY_LANGS = {"", "python", "py", "python3", "ipython", "py3"}


def fenced_blocks(text: str) -> list[str]:
    """Python blocks between ``` or ~~~ fences; an unclosed last fence runs to the end."""
    return [body for _, lang, body in _FENCE.findall(text) if lang.lower() in _PY_LANGS]


def _looks_like_code(text: str) -> bool:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return False
    # Prose that happens to parse (a lone name, or a bare string) is not code.
    return bool(tree.body) and not all(
        isinstance(node, ast.Expr) and isinstance(node.value, (ast.Name, ast.Constant))
        for node in tree.body
    )


def extract_code(reply: Reply) -> str:
    """The code to run, or :class:`NoCodeError` quoting the start of the reply."""
    if reply.code_parts:
        code = "\n\n".join(part.code.strip("\n") for part in reply.code_parts)
    else:
        blocks = [b.strip("\n") for b in fenced_blocks(reply.text) if b.strip()]
        code = "\n\n".join(blocks)
        if not code and _looks_like_code(reply.text.strip()):
            code = reply.text.strip("\n")
    if not code.strip():
        said = " ".join(reply.text.split())
        said = (said[:120] + "...") if len(said) > 120 else said
        raise NoCodeError(
            f"The model replied without code, so nothing ran: {said!r}"
            if said
            else "The model returned an empty reply, so nothing ran; try rephrasing the prompt."
        )
    return code.rstrip() + "\n"
