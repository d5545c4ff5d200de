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
from collections.abc import Iterable, Mapping

from jupyter_codegen.core.parsed import Code, parsed

_ARGMAX = frozenset({"idxmax", "idxmin"})


def check_row_labels(frames: Iterable[str], code: Code) -> str | None:
    """The repair message when ``code`` prints a row number as the answer, else None.
    ``frames``: the user's frames the prompt names whose index is a plain RangeIndex."""
    numbered = set(frames)
    if not numbered:
        return None
    tree = parsed(code)
    if tree is None:
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
    # Reading back the very column the idxmax ran on (``sales.loc[best, "revenue"]``) shows
    # the value, never the label.
    known = {name: column for name, call in held.items() if (column := _argmax_column(call))}
    fetched = _subscript_names(tree, skip=prints, known=known)
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


def _subscript_names(
    tree: ast.AST, skip: list[ast.Call] | None = None, known: dict[str, str] | None = None
) -> set[str]:
    """Names read inside a subscript (``sales.loc[best, "month"]``: the row is read back),
    not looking inside the ``skip`` calls, nor counting ``frame.loc[name, column]`` where
    ``known[name]`` is that column."""
    names: set[str] = set()
    pending = [tree]
    while pending:
        node = pending.pop()
        if skip and any(node is call for call in skip):
            continue
        if isinstance(node, ast.Subscript):
            if _reads_known(node.slice, known or {}):
                pending.append(node.value)
                continue
            names.update(n.id for n in ast.walk(node.slice) if isinstance(n, ast.Name))
        pending.extend(ast.iter_child_nodes(node))
    return names


def _reads_known(key: ast.AST, known: dict[str, str]) -> bool:
    """``[best, "revenue"]`` where ``best`` is the idxmax of the "revenue" column."""
    if not (isinstance(key, ast.Tuple) and len(key.elts) == 2):
        return False
    name, column = key.elts
    return (
        isinstance(name, ast.Name)
        and isinstance(column, ast.Constant)
        and known.get(name.id) == column.value
    )


def _argmax_column(call: ast.Call) -> str | None:
    """ "revenue" for ``sales["revenue"].idxmax()`` and ``sales.revenue.idxmax()``."""
    assert isinstance(call.func, ast.Attribute)
    inner = call.func.value
    if isinstance(inner, ast.Subscript) and isinstance(inner.slice, ast.Constant):
        return inner.slice.value if isinstance(inner.slice.value, str) else None
    if isinstance(inner, ast.Attribute) and isinstance(inner.value, ast.Name):
        return inner.attr
    return None


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


#: Row lookups by label or by position: an id read through any of them picks a row by number.
_LOOKUPS = frozenset({"loc", "at", "iloc", "iat"})


def check_id_lookup(id_columns: Mapping[str, Iterable[str]], code: Code) -> str | None:
    """The repair message when ``code`` looks a row up by an id: ``customers.loc[row[
    "customer_id"], "name"]`` on a frame numbered 0..n-1 reads the row *numbered* 8 for the
    customer whose id is 8 (the 1.5B joined names this way, each one a customer off). It
    runs and looks right. ``id_columns``: the user's 0..n-1 frames the prompt names, each with
    its integer columns whose values are not the row numbers. A frame the code rebinds or
    re-indexes in place (``set_index(..., inplace=True)``) is left alone."""
    frames = {name: set(columns) for name, columns in id_columns.items() if columns}
    if not frames:
        return None
    tree = parsed(code)
    if tree is None:
        return None
    frames = {name: cols for name, cols in frames.items() if not _reindexed(tree, name)}
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr in _LOOKUPS
            and isinstance(node.value.value, ast.Name)
            and node.value.value.id in frames
        ):
            continue
        frame = node.value.value.id
        key = node.slice.elts[0] if isinstance(node.slice, ast.Tuple) else node.slice
        column = _column_of(key)
        if column in frames[frame]:
            return (
                f"`{ast.unparse(node)}` looks a row up by its number: `{frame}` has the plain "
                f"0..n-1 index, so the {column} values pick other rows than the ones with that "
                f"{column}. Match on the column instead: merge on it "
                f"(.merge({frame}, on='{column}')) or {frame}.set_index('{column}') first."
            )
    return None


def _column_of(key: ast.AST) -> str | None:
    """``row["customer_id"]`` or ``row.customer_id``: the column read; else None."""
    if isinstance(key, ast.Subscript) and isinstance(key.slice, ast.Constant):
        return key.slice.value if isinstance(key.slice.value, str) else None
    if isinstance(key, ast.Attribute):
        return key.attr
    return None


def _reindexed(tree: ast.AST, frame: str) -> bool:
    """The code binds ``frame`` anew or calls one of its methods in place."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == frame for t in targets):
                return True
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == frame
            and any(k.arg == "inplace" for k in node.keywords)
        ):
            return True
    return False
