"""Which rows a join keeps, as the prompt words it, against the ``how`` the code passes.

"Join `orders` and `customers`, keeping only the orders whose customer we know" answered with
``orders.merge(customers, how="left")`` keeps the unknown ones with NaN: the frame looks fine
and has the wrong rows. "Keep every order, even when the customer is unknown" answered with
``merge``'s default (inner) silently drops them. Only clear wording counts, and only the joins
the code spells out (``merge``, ``join``); a filter with ``isin`` is not judged.
"""

from __future__ import annotations

import ast
import re

from jupyter_codegen.core.parsed import Code, parsed
from jupyter_codegen.core.patterns import Gated

# "keeping only the orders whose customer we know", "leave out orders whose customer we don't
# know", "drop the rows without a match".
_MATCHED_ONLY = Gated(
    re.compile(
        r"\b(?:keep(?:s|ing)?\s+only|only\s+keep|leave\s+out|leaving\s+out|drop(?:ping)?|"
        r"exclud(?:e|ing))\b[^.;]*?\b(?:know|known|unknown|match(?:es|ed|ing)?|exists?|appears?)\b",
        re.IGNORECASE,
    ),
    "keep leav drop exclud",
)
# "keep every order, even when the customer is unknown", "keep all rows even if no match".
_EVERY_ROW = Gated(
    re.compile(r"\bkeep(?:s|ing)?\s+(?:every|all)\b[^.;]*?\beven\s+(?:when|if)\b", re.I),
    "keep",
)


def join_asked(prompt: str) -> str | None:
    """ "inner" or "left" when the prompt says which rows a join keeps (not both)."""
    inner, left = bool(_MATCHED_ONLY.search(prompt)), bool(_EVERY_ROW.search(prompt))
    if inner == left:
        return None
    return "inner" if inner else "left"


def check_join(asked: str | None, code: Code) -> str | None:
    """The repair message when the one join the code spells out keeps other rows than asked."""
    if asked is None:
        return None
    tree = parsed(code)
    if tree is None:
        return None
    joins = [how for node in ast.walk(tree) if (how := _how(node)) is not None]
    if len(joins) != 1:  # none, or several: which one is "the" join is not clear
        return None
    how = joins[0]
    if asked == "inner" and how in ("left", "right", "outer"):
        return (
            f'The task keeps only the rows that have a match; how="{how}" keeps the others too, '
            'with NaN. Use how="inner" (merge\'s default).'
        )
    if asked == "left" and how == "inner":
        return (
            "The task keeps every row, even without a match; an inner join (merge's default) "
            'drops them. Use how="left" with the frame whose rows are kept on the left.'
        )
    return None


def _how(node: ast.AST) -> str | None:
    """The ``how`` of a ``merge``/``join`` call (its default when not passed), else None."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return None
    method = node.func.attr
    if method not in ("merge", "join"):
        return None
    if method == "join" and (
        isinstance(node.func.value, ast.Constant | ast.Attribute) or len(node.args) != 1
    ):  # ", ".join(words), os.path.join(a, b): not a frame's join
        return None
    for keyword in node.keywords:
        if keyword.arg == "how":
            value = keyword.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                return value.value
            return "?"
    return "inner" if method == "merge" else "left"
