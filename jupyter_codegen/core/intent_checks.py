"""Whether the code did what the prompt clearly asks (core/intent.py reads what that is): each
check gives a precise repair message, or None when it passed.

:func:`check_code` and :func:`check_frame_writes` judge what can be told from the code alone,
before it runs (a chart drawn, the formula named, the data named read, the user's frames left
as they are); :func:`check_namespace`, :func:`check_printed` and :func:`check_drawn` judge a run
(the live namespace), :func:`check_values` the kinds an isolated candidate reported.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from jupyter_codegen.core.formula_checks import check_loan_periods
from jupyter_codegen.core.intent import Intent
from jupyter_codegen.core.join_checks import check_join
from jupyter_codegen.core.parsed import Code, parsed
from jupyter_codegen.core.row_labels import check_id_lookup, check_row_labels
from jupyter_codegen.kernel.candidates import kind_of
from jupyter_codegen.kernel.policy.nodes import stored_names

# What code that draws looks like (a chart prompt's code must), and matplotlib's part of it.
_PLOTTING = re.compile(
    r"\b(?:plt|pyplot|matplotlib|sns|seaborn|px|plotly|go|alt|altair|bokeh|hv|holoviews)\b|"
    r"\.(?:plot|hist|bar|barh|scatter|pie|boxplot|imshow|heatmap|line|area)\s*\(|"
    r"\bax(?:es)?\w*\.|\bfig\w*\.|\binteract",
)
_MATPLOTLIB = re.compile(r"\b(?:plt|pyplot|matplotlib|sns|seaborn)\b|\.(?:plot|hist)\s*\(")
_DIGIT = re.compile(r"\d")
#: Calls that average, or may (an aggregate named by a string: ``agg("mean")``), and the
#: statistics built on a mean ("standard error of the mean": ``.sem()``).
_AVERAGING = frozenset(
    {"mean", "average", "nanmean", "fmean", "agg", "aggregate", "describe", "pivot_table"}
    | {"sem", "std", "var", "zscore", "corr", "cov", "ewm"}
)


def check_code(intent: Intent, code: str, tree: ast.Module | None = None) -> str | None:
    """What can be told from the code alone: a chart prompt whose code draws nothing, the
    other standard deviation or variance than the one the prompt names, a variable the prompt
    names as its data that the code never reads, a join that keeps other rows than asked,
    a row number printed as the answer, an id read as a row number."""
    if intent.chart and not _PLOTTING.search(code):
        return "The task asks for a chart; the code draws none. Draw it (matplotlib: plt)."
    tree = parsed(code) if tree is None else tree  # (the caller may have parsed it)
    if tree is None:
        return None
    if intent.spread and (problem := check_spread(intent.spread, tree)):
        return problem
    if intent.measure and (problem := check_measure(intent.measure, tree)):
        return problem
    if intent.average and (problem := check_average(tree)):
        return problem
    return (
        check_inputs(intent, tree)
        or check_loan_periods(intent.loan_years, tree)
        or check_join(intent.join, tree)
        or check_row_labels(intent.row_numbered, tree)
        or check_id_lookup(dict(intent.id_columns), tree)
    )


def check_inputs(intent: Intent, code: Code) -> str | None:
    """Each of the user's variables the prompt quotes is read by the code: a small model
    answers "customers who ordered, in `orders`" from `customers` alone, or joins nothing when
    asked to join `orders` to `customers`, and the number it prints looks fine."""
    if not intent.inputs:
        return None
    tree = parsed(code)
    if tree is None:
        return None
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    unread = [name for name in intent.inputs if name not in used]
    if not unread:
        return None
    named = " and ".join(f"`{n}`" for n in intent.inputs)
    missing = ", ".join(f"`{n}`" for n in unread)
    return (
        f"The task is about {named}; the code never reads {missing}. Use the data the task "
        "names (they are already defined; do not rebuild them)." + _joining(intent, unread)
    )


def _joining(intent: Intent, unread: list[str]) -> str:
    """What each unread frame holds, the columns it shares with the other frames named, and
    the join when one column is shared ("Join on it: orders.merge(customers,
    on='customer_id')"): a small model asked to bring a frame in needs the key, not a rule."""
    columns = dict(intent.input_columns)
    said = ""
    for name in unread:
        if name not in columns:
            continue
        said += f" `{name}` has columns {', '.join(columns[name])}"
        shared = [
            (other, [c for c in columns[name] if c in columns[other]])
            for other in columns
            if other not in unread
        ]
        shared = [(other, keys) for other, keys in shared if keys]
        if not shared:
            said += "."
            continue
        said += "; " + "; ".join(f"it shares {', '.join(ks)} with `{o}`" for o, ks in shared)
        if len(shared) == 1 and len(shared[0][1]) == 1:
            other, (key,) = shared[0]
            said += f". Join on it: {other}.merge({name}, on={key!r})"
        said += "."
    return said


# --- sample vs population -------------------------------------------------------------------

_SPREAD_FUNCTIONS = frozenset({"std", "var", "nanstd", "nanvar"})
_NUMPY = frozenset({"np", "numpy"})


def check_spread(asked: str, code: Code) -> str | None:
    """``asked`` ("sample" or "population"): code that plainly computes the other one. Only
    what the code says for certain counts: numpy's functions and scipy's ``zscore`` divide by n
    unless given ``ddof=1``; pandas' ``frame["col"].std()`` divides by n - 1 unless given
    ``ddof=0``; ``statistics.pstdev`` / ``stdev`` say it in their names. A ``.std()`` on an
    array of unknown type is left alone."""
    tree = parsed(code)
    if tree is None:
        return None
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
    if asked == "sample":
        if any(_population_call(call) for call in calls):
            return (
                "The task asks for the sample standard deviation or variance (divided by "
                "n - 1); the code computes the population one (numpy's np.std / np.var and "
                "ddof=0 divide by n). Use pandas' .std() / .var(), or pass ddof=1."
            )
    elif any(_sample_call(call) for call in calls):
        return (
            "The task asks for the population standard deviation or variance (divided by n); "
            "the code computes the sample one (pandas' .std() / .var() and ddof=1 divide by "
            "n - 1). Pass ddof=0."
        )
    return None


_DEVIATIONS = frozenset({"std", "nanstd", "stdev", "pstdev", "tstd"})
_VARIANCES = frozenset({"var", "nanvar", "variance", "pvariance", "tvar"})


def check_measure(asked: str, code: Code) -> str | None:
    """``asked`` ("variance" or "deviation"): code that computes only the other one. A square
    or a square root anywhere (``sd ** 2``, ``np.sqrt(v)``) may turn one into the other, and
    leaves the code alone."""
    tree = parsed(code)
    if tree is None:
        return None
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
    called = {name for call in calls if (name := _called(call)[1])}
    converts = (
        any(isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) for node in ast.walk(tree))
        or "sqrt" in called
    )
    if converts:
        return None
    if asked == "variance" and called & _DEVIATIONS and not called & _VARIANCES:
        return (
            "The task asks for the variance; the code computes the standard deviation (.std()). "
            "Use .var() (pandas' divides by n - 1; ddof=0 divides by n)."
        )
    if asked == "deviation" and called & _VARIANCES and not called & _DEVIATIONS:
        return (
            "The task asks for the standard deviation; the code computes the variance (.var()). "
            "Use .std() (pandas' divides by n - 1; ddof=0 divides by n)."
        )
    return None


def _ddof(call: ast.Call) -> object:
    """The ``ddof`` a call passes as a literal; None when it passes none; ... when unknown."""
    for keyword in call.keywords:
        if keyword.arg == "ddof":
            value = keyword.value
            return value.value if isinstance(value, ast.Constant) else ...
    return None


def _called(call: ast.Call) -> tuple[str | None, str | None]:
    """(the owner's name, the function's name): ("np", "std") for ``np.std(x)``, (None, "stdev")
    for ``stdev(x)``."""
    func = call.func
    if isinstance(func, ast.Name):
        return None, func.id
    if isinstance(func, ast.Attribute):
        owner = func.value.id if isinstance(func.value, ast.Name) else None
        return owner, func.attr
    return None, None


def _population_call(call: ast.Call) -> bool:
    owner, name = _called(call)
    ddof = _ddof(call)
    if ddof == 0 and not isinstance(ddof, bool):
        return True
    if name in ("pstdev", "pvariance"):
        return True
    if owner in _NUMPY and name in _SPREAD_FUNCTIONS:
        return ddof is None
    return name == "zscore" and ddof is None


def _sample_call(call: ast.Call) -> bool:
    owner, name = _called(call)
    ddof = _ddof(call)
    if ddof == 1 and not isinstance(ddof, bool):
        return True
    if owner == "statistics" and name in ("stdev", "variance"):
        return True
    if name not in ("std", "var") or ddof is not None or not isinstance(call.func, ast.Attribute):
        return False
    # ``frame["col"].std()``: a column read by its name is a pandas Series.
    target = call.func.value
    return (
        isinstance(target, ast.Subscript)
        and isinstance(target.slice, ast.Constant)
        and isinstance(target.slice.value, str)
    )


def check_average(code: Code) -> str | None:
    """A prompt that asks for an average, and code that neither calls an averaging function
    nor divides (the 1.5B answered "average rating per product" with value_counts)."""
    tree = parsed(code)
    if tree is None:
        return None
    nodes = list(ast.walk(tree))
    called = {_called(node)[1] for node in nodes if isinstance(node, ast.Call)}
    divides = any(
        isinstance(node, ast.BinOp | ast.AugAssign) and isinstance(node.op, ast.Div | ast.FloorDiv)
        for node in nodes
    )
    named = any(
        isinstance(node, ast.Constant) and node.value in ("mean", "average") for node in nodes
    )
    if called & _AVERAGING or any("mean" in str(c) for c in called) or divides or named:
        return None
    return (
        "The task asks for an average; the code computes none (no .mean(), no division). "
        "Average the values: .mean(), or .groupby(...)[column].mean() for one per group."
    )


def check_namespace(intent: Intent, namespace: Mapping[str, Any]) -> str | None:
    """After a run in the live kernel: each named result bound, of the kind asked, a finite
    number where a number is asked, in the order and with the index asked, a dict of single
    values where one value per key is asked."""
    kinds = {e.name: kind_of(namespace[e.name]) for e in intent.names if e.name in namespace}
    return (
        check_values(intent, kinds)
        or check_finite(intent, namespace)
        or check_order(intent, namespace)
        or check_index(intent, namespace)
        or check_dict_values(intent, namespace)
        or check_result_groups(intent, namespace)
    )


def check_result_groups(intent: Intent, namespace: Mapping[str, Any]) -> str | None:
    """ "Each region's total as a Series `t`": the one named result has entries for the
    groups (at least two of them among its labels), not row numbers or other labels."""
    if intent.result_groups is None or not intent.names:
        return None
    name = intent.names[0].name
    value: Any = namespace.get(name)
    if isinstance(value, dict):
        labels = list(value)
    elif type(value).__name__ == "Series":
        labels = list(value.index[:1000])
    else:
        return None  # unbound or of another kind: check_values says so
    column, groups = intent.result_groups
    shown = {str(label) for label in labels}
    if sum(group in shown for group in groups) >= 2:
        return None
    listed = ", ".join(repr(label) for label in labels[:5]) + (" ..." if len(labels) > 5 else "")
    return (
        f"The task asks for `{name}` with one entry per {column} ({', '.join(groups)}); its "
        f"labels are {listed or 'none'}. Group by '{column}' first (a groupby on '{column}'), "
        f"then compute each {column}'s value."
    )


_MANY = frozenset({"Series", "DataFrame", "ndarray", "list", "tuple"})


def check_dict_values(intent: Intent, namespace: Mapping[str, Any]) -> str | None:
    """A dict asked "mapping each currency to the converted amount" holds one value per key:
    the 1.5B stored each currency's converted column (80 values) where the total was asked."""
    if not intent.dict_of_one:
        return None
    for expected in intent.names:
        value = namespace.get(expected.name)
        if expected.kind != "dict" or not isinstance(value, dict):
            continue
        many = [(k, v) for k, v in value.items() if kind_of(v) in _MANY and _size(v) > 1]
        if many:
            key, first = many[0]
            return (
                f"The task asks for `{expected.name}` to map each key to one value; "
                f"`{expected.name}[{key!r}]` is a {kind_of(first)} of {_size(first):,} values. "
                "Reduce each to the one number asked (a total: .sum())."
            )
    return None


def _size(value: Any) -> int:
    try:
        return len(value)
    except TypeError:
        return 1


def check_finite(intent: Intent, namespace: Mapping[str, Any]) -> str | None:
    """A result asked as a number is a finite one: ``inf`` or ``nan`` answers nothing (an
    overflowed formula, a mean over no rows)."""
    bad = [
        f"`{e.name}` is {namespace[e.name]!r}"
        for e in intent.names
        if e.kind in ("number", "int")
        and e.name in namespace
        and kind_of(namespace[e.name]) == "float"
        and not math.isfinite(namespace[e.name])
    ]
    if not bad:
        return None
    return (
        f"The task asks for a number; {', '.join(bad)}. Check the formula and the rows it "
        "uses (an overflow, a division by zero, no rows selected)."
    )


def check_index(intent: Intent, namespace: Mapping[str, Any]) -> str | None:
    """The one named result has the index of the frame the prompt names ("with the same index
    as `sales`"): a Series or DataFrame whose index equals that frame's."""
    source = namespace.get(intent.same_index or "")
    result = _one_result(intent, namespace)
    if source is None or result is None:
        return None
    name, value = result
    if kind_of(value) not in ("Series", "DataFrame") or not hasattr(source, "index"):
        return None
    try:
        if value.index.equals(source.index):
            return None
    except Exception:  # an exotic index: not judged
        return None
    return (
        f"The task asks for `{name}` with the same index as `{intent.same_index}` "
        f"({len(source.index):,} rows); it has {len(value.index):,} rows under another index. "
        f"Compute it row by row on `{intent.same_index}` (no value_counts, groupby or dropna)."
    )


def check_order(intent: Intent, namespace: Mapping[str, Any]) -> str | None:
    """The one named result, asked "highest first" (or "smallest first", "in ascending
    order"...), is in that order: a list or array of numbers, strings or dates, a Series by its
    values, a DataFrame by some numeric or date column. Anything else is not judged."""
    result = _one_result(intent, namespace) if intent.order else None
    if result is None or _in_order(result[1], intent.order, intent.order_by_date) is not False:
        return None
    name = result[0]
    down = intent.order == "descending"
    if intent.order_by_date:
        how = "newest first" if down else "oldest first"
    else:
        how = "largest first" if down else "smallest first"
    return (
        f"The task asks for `{name}` in {intent.order} order ({how}); the code left it in "
        "another order. Sort it as asked (sorted(..., reverse=...), .sort_values(ascending=...))."
    )


def _one_result(intent: Intent, namespace: Mapping[str, Any]) -> tuple[str, Any] | None:
    """The prompt's one named result and its value, when it names exactly one and it is bound."""
    if len(intent.names) != 1 or intent.names[0].name not in namespace:
        return None
    return intent.names[0].name, namespace[intent.names[0].name]


def _in_order(value: Any, order: str | None, by_date: bool) -> bool | None:
    """Whether ``value`` is in ``order``; None when that cannot be told of it. ``by_date``: a
    frame is judged by its date columns only ("newest first" is not about the amounts)."""
    try:
        import pandas as pd

        types = pd.api.types
        if isinstance(value, pd.DataFrame):
            columns = [
                value[c]
                for c in value.columns
                if types.is_datetime64_any_dtype(value[c].dtype)
                or (not by_date and types.is_numeric_dtype(value[c].dtype))
            ]
            known = [t for t in (_monotonic(c, order) for c in columns) if t is not None]
            return any(known) if known else None
        if isinstance(value, (list, tuple)) or kind_of(value) in ("Series", "ndarray"):
            # (a 2-D array is no Series: pandas raises, and it is not judged)
            return _monotonic(pd.Series(list(value) if isinstance(value, tuple) else value), order)
    except Exception:  # mixed or exotic values: not judged
        return None
    return None


def _monotonic(series: Any, order: str | None) -> bool | None:
    if len(series) < 2:
        return True
    if series.isna().any() or series.dtype == bool:
        return None
    if series.dtype == object and not all(isinstance(v, str) for v in series):
        return None
    return bool(
        series.is_monotonic_decreasing if order == "descending" else series.is_monotonic_increasing
    )


def check_values(intent: Intent, kinds: Mapping[str, str]) -> str | None:
    """``kinds``: the kind of each bound name after the run (:func:`kind_of`)."""
    problems = []
    for expected in intent.names:
        asked = f"`{expected.name}`" + (f", {_ARTICLE[expected.kind]}" if expected.kind else "")
        kind = kinds.get(expected.name)
        if kind is None:
            problems.append(f"the task asks for {asked}; the code left it undefined")
        elif expected.kind and not _matches(expected.kind, kind):
            problem = f"the task asks for {asked}; the code made it {_a(kind)}"
            if "Timedelta" in kind and expected.kind in ("number", "int"):
                # The 1.5B averaged date differences into "311 days 08:20" three times over.
                problem += " (a time span: take its .days, or divide by pd.Timedelta(days=1))"
            problems.append(problem)
    if not problems:
        return None
    text = "; ".join(problems)
    return text[0].upper() + text[1:] + ". Bind the name the task gives, with the kind it asks."


def check_drawn(intent: Intent, code: str, drew: bool) -> str | None:
    """After a run in the live kernel: a chart prompt whose matplotlib code ran showed a
    picture or left a figure open (a plotting function defined and never called draws none).
    Other libraries (plotly, altair, widgets) are not judged: their views vary."""
    if not intent.chart or drew or not _MATPLOTLIB.search(code):
        return None
    return (
        "The task asks for a chart; the code ran but drew nothing (a plotting function "
        "defined and never called?). Draw the chart at top level and show it with plt.show()."
    )


def check_printed(intent: Intent, printed: str) -> str | None:
    """After a run: a prompt that asks to print a quantity printed a number, and one that
    asks for a value per group printed the groups. ``printed``: what the run printed and
    displayed as text."""
    shown = " ".join(printed.split())[:60]
    if intent.prints_number and not _DIGIT.search(printed):
        return (
            f"The task asks to print a number (a total, a mean, a count); the output "
            f"{shown!r} has none. Print every value the task asks for, with its label."
        )
    if intent.per_group:
        column, groups = intent.per_group
        named = [g for g in groups if re.search(rf"(?<!\w){re.escape(g)}(?!\w)", printed)]
        if len(named) < 2:
            return (
                f"The task asks for a value per {column}, one for each of "
                f"{', '.join(groups)}; the output {shown!r} names "
                f"{len(named) or 'none'} of them. Print the whole result, one line per "
                f"{column} (a groupby on '{column}')."
            )
    return None


def checked_label(intent: Intent, namespace: Mapping[str, Any]) -> str:
    """What the status line says was checked: ``n_high (int), top (list)``."""
    order = f", {intent.order}" if intent.order else ""
    order += f", index of {intent.same_index}" if intent.same_index else ""
    labels = [
        f"{e.name} ({kind_of(namespace[e.name])}{order})" if e.name in namespace else e.name
        for e in intent.names
    ]
    if intent.chart:
        labels.append("a chart")
    if intent.prints_number:
        labels.append("a printed number")
    if intent.per_group:
        labels.append(f"one per {intent.per_group[0]}")
    if intent.result_groups:
        labels.append(f"one per {intent.result_groups[0]}")
    if intent.join:
        labels.append(f"{intent.join} join")
    if intent.inputs:
        labels.append("reads " + ", ".join(intent.inputs))
    return ", ".join(labels)


# --- frames the prompt did not ask to change ------------------------------------------------

#: DataFrame methods that change the frame they are called on.
_MUTATORS = frozenset({"insert", "pop", "update", "drop_duplicates", "__setitem__"})


def check_frame_writes(intent: Intent, code: Code, frames: Iterable[str]) -> str | None:
    """Code that writes into one of the user's ``frames`` (``sales["m"] = ...``,
    ``sales.loc[...] = ...``, ``inplace=True``, ``sales.insert(...)``), or binds its name to
    other data at the top level (``sales = sales.merge(...)``), when the prompt did not ask for
    a change. Read from the code before it runs: a frame changed in place stays changed when
    the run is rolled back. (A name bound inside a function or loop is left alone.)"""
    if intent.may_change_frames:
        return None
    names = set(frames)
    if not names:
        return None
    tree = parsed(code)
    if tree is None:
        return None
    # A user's frame bound anew from itself (``orders = orders.join(...)``, ``sales =
    # sales[sales.x > 0]``): the user's variable holds other data for every later cell, as
    # surely as after an in-place write. Not a name the prompt asks for, nor a result computed
    # afresh under an old name (``by_month = sales.groupby(...)`` run again).
    asked = {expected.name for expected in intent.names}
    rebound = sorted(
        {
            target.id
            for node in tree.body
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and node.value
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
            if isinstance(target, ast.Name)
            and target.id in names
            and target.id not in asked
            and (isinstance(node, ast.AugAssign) or _reads(node.value, target.id))
        }
    )
    if rebound:
        listed = ", ".join(f"`{n}`" for n in rebound)
        first = rebound[0]
        return (
            f"The code replaces {listed} with new data; the task did not ask to change it. "
            f"Leave `{first}` as it is and keep the result under a new name "
            f"(`new_{first} = ...`)."
        )
    # A frame the code binds itself (``joined = a.merge(b)``, then ``joined["x"] = ...``) is
    # its own, even where an earlier cell left a frame under that name.
    own = stored_names(tree)
    written = sorted({n for node in ast.walk(tree) for n in _frame_writes(node, names - own)})
    if not written:
        return None
    listed = ", ".join(f"`{n}`" for n in written)
    return (
        f"The code changes {listed} in place; the task did not ask for that. Leave the user's "
        "data as it is: work on a copy (`df = sales.copy()`) or a new variable."
    )


def _reads(node: ast.AST, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node))


def _frame_writes(node: ast.AST, names: set[str]) -> Iterator[str]:
    targets: list[ast.expr] = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
        targets = [node.target]
    for target in targets:
        if isinstance(target, (ast.Subscript, ast.Attribute)):
            root = _root(target)
            if root in names:
                yield root
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        root = _root(node.func.value)
        if root in names and (
            node.func.attr in _MUTATORS
            or any(
                k.arg == "inplace" and isinstance(k.value, ast.Constant) and k.value.value is True
                for k in node.keywords
            )
        ):
            yield root


def _root(node: ast.expr) -> str | None:
    """``sales`` for ``sales``, ``sales["m"]``, ``sales.loc[...]`` (not for ``f(sales)[...]``)."""
    while isinstance(node, (ast.Subscript, ast.Attribute)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


# --- helpers --------------------------------------------------------------------------------

_ARTICLE = {
    "list": "a list",
    "dict": "a dict",
    "number": "a number",
    "int": "an int",
    "str": "a string",
    "DataFrame": "a DataFrame",
    "Series": "a Series",
    "bool": "a bool",
    "tuple": "a tuple",
    "set": "a set",
}


def _matches(asked: str, kind: str) -> bool:
    if asked == "number":
        return kind in ("int", "float")
    return asked == kind


def _a(kind: str) -> str:
    return _ARTICLE.get(kind) or ("an " if kind[:1].lower() in "aeiou" else "a ") + kind
