"""Which rows a join keeps, as the prompt words it, against the ``how`` the code passes.

"Join `orders` and `customers`, keeping only the orders whose customer we know" answered with
``orders.merge(customers, how="left")`` keeps the unknown ones with NaN: the frame looks fine
and has the wrong rows. "Keep every order, even when the customer is unknown" answered with
``merge``'s default (inner) silently drops them. Only clear wording counts, and only the joins
the code spells out (``merge``, ``join``); a filter with ``isin`` is not judged.

And where no join is written at all: arithmetic between the columns of two tables whose rows
are different things pairs them by row label (:func:`check_row_pairing`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from typing import Any

from jupyter_codegen.core.parsed import Code, parsed
from jupyter_codegen.core.patterns import Gated
from jupyter_codegen.kernel.candidates import kind_of
from jupyter_codegen.kernel.policy.nodes import stored_names

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


# --- columns of two frames paired by row label ----------------------------------------------


def check_row_pairing(
    code: Code, variables: Mapping[str, Any], tree: ast.Module | None = None
) -> str | None:
    """Arithmetic between columns of two of the user's frames whose rows are not the same
    rows (``customers["signup_date"] - orders["order_date"]``): pandas pairs the values by
    index label, 0 with 0, so each result mixes one customer with an unrelated order, or is
    NaN where one frame has no such label. A small model writes this where a join is needed,
    and the number it prints looks fine. Silent where the frames' indexes are equal (parallel
    frames, as two price tables over the same dates) and for frames the code binds itself.
    ``variables``: the user's, by name; ``tree``: ``code`` parsed, when the caller has it."""
    if isinstance(code, str):  # (most code reads at most one frame: no walk at all)
        read = {
            name for name in _ACCESSED.findall(code) if kind_of(variables.get(name)) == "DataFrame"
        }
        if len(read) < 2:
            return None
    tree = parsed(code) if tree is None else tree
    if tree is None:
        return None
    pairs = [pair for node in ast.walk(tree) for pair in _column_pairs(node)]
    if not pairs:
        return None
    own = stored_names(tree)
    values = {
        name: variables[name]
        for pair in pairs
        for name, _ in pair
        if name not in own and name in variables
    }
    for (left, left_col), (right, right_col) in pairs:
        a: Any = values.get(left)
        b: Any = values.get(right)
        if kind_of(a) != "DataFrame" or kind_of(b) != "DataFrame":
            continue
        try:
            if left_col not in a.columns or right_col not in b.columns or a.index.equals(b.index):
                continue
            keys = [str(c) for c in a.columns if c in b.columns]
        except Exception:  # an odd index or columns: no judgement
            continue
        on = f'on="{keys[0]}"' if len(keys) == 1 else "on their common key"
        return (
            f"`{left}[{left_col!r}]` and `{right}[{right_col!r}]` are columns of two different "
            "tables: pandas pairs their values by row label (row 0 with row 0), not by what the "
            f"rows are about. Join the two frames first (`{left}.merge({right}, {on})`), then "
            "compute on the joined frame's columns."
        )
    return None


#: A name whose item or attribute the code reads (``orders[``, ``orders.amount``).
_ACCESSED = re.compile(r"\b([A-Za-z_]\w*)\s*[\[.]")


def _column_pairs(node: ast.AST) -> Iterator[tuple[tuple[str, str], tuple[str, str]]]:
    """((frame, column), (frame, column)) of ``a["x"] op b["y"]`` / ``a.x op (1 - b.y)`` over
    two different names: the columns on either side, through arithmetic but not calls."""
    if isinstance(node, ast.BinOp):
        for left in _arithmetic_columns(node.left):
            for right in _arithmetic_columns(node.right):
                if left[0] != right[0]:
                    yield left, right


def _arithmetic_columns(node: ast.expr) -> list[tuple[str, str]]:
    if isinstance(node, ast.BinOp):
        return _arithmetic_columns(node.left) + _arithmetic_columns(node.right)
    if isinstance(node, ast.UnaryOp):
        return _arithmetic_columns(node.operand)
    column = _column_of(node)
    return [] if column is None else [column]


def _column_of(node: ast.expr) -> tuple[str, str] | None:
    """(frame, column) of ``frame["column"]`` or ``frame.column``."""
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        key = node.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            return node.value.id, key.value
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return node.value.id, node.attr
    return None
