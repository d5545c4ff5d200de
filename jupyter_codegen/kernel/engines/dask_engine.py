"""Dask: collections are described from their metadata (``_meta``: columns and dtypes),
partition count and divisions. Nothing is computed: no ``len``, no ``head`` (both run tasks on
the cluster), and no scheduler is contacted, so a cluster that went away does not matter."""

from __future__ import annotations

from typing import Any

from jupyter_codegen.kernel.engines.common import NOT_COMPUTED, clip, columns_line

GUIDANCE = (
    "Dask: lazy and distributed; use dask.dataframe / dask.array operations (they mirror pandas "
    "and numpy); a result is lazy until .compute(): print(result.compute()) only for a small "
    "result (an aggregation, .head(), a filter), never the whole collection."
)


def _divisions(frame: Any) -> str:
    if not frame.known_divisions:
        return "index divisions unknown"
    divisions = frame.divisions
    return (
        f"index divisions known ({clip(str(divisions[0]), 40)} ... {clip(str(divisions[-1]), 40)})"
    )


def describe_frame(name: str, frame: Any, sample_rows: bool) -> str:
    dtypes = frame.dtypes
    head = (
        f"- {name}: dask.dataframe.DataFrame (Dask, lazy and distributed), "
        f"{len(dtypes)} columns, {frame.npartitions:,} partitions, {NOT_COMPUTED}"
    )
    return "\n".join([head, columns_line(dtypes.items()), f"    {_divisions(frame)}"])


def describe_series(name: str, series: Any, sample_rows: bool) -> str:
    return (
        f"- {name}: dask.dataframe.Series (Dask, lazy and distributed), name={series.name!r}, "
        f"dtype {series.dtype}, {series.npartitions:,} partitions, {NOT_COMPUTED}"
    )


def describe_array(name: str, array: Any, sample_rows: bool) -> str:
    return (
        f"- {name}: dask.array.Array (Dask, lazy and distributed), shape {array.shape}, "
        f"dtype {array.dtype}, chunks of {array.chunksize}, {array.npartitions:,} chunks"
    )


def frame_columns(frame: Any) -> list[str]:
    return [str(c) for c in frame.columns]


def stamp(value: Any) -> Any:
    # ``ddf["c"] = ...`` swaps the expression of the same Python object; its name says so.
    return value._name
