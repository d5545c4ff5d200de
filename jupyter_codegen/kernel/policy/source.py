"""From cell text to the AST the checks read: the code as IPython will run it (``!cmd`` and
``%magic`` turned into the ``get_ipython()`` calls they become), parsed.

IPython's transformers are slow next to the check itself, so code they cannot change skips
them; that test lives here with the transform it guards.
"""

from __future__ import annotations

import ast
import re
import warnings

#: Line starts that IPython's input transformers rewrite (prompts pasted in, escapes).
_TRANSFORMED_LINE = re.compile(r"(?m)^[ \t]*(>>>|\.\.\.|In \[|[,;/])")
#: Line breaks other than "\n": IPython splits lines on them too, the pattern above does not.
_OTHER_BREAKS = re.compile("[\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def _plain_python(code: str) -> bool:
    """True when IPython's transformers cannot change ``code``: no ``%``, ``!`` or ``?`` at all,
    no line that starts like a pasted prompt or an escape, no leading indentation, only "\n"
    line breaks. Any doubt goes through the transformers (~0.1 ms a check)."""
    return (
        not code[:1].isspace()
        and not any(c in code for c in "%!?")
        and _OTHER_BREAKS.search(code) is None
        and _TRANSFORMED_LINE.search(code) is None
    )


def _transform(code: str) -> str:
    """The code IPython will run: ``!cmd`` and ``%magic`` become ``get_ipython()`` calls."""
    if _plain_python(code):
        return code
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        with warnings.catch_warnings():  # odd line endings in model output warn; not news
            warnings.simplefilter("ignore")
            return str(TransformerManager().transform_cell(code))
    except Exception:  # a transform failure shows up as a SyntaxError in _parse
        return code


def _parse(code: str) -> ast.Module:
    flags = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    tree = compile(code, "<generated>", "exec", flags=flags, dont_inherit=True)
    assert isinstance(tree, ast.Module)
    return tree
