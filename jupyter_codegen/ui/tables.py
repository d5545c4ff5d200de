"""The HTML of a surface's text outputs: a ``Table`` (:func:`table_html`), a ``Value``
(:func:`value_html`) and a ``Text`` (:func:`markdown_html`), every piece of text escaped since it
comes from a model or the kernel's data.

It is apart from :mod:`jupyter_codegen.ui.render` because turning a DataFrame, a number or
Markdown into safe HTML is a job of its own: the renderer only puts the string into its ``HTML``
widget.
"""

from __future__ import annotations

import html
import sys
from contextlib import suppress
from typing import Any

_NOTHING = '<span style="color:var(--jp-ui-font-color2,#888)">—</span>'


def table_html(value: Any, label: str | None = None, max_rows: int = 20) -> str:
    """An HTML table (cells escaped) of a DataFrame, Series, list of records or dict."""
    pandas = sys.modules.get("pandas")
    caption = f'<div style="font-weight:600">{html.escape(label)}</div>' if label else ""
    if value is None:  # nothing yet (e.g. a button's result before the first click)
        return f"{caption}{_NOTHING}"
    if pandas is not None:
        if isinstance(value, pandas.Series):
            value = value.to_frame()
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            value = pandas.DataFrame(value)
        elif isinstance(value, dict):
            value = pandas.Series(value).to_frame()
        if isinstance(value, pandas.DataFrame):
            body = value.to_html(max_rows=max_rows, border=0, escape=True)
            return f'{caption}<div style="max-height:28em;overflow:auto">{body}</div>'
    rows: list[Any]
    if isinstance(value, dict):
        rows = list(value.items())[:max_rows]
    elif isinstance(value, list | tuple):
        rows = [(i, v) for i, v in enumerate(value[:max_rows])]
    else:
        return f"{caption}<pre>{html.escape(str(value))}</pre>"
    cells = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows
    )
    return f"{caption}<table>{cells}</table>"


def value_html(value: Any, label: str | None = None, spec: str | None = None) -> str:
    """A big number (or text) with a small label above it."""
    value = plain_value(value)
    text = "—" if value is None else str(value)
    if spec:
        with suppress(TypeError, ValueError):
            text = format(value, spec)
    head = (
        '<div style="font-size:12px;color:var(--jp-ui-font-color2,#666)">'
        f"{html.escape(label)}</div>"
        if label
        else ""
    )
    return f'{head}<div style="font-size:26px;font-weight:600">{html.escape(text)}</div>'


def markdown_html(text: str, variant: str = "body") -> str:
    """Markdown to HTML with any raw HTML in it escaped (the text comes from a model)."""
    if variant in ("h1", "h2", "h3", "h4", "h5"):
        return f'<{variant} style="margin:4px 0">{html.escape(text)}</{variant}>'
    if variant == "caption":
        return f'<small style="color:var(--jp-ui-font-color2,#666)">{html.escape(text)}</small>'
    try:
        import mistune

        return str(mistune.create_markdown(escape=True)(text))
    except ImportError:
        return "<p>" + html.escape(text).replace("\n\n", "</p><p>").replace("\n", "<br>") + "</p>"


def plain_value(value: Any) -> Any:
    """numpy scalars and timestamps as plain Python values (JSON-friendly in the data model);
    the renderer's dropdown options use it too."""
    if hasattr(value, "item") and not isinstance(value, list | dict | str):
        try:
            return value.item()
        except (TypeError, ValueError):
            return value
    if hasattr(value, "isoformat") and hasattr(value, "to_pydatetime"):
        return value.isoformat()
    return value
