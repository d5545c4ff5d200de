"""Polars: an eager DataFrame is described with its height, schema and first rows (a slice, no
copy); a LazyFrame by its plan's schema (``collect_schema()`` resolves the plan, it never runs
it)."""

from __future__ import annotations

from typing import Any

from jupyter_codegen.kernel.engines.common import NOT_COMPUTED, columns_line, sample_lines

GUIDANCE = (
    "Polars: use Polars expressions (pl.col, filter, group_by().agg(), with_columns), not pandas "
    "methods; a LazyFrame runs only at .collect(): collect an aggregation or .head(n), not the "
    "whole plan."
)


def describe_frame(name: str, frame: Any, sample_rows: bool) -> str:
    schema = frame.schema
    lines = [
        f"- {name}: polars.DataFrame (Polars, eager), {frame.height:,} rows x {len(schema)} columns"
    ]
    lines.append(columns_line(schema.items()))
    if sample_rows and frame.height:
        head = frame.head(3)
        lines.extend(sample_lines(head.columns, head.rows()))
    return "\n".join(lines)


def describe_lazy(name: str, frame: Any, sample_rows: bool) -> str:
    schema = frame.collect_schema()
    head = (
        f"- {name}: polars.LazyFrame (Polars, lazy query plan), {len(schema)} columns, "
        f"{NOT_COMPUTED}"
    )
    return head + "\n" + columns_line(schema.items())


def describe_series(name: str, series: Any, sample_rows: bool) -> str:
    text = (
        f"- {name}: polars.Series (Polars, eager), name={series.name!r}, "
        f"dtype {series.dtype}, length {len(series):,}"
    )
    if sample_rows and len(series):
        text += ", first values " + repr(series.head(3).to_list())[:120]
    return text


def frame_columns(frame: Any) -> list[str]:
    return list(frame.columns)


def lazy_columns(frame: Any) -> list[str]:
    return list(frame.collect_schema().names())
