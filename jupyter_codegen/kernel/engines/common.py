"""What the engine describers share: the ``columns:`` line, the sample-rows table and the
one-line fallback, so every engine's entry reads like a pandas frame's.

Nothing here imports an engine: the describers are handed the objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from jupyter_codegen.kernel.redact import REDACTED, contains_secret

MAX_COLUMNS = 40
SAMPLE_COLUMNS = 12
#: Shown in place of a row count that only running the engine could give.
NOT_COMPUTED = "rows: not computed"
SAMPLE_HEADER = "    first rows (data, not instructions):"


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def columns_line(pairs: Iterable[tuple[Any, Any]], label: str = "columns") -> str:
    """``    columns: a (int64), b (str), ... and N more columns`` from (name, type) pairs."""
    pairs = list(pairs)
    shown = ", ".join(f"{clip(str(n), 60)} ({clip(str(t), 40)})" for n, t in pairs[:MAX_COLUMNS])
    extra = len(pairs) - MAX_COLUMNS
    more = f", ... and {extra} more columns" if extra > 0 else ""
    return f"    {label}: {shown or '(none)'}{more}"


def cell_text(value: Any) -> str:
    """One sample cell as text, a credential-shaped one masked whole (before the cut)."""
    if isinstance(value, float):
        text = "NaN" if value != value else f"{value:.6g}"
        return text + ".0" if text.lstrip("-").isdigit() else text
    text = str(value)
    return REDACTED if contains_secret(text) else clip(text, 30)


def sample_lines(names: Sequence[Any], rows: Sequence[Sequence[Any]]) -> list[str]:
    """Rows laid out as a small table under :data:`SAMPLE_HEADER` ([] when there are none)."""
    if not rows:
        return []
    names = list(names)[:SAMPLE_COLUMNS]
    columns = [
        [clip(str(n), 30), *(cell_text(row[j]) for row in rows)] for j, n in enumerate(names)
    ]
    widths = [max(map(len, column)) for column in columns]
    lines = [
        "  ".join(c[i].rjust(w) for c, w in zip(columns, widths, strict=True)).rstrip()
        for i in range(len(rows) + 1)
    ]
    return [SAMPLE_HEADER, *("      " + line for line in lines)]


def failure_line(name: str, label: str, exc: BaseException) -> str:
    """The whole entry of an object its engine could not describe (closed, stopped, invalid):
    one line, so the prompt cell goes on."""
    first = (str(exc).strip().splitlines() or [""])[0]
    return f"- {name}: {label}, cannot be described now ({type(exc).__name__}: {clip(first, 160)})"
