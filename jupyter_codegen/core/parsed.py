"""The one parse of a candidate's code that the static checks share.

``check_code`` runs half a dozen checks over the same few lines on every attempt; each takes
either the source (tests, ``--answer``'s steps) or the tree ``check_code`` parsed once.
"""

from __future__ import annotations

import ast

Code = str | ast.Module


def parsed(code: Code) -> ast.Module | None:
    """The module tree of ``code`` (as is when already parsed); None when it does not parse,
    which leaves the run's own SyntaxError to say what is wrong."""
    if isinstance(code, ast.Module):
        return code
    try:
        return ast.parse(code)
    except SyntaxError:
        return None
