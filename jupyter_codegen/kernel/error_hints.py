"""Facts from the kernel that help a model fix a failed run, appended to the error it is sent.

A traceback says ``KeyError: 'amount'``; what the model needs is which columns exist. Small
models especially repeat a wrong column or name across attempts when only told it is wrong
(measured: three attempts in a row asked ``sales`` for ``amount``). Each hint is one line, read
from metadata only (column names, variable names), bounded in length, and masked for secrets.
"""

from __future__ import annotations

import ast
import difflib
import functools
import re
from collections.abc import Mapping
from typing import Any

from jupyter_codegen.kernel.candidates import kind_of
from jupyter_codegen.kernel.engines import columns_of
from jupyter_codegen.kernel.policy.nodes import stored_names
from jupyter_codegen.kernel.redact import is_secret_name, redact

_QUOTED = re.compile(r"""['"]([^'"]{1,200})['"]""")
#: ``orders[["amount", "name"]]``: ``KeyError: "['name'] not in index"`` (quotes in quotes).
_NOT_IN_INDEX = re.compile(r"\[([^\]]*)\] not in index")
_NAME_ERROR = re.compile(r"NameError: name '([^']+)' is not defined")
#: ``prices[-1]`` on a date-indexed Series: pandas looks the integer up as a label.
_INTEGER_KEY = re.compile(r"^KeyError: (-?\d+)$")
#: ``fx_rate / 12``: a function used as a number.
_FUNCTION_OPERAND = re.compile(r"^TypeError: unsupported operand type\(s\) for .*'function'")
_ATTRIBUTE_ERROR = re.compile(r"AttributeError: '(\w+)' object has no attribute '([^']+)'")
#: The missing column as Polars, DuckDB, Spark, Arrow and xarray name it in their errors.
_ENGINE_MISSING = re.compile(
    r"""(?:column|Field|variable named|with name)\s+["'`]([^"'`]{1,200})["'`]"""
)
#: First words of the engines' missing-column errors (pandas' are KeyErrors).
_ENGINE_ERRORS = ("ColumnNotFoundError", "BinderException", "AnalysisException", "ColumnNotFound")
#: The aliases everyone writes without thinking, and the import each one needs.
_USUAL_IMPORTS = {
    "plt": "import matplotlib.pyplot as plt",
    "np": "import numpy as np",
    "pd": "import pandas as pd",
    "sns": "import seaborn as sns",
}
#: ``from numpy import np``: an alias imported as if it were a name in the package.
_ALIAS_IMPORT = re.compile(r"^ImportError: cannot import name '(\w+)' from '[\w.]+'")
#: ``sales["revenue"].resample("QE")`` on rows numbered 0..n-1: resampling needs dates.
_RESAMPLE_INDEX = re.compile(r"^TypeError: Only valid with DatetimeIndex.*'(RangeIndex|Index)'")
#: ``for parcel in parcels: parcel["zone"]``: a loop over a frame gets its column names.
_COLUMN_NAME_USED_AS_ROW = re.compile(
    r"^(?:TypeError: string indices must be integers|AttributeError: 'str' object has no attr)"
)
_MAX_COLUMNS = 40
_MAX_HINT = 600


@functools.lru_cache(maxsize=8)
def _tree(code: str) -> ast.Module | None:
    """``code`` parsed (None when it does not parse): once for all the hints on one failure,
    which each read it (and never change it)."""
    try:
        return ast.parse(code)
    except SyntaxError:
        return None


@functools.lru_cache(maxsize=8)
def _nodes(code: str) -> tuple[ast.AST, ...]:
    """Every node of ``code`` (none when it does not parse)."""
    tree = _tree(code)
    return () if tree is None else tuple(ast.walk(tree))


def _frames_in(code: str, namespace: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The user's DataFrames (and Series) the code reads, in the order it names them."""
    names = [n.id for n in _nodes(code) if isinstance(n, ast.Name)]
    found = []
    for name in dict.fromkeys(names):
        value = namespace.get(name)
        kind = type(value).__name__
        pandas = type(value).__module__.startswith("pandas") and kind in ("DataFrame", "Series")
        if pandas or (value is not None and columns_of(value) is not None):  # or an engine's
            found.append((name, value))
    return found


def _columns(value: Any) -> list[str]:
    engine_columns = columns_of(value)
    if engine_columns is not None:
        return [str(c) for c in engine_columns]
    return [str(c) for c in getattr(value, "columns", [])]


def _columns_line(name: str, value: Any) -> str:
    if type(value).__name__ == "Series" and type(value).__module__.startswith("pandas"):
        return f"`{name}` is a Series (name {value.name!r}), not a DataFrame"
    every = _columns(value)
    columns = every[:_MAX_COLUMNS]
    more = f", ... ({len(every)} in all)" if len(every) > _MAX_COLUMNS else ""
    return f"`{name}` has the columns: {', '.join(columns)}{more}"


def _other_table_hints(
    column: str, frames: list[tuple[str, Any]], namespace: Mapping[str, Any]
) -> list[str]:
    """``orders[["order_date", "name"]]`` raised ``KeyError``, and ``name`` is a column of
    another of the user's DataFrames: say which, and the join that brings it over (on a column
    the two share, when they share one). Shown only the columns of `orders`, the 1.5B's last
    repair in the quality set still asked `orders` for `name`."""
    read = dict(frames)
    tables = [(n, v) for n, v in read.items() if kind_of(v) == "DataFrame"]
    if not tables or any(column in _columns(v) for v in read.values()):
        return []
    table, frame = tables[0]
    hints: list[str] = []
    for name, value in namespace.items():
        if len(hints) == 2:
            break
        if name in read or name.startswith("_") or kind_of(value) != "DataFrame":
            continue
        if column not in value.columns:
            continue
        hint = f"{column!r} is a column of `{name}`, not of `{table}`"
        shared = [c for c in frame.columns if c in value.columns and c != column]
        if shared:  # (with none in common, a merge would fail: the fact alone)
            hint += (
                f": join them first, e.g. {table}.merge({name}, on={shared[0]!r}), and take "
                f"{column!r} from the result"
            )
        hints.append(hint)
    return hints


def _position_hints(key: int, code: str, namespace: Mapping[str, Any]) -> list[str]:
    """The frames the code reads whose index does not hold integers: ``[key]`` was a label."""
    hints = []
    for name, value in _frames_in(code, namespace):
        index = getattr(value, "index", None)
        if index is None or str(getattr(index, "dtype", "")).startswith(("int", "uint")):
            continue
        hints.append(
            f"`{name}` is indexed by {type(index).__name__} labels, not positions: "
            f"`{name}.iloc[{key}]` is the value at position {key}"
        )
    return hints


def _argument_hints(key: str, code: str, namespace: Mapping[str, Any]) -> list[str]:
    """``shipping_cost(3.5, 'EU')`` raised ``KeyError: 'EU'``: the function's own docstring
    says which values it takes ("domestic, eu or world"), and the one that differs only in case."""
    hints = []
    for node in _nodes(code):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        values = [*node.args, *(k.value for k in node.keywords)]
        if not any(isinstance(v, ast.Constant) and v.value == key for v in values):
            continue
        function = namespace.get(node.func.id)
        doc = (getattr(function, "__doc__", None) or "").strip().splitlines()
        if not callable(function) or not doc:
            continue
        words = re.findall(r"[A-Za-z0-9_]+", doc[0])
        close = [w for w in words if w.lower() == key.lower() and w != key]
        hint = f"`{node.func.id}` was given {key!r}; its docstring: {doc[0]}"
        if close:
            # The concrete call: told "did you mean 'eu'?", the 1.5B still wrote the prompt's 'EU'.
            fixed = ast.unparse(_with_constant(node, key, close[0]))
            hint += f" (did you mean {close[0]!r}? case matters: {fixed})"
        hints.append(hint)
    return list(dict.fromkeys(hints))


def _with_constant(call: ast.Call, old: str, new: str) -> ast.Call:
    """``call`` with each argument that is the constant ``old`` replaced by ``new``."""

    def swap(value: ast.expr) -> ast.expr:
        same = isinstance(value, ast.Constant) and value.value == old
        return ast.Constant(new) if same else value

    keywords = [ast.keyword(k.arg, swap(k.value)) for k in call.keywords]
    return ast.Call(call.func, [swap(a) for a in call.args], keywords)


def _function_operands(code: str, namespace: Mapping[str, Any]) -> list[str]:
    """Names of functions the code uses as an operand of arithmetic (``fx_rate / 12``)."""
    names = []
    for node in _nodes(code):
        if isinstance(node, ast.BinOp):
            for side in (node.left, node.right):
                if isinstance(side, ast.Name) and callable(namespace.get(side.id)):
                    names.append(side.id)
    return list(dict.fromkeys(names))


def _frame_loops(code: str, namespace: Mapping[str, Any]) -> list[str]:
    """One hint per loop over one of the user's DataFrames (``for p in parcels``, also in a
    comprehension): it goes over the column names, and the model meant the rows."""
    hints = []
    for node in _nodes(code):
        if not isinstance(node, (ast.For, ast.comprehension)) or not isinstance(
            node.iter, ast.Name
        ):
            continue
        name, value = node.iter.id, namespace.get(node.iter.id)
        if kind_of(value) != "DataFrame":
            continue
        columns = ", ".join(f"{name}[{c!r}]" for c in _columns(value)[:2])
        hints.append(
            f"`for ... in {name}` goes over the column names of `{name}`, not its rows: "
            f"loop over zip({columns}), or {name}.itertuples()"
        )
    return list(dict.fromkeys(hints))


def error_hints(error: str, code: str, namespace: Mapping[str, Any]) -> str:
    """Lines to add after ``error`` (the first line of a failed run), or ''."""
    first = error.strip().splitlines()[0] if error.strip() else ""
    hints: list[str] = []
    engine_error = first.startswith(_ENGINE_ERRORS) or "UNRESOLVED_COLUMN" in first
    if first.startswith(("KeyError", "AttributeError")) or "not in index" in first or engine_error:
        missing = _QUOTED.findall(first)
        named = _ENGINE_MISSING.search(first)
        if named is not None:
            missing = [named.group(1)]
        if (listed := _NOT_IN_INDEX.search(first)) is not None:
            missing = _QUOTED.findall(listed.group(1))
        attribute = _ATTRIBUTE_ERROR.search(first)
        frames = _frames_in(code, namespace)
        if attribute is None or attribute.group(1) in ("DataFrame", "Series", "LazyFrame"):
            wanted = missing[-1].split(": ")[-1] if missing else ""  # 'Column not found: x'
            if attribute is not None:
                wanted = attribute.group(2)
            for name, value in frames:
                line = _columns_line(name, value)
                close = difflib.get_close_matches(  # a typo, not any word ('amount', 'month')
                    wanted, _columns(value), cutoff=0.8
                )
                hints.append(line + (f" (did you mean {close[0]!r}?)" if close else ""))
            if wanted:
                hints.extend(_other_table_hints(wanted, frames, namespace))
    if first.startswith("KeyError") and (missing := _QUOTED.findall(first)):
        hints.extend(_argument_hints(missing[-1], code, namespace))
    if (match := _INTEGER_KEY.match(first)) is not None:
        hints.extend(_position_hints(int(match.group(1)), code, namespace))
    if _FUNCTION_OPERAND.match(first):
        hints.extend(
            f"`{name}` is a function, not a number: call it with its arguments, or use the "
            "number the task gives"
            for name in _function_operands(code, namespace)
        )
    if (match := _ALIAS_IMPORT.match(first)) is not None and match.group(1) in _USUAL_IMPORTS:
        hints.append(f"`{match.group(1)}` is an alias: write `{_USUAL_IMPORTS[match.group(1)]}`")
    if _COLUMN_NAME_USED_AS_ROW.match(first):
        hints.extend(_frame_loops(code, namespace))
    if _RESAMPLE_INDEX.match(first):
        hints.append(
            "resample needs dates as the index: frame.resample('QE', on='date_column'), "
            "or group by the date column: .groupby(frame['date_column'].dt.to_period('Q'))"
        )
    if (match := _NAME_ERROR.search(first)) is not None:
        name = match.group(1)
        candidates = [
            n
            for n in namespace
            if isinstance(n, str) and not n.startswith("_") and not is_secret_name(n)
        ]
        close = difflib.get_close_matches(name, candidates, n=3)
        # ``region_jpy = region_jpy * fx_rate("JPY")``: the 1.5B wrote the result the task asks
        # for as if it were there already, when told only of names close to it.
        tree = _tree(code)
        read_first = tree is not None and name in stored_names(tree)
        if name in _USUAL_IMPORTS:
            hints.append(f"Add `{_USUAL_IMPORTS[name]}` at the top of the code")
        else:
            if read_first:
                hints.append(
                    f"The code reads `{name}` before it assigns it: nothing called `{name}` "
                    "exists yet, so compute it from the data in the kernel"
                )
            if close:
                hints.append(f"Defined names close to `{name}`: {', '.join(close)}")
            if not (read_first or close):
                hints.append(
                    f"`{name}` is not defined in the kernel: define it or use one of the "
                    "variables in the kernel context"
                )
    if not hints:
        return ""
    text = "\n".join(f"Hint: {line}" for line in hints)
    return redact(text[:_MAX_HINT])
