"""The PNG of a surface's ``Plot`` output: a matplotlib Figure or Axes as it is, or a chart of
the data (DataFrame, Series, dict or list) drawn on a fresh figure.

It is apart from :mod:`jupyter_codegen.ui.render` because drawing a chart (pandas or plain
matplotlib, the pyplot bookkeeping) has nothing to do with building widgets: the renderer only
puts the bytes into its ``Image`` widget.
"""

from __future__ import annotations

import importlib
import io
import sys
from contextlib import suppress
from typing import Any

from jupyter_codegen.ui.expr import ExprError

_PLOT_SIZE = (6.4, 3.6)
_PLOT_DPI = 100


def plot_png(
    value: Any,
    *,
    kind: str = "line",
    x: str | None = None,
    y: str | list[str] | None = None,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
) -> bytes:
    """A PNG of ``value``: a matplotlib Figure (or Axes) as it is, else a chart of the data
    (DataFrame, Series, dict or list) drawn on a fresh figure that never touches pyplot."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ExprError("plots need matplotlib: pip install matplotlib") from None
    if value is None:
        value = []  # nothing yet: an empty chart
    if not isinstance(value, Figure) and isinstance(getattr(value, "figure", None), Figure):
        value = value.figure  # an Axes
    if isinstance(value, Figure):
        figure = value
    else:
        figure = Figure(figsize=_PLOT_SIZE, dpi=_PLOT_DPI)
        ax = figure.subplots()
        _draw(ax, value, kind, x, y)
        if title:
            ax.set_title(title)
        if xlabel:
            ax.set_xlabel(xlabel)
        if ylabel:
            ax.set_ylabel(ylabel)
        figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=_PLOT_DPI)
    _close_if_pyplot(figure)
    return buffer.getvalue()


def _draw(ax: Any, value: Any, kind: str, x: str | None, y: str | list[str] | None) -> None:
    pandas = sys.modules.get("pandas")
    if pandas is None and isinstance(value, dict | list):
        with suppress(ImportError):
            pandas = importlib.import_module("pandas")
    if pandas is None:
        _draw_plain(ax, value, kind)
        return
    if isinstance(value, dict):
        value = pandas.Series(value)
    elif isinstance(value, list | tuple):
        records = bool(value) and isinstance(value[0], dict)
        value = pandas.DataFrame(value) if records else pandas.Series(value)
    if not isinstance(value, pandas.DataFrame | pandas.Series):
        raise ExprError(f"cannot plot a {type(value).__name__}; return a DataFrame or Series")
    if len(value) == 0:
        ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
        return
    kwargs: dict[str, Any] = {}
    if isinstance(value, pandas.DataFrame):
        if x is not None:
            kwargs["x"] = x
        if y is not None:
            kwargs["y"] = y
        if kind == "scatter" and ("x" not in kwargs or "y" not in kwargs):
            columns = list(value.columns)
            if len(columns) < 2:
                raise ExprError("a scatter plot needs two columns (set x and y)")
            kwargs.setdefault("x", columns[0])
            kwargs.setdefault("y", columns[1])
        if kind == "pie":
            if "x" in kwargs:
                value = value.set_index(kwargs.pop("x"))
            column = kwargs.pop("y", None) or value.select_dtypes("number").columns[0]
            value = value[column if isinstance(column, str) else column[0]]
    if kind == "pie":
        kwargs = {"ylabel": ""}
    value.plot(kind=kind, ax=ax, **kwargs)


def _draw_plain(ax: Any, value: Any, kind: str) -> None:
    if not value:
        ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
        return
    if isinstance(value, dict):
        labels, values = [str(k) for k in value], list(value.values())
    else:
        labels, values = [str(i) for i in range(len(value))], list(value)
    if kind in ("bar", "barh"):
        (ax.bar if kind == "bar" else ax.barh)(labels, values)
    elif kind == "pie":
        ax.pie(values, labels=labels)
    elif kind == "hist":
        ax.hist(values)
    else:
        ax.plot(labels, values)


def _close_if_pyplot(figure: Any) -> None:
    # A figure made with pyplot stays registered there (and would be shown again at the end of
    # the cell by the inline backend): close it once it is drawn.
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None and getattr(figure, "number", None) in pyplot.get_fignums():
        pyplot.close(figure)
