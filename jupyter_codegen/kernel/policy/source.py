"""From cell text to the AST the checks read: the code as IPython will run it (``!cmd`` and
``%magic`` turned into the ``get_ipython()`` calls they become), parsed.

IPython's transformers are slow next to the check itself (they tokenize the code), so code
they cannot change skips them: kernel/cell_run.plain_python, the test the run uses too.
"""

from __future__ import annotations

import ast
import warnings

from jupyter_codegen.kernel.cell_run import plain_python


def _transform(code: str) -> str:
    """The code IPython will run: ``!cmd`` and ``%magic`` become ``get_ipython()`` calls."""
    if plain_python(code):
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
