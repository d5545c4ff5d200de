"""A printed ``idxmax()`` of a frame whose rows are numbered 0..n-1: the answer is a row number.

"Which month had the lowest revenue in `sales`?" answered with
``print(sales["revenue"].idxmin())`` prints ``5``: the label of the row, which on a frame with a
plain RangeIndex is its position, not its month. It runs, it prints one clean value, and it is
wrong. The check reads the code alone: a call of ``idxmax``/``idxmin`` on a column of such a
frame (no groupby, set_index or other call between, which would give the rows real labels),
printed directly or through a name, unless that print (or the code before it) reads the row
back (``frame.loc[best, "month"]``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

_ARGMAX = frozenset({"idxmax", "idxmin"})


def check_row_labels(frames: Iterable[str], code: str) -> str | None:
    """The repair message when ``code`` prints a row number as the answer, else None.
    ``frames``: the user's frames the prompt names whose index is a plain RangeIndex."""
    numbered = set(frames)
    if not numbered:
        return None
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    calls = {
        node: frame
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and (frame := _row_number_frame(node, numbered))
    }
    if not calls:
        return None
    held = _names_holding(tree, calls)
    prints = _prints(tree)
    # A row read back outside a print (``row = sales.loc[best]``) is printed through ``row``;
    # one read back in a print shows the row's value beside the label only in that print.
    fetched = _subscript_names(tree, skip=prints)
    for call in prints:
        shown = [part for arg in call.args for part in _shown(arg)]
        beside = _subscript_names(call) | fetched
        for part in shown:
            if isinstance(part, ast.Call) and part in calls:
                return _message(part, calls[part])
            if isinstance(part, ast.Name) and part.id in held and part.id not in beside:
                return _message(held[part.id], calls[held[part.id]])
    return None


def _row_number_frame(call: ast.Call, frames: set[str]) -> str | None:
    """The frame of ``frame["col"].idxmax()``, ``frame[mask].col.idxmin()`` (only subscripts
    and attributes between the frame and the call), else None."""
    if call.args or not isinstance(call.func, ast.Attribute) or call.func.attr not in _ARGMAX:
        return None
    inner, steps = call.func.value, 0
    while isinstance(inner, ast.Subscript | ast.Attribute):
        inner, steps = inner.value, steps + 1
    if steps == 0 or not isinstance(inner, ast.Name) or inner.id not in frames:
        return None
    return inner.id


def _names_holding(tree: ast.AST, calls: dict[ast.Call, str]) -> dict[str, ast.Call]:
    """``best = sales["revenue"].idxmax()``: best -> the call."""
    held: dict[str, ast.Call] = {}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and node.value in calls
            and isinstance(node.value, ast.Call)
        ):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    held[target.id] = node.value
    return held


def _subscript_names(tree: ast.AST, skip: list[ast.Call] | None = None) -> set[str]:
    """Names read inside a subscript (``sales.loc[best, "month"]``: the row is read back),
    not looking inside the ``skip`` calls."""
    names: set[str] = set()
    pending = [tree]
    while pending:
        node = pending.pop()
        if skip and any(node is call for call in skip):
            continue
        if isinstance(node, ast.Subscript):
            names.update(n.id for n in ast.walk(node.slice) if isinstance(n, ast.Name))
        pending.extend(ast.iter_child_nodes(node))
    return names


def _prints(tree: ast.AST) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "print"
    ]


def _shown(expr: ast.AST) -> list[ast.AST]:
    """The expressions a print shows as they are (an f-string's parts; not inside a call)."""
    if isinstance(expr, ast.JoinedStr):
        return [part for value in expr.values for part in _shown(value)]
    if isinstance(expr, ast.FormattedValue):
        return _shown(expr.value)
    return [expr]


def _message(call: ast.Call, frame: str) -> str:
    source = ast.unparse(call)
    return (
        f"`{source}` is a row number (`{frame}` has the plain 0..n-1 index), not the month, "
        f"name or label the task asks for. Read that row's value: "
        f"{frame}.loc[{source}, '<column>']."
    )
