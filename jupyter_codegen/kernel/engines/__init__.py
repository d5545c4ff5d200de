"""Data beyond pandas, described by schema and never computed: Polars, Dask, PySpark, DuckDB,
PyArrow and xarray objects, found by type in one table (:data:`ENGINES`).

Types are recognised by ``type(value).__module__`` and name, so a namespace without an engine
never imports it, and an object of an engine is only ever handed to that engine's describer.
The table takes precedence over the context's generic path, which asked for ``.shape``: on a
DuckDB relation that runs the query (37 s over ``range(2_000_000_000)``), on Dask it builds a
graph for the length.

A row also says what the rest of the package needs to know about a type: its columns (repair
hints), a stamp for the description cache (what can change while the object stays the same;
None: described afresh each time), whether it is lazy or distributed, and which of its methods
bring the whole of it into the kernel (the policy asks before those run on a user's frame).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from jupyter_codegen.kernel.engines import (
    arrow_engine,
    dask_engine,
    duckdb_engine,
    polars_engine,
    spark_engine,
    xarray_engine,
)
from jupyter_codegen.kernel.engines.common import failure_line

Describer = Callable[[str, Any, bool], str]


def _always(value: Any) -> bool:
    return True


def _never(value: Any) -> bool:
    return False


def _same_object(value: Any) -> Hashable:
    """The stamp of an immutable object: being the same object is enough."""
    return ()


@dataclass(frozen=True)
class Engine:
    """One row of the table: how values of one type are described and treated."""

    #: The engine's name, as the context shows it ("Dask"); the guidance is per family.
    family: str
    #: The type as the context names it ("dask.dataframe.DataFrame").
    label: str
    describe: Describer
    #: Column names read from metadata (repair hints); None where the type has none.
    columns: Callable[[Any], list[str]] | None = None
    #: What a description reads that may change in the same object; None: never reused.
    stamp: Callable[[Any], Hashable] | None = _same_object
    #: Lazy or distributed: computing all of it is work on a cluster or a query engine.
    lazy: Callable[[Any], bool] = _always
    #: Methods that bring the whole object into the kernel (see kernel/policy/materialise.py).
    materialise: frozenset[str] = frozenset()


_POLARS_LAZY = Engine(
    "Polars",
    "polars.LazyFrame",
    polars_engine.describe_lazy,
    polars_engine.lazy_columns,
    materialise=frozenset({"collect", "collect_async", "to_pandas"}),
)
_DASK_COMPUTE = frozenset({"compute", "to_pandas", "to_numpy"})
_DUCKDB_RELATION = Engine(
    "DuckDB",
    "duckdb.DuckDBPyRelation",
    duckdb_engine.describe_relation,
    duckdb_engine.relation_columns,
    materialise=frozenset(
        {
            "df",
            "to_df",
            "fetchdf",
            "fetchall",
            "fetchnumpy",
            "arrow",
            "to_arrow_table",
            "fetch_arrow_table",
            "pl",
        }
    ),  # fmt: skip
)
_DUCKDB_CONNECTION = Engine(
    "DuckDB",
    "duckdb.DuckDBPyConnection",
    duckdb_engine.describe_connection,
    stamp=None,  # its catalog changes under the same object
    lazy=_never,
)

#: (module prefix, type name) -> row. The prefix is matched against ``type(value).__module__``.
ENGINES: dict[tuple[str, str], Engine] = {
    ("polars.", "DataFrame"): Engine(
        "Polars",
        "polars.DataFrame",
        polars_engine.describe_frame,
        polars_engine.frame_columns,
        stamp=None,  # mutable in place (``df[0, "a"] = 1``) and its first rows are shown
        lazy=_never,
    ),
    ("polars.", "LazyFrame"): _POLARS_LAZY,
    ("polars.", "Series"): Engine(
        "Polars", "polars.Series", polars_engine.describe_series, stamp=None, lazy=_never
    ),
    ("dask.dataframe.", "DataFrame"): Engine(
        "Dask",
        "dask.dataframe.DataFrame",
        dask_engine.describe_frame,
        dask_engine.frame_columns,
        stamp=dask_engine.stamp,
        materialise=_DASK_COMPUTE,
    ),
    ("dask.dataframe.", "Series"): Engine(
        "Dask",
        "dask.dataframe.Series",
        dask_engine.describe_series,
        stamp=dask_engine.stamp,
        materialise=_DASK_COMPUTE,
    ),
    ("dask.array.", "Array"): Engine(
        "Dask",
        "dask.array.Array",
        dask_engine.describe_array,
        stamp=dask_engine.stamp,
        materialise=frozenset({"compute", "to_numpy"}),
    ),
    ("pyspark.sql.", "DataFrame"): Engine(
        "PySpark",
        "pyspark.sql.DataFrame",
        spark_engine.describe_frame,
        spark_engine.frame_columns,
        materialise=frozenset({"toPandas", "collect", "toLocalIterator", "toArrow", "pandas_api"}),
    ),
    ("duckdb.", "DuckDBPyRelation"): _DUCKDB_RELATION,
    ("_duckdb.", "DuckDBPyRelation"): _DUCKDB_RELATION,
    ("duckdb.", "DuckDBPyConnection"): _DUCKDB_CONNECTION,
    ("_duckdb.", "DuckDBPyConnection"): _DUCKDB_CONNECTION,
    ("pyarrow.lib", "Table"): Engine(
        "Arrow", "pyarrow.Table", arrow_engine.describe_table, arrow_engine.columns, lazy=_never
    ),
    ("pyarrow._dataset", "Dataset"): Engine(
        "Arrow",
        "pyarrow.dataset.Dataset",
        arrow_engine.describe_dataset,
        arrow_engine.columns,
        materialise=frozenset({"to_table", "to_batches"}),
    ),
    ("xarray.", "Dataset"): Engine(
        "xarray",
        "xarray.Dataset",
        xarray_engine.describe_dataset,
        xarray_engine.dataset_columns,
        stamp=xarray_engine.dataset_stamp,
        lazy=xarray_engine.is_lazy,
        materialise=frozenset({"compute", "load", "to_dataframe", "to_pandas"}),
    ),
    ("xarray.", "DataArray"): Engine(
        "xarray",
        "xarray.DataArray",
        xarray_engine.describe_array,
        stamp=xarray_engine.array_stamp,
        lazy=xarray_engine.array_is_lazy,
        materialise=frozenset({"compute", "load", "to_numpy", "to_pandas"}),
    ),
}

GUIDANCE: dict[str, str] = {
    "Polars": polars_engine.GUIDANCE,
    "Dask": dask_engine.GUIDANCE,
    "PySpark": spark_engine.GUIDANCE,
    "DuckDB": duckdb_engine.GUIDANCE,
    "Arrow": arrow_engine.GUIDANCE,
    "xarray": xarray_engine.GUIDANCE,
}
_ROOTS = frozenset(prefix.split(".")[0] for prefix, _ in ENGINES)


@functools.lru_cache(maxsize=512)
def _engine_of_type(kind: type) -> Engine | None:
    module = getattr(kind, "__module__", "") or ""
    if module.split(".")[0] not in _ROOTS:
        return None
    for klass in kind.__mro__:  # pyarrow's FileSystemDataset is a Dataset
        klass_module = getattr(klass, "__module__", "") or ""
        for (prefix, name), engine in ENGINES.items():
            if klass.__name__ == name and (klass_module + ".").startswith(prefix):
                return engine
    return None


def engine_of_type(kind: type) -> Engine | None:
    """The table's row for values of type ``kind``, or None (not an engine's type)."""
    try:
        return _engine_of_type(kind)
    except TypeError:  # an unhashable type object
        return None


def engine_of(value: Any) -> Engine | None:
    """The table's row for ``value``'s type, or None (not an engine's object)."""
    return engine_of_type(type(value))


def describe(name: str, value: Any, sample_rows: bool) -> str | None:
    """``value``'s entry in the context if its engine is in the table, else None. An object
    its engine cannot describe (a closed connection, a stopped session, an invalid query) gets
    one line saying so."""
    engine = engine_of(value)
    if engine is None:
        return None
    try:
        return engine.describe(name, value, sample_rows)
    except Exception as exc:  # the engine's own errors, whatever their type
        return failure_line(name, f"{engine.label} ({engine.family})", exc)


#: The heading of the advice lines in the context.
GUIDANCE_HEADING = "Data engines (keep the work in each object's own engine):"


def guidance_line(value: Any) -> tuple[str, str] | None:
    """(engine, one line of advice on writing code for it) for an engine's object, else None."""
    engine = engine_of(value)
    return None if engine is None else (engine.family, f"- {GUIDANCE[engine.family]}")


def guidance(families: Iterable[str]) -> list[str]:
    """The advice lines for ``families``, in the table's order."""
    wanted = set(families)
    return [f"- {text}" for family, text in GUIDANCE.items() if family in wanted]


def columns_of(value: Any) -> list[str] | None:
    """The column names of an engine's frame from its metadata, or None."""
    engine = engine_of(value)
    if engine is None or engine.columns is None:
        return None
    try:
        return engine.columns(value)
    except Exception:
        return None


_WORD = re.compile(r"[A-Za-z_]\w*")


def lazy_frames(code: str, namespace: Mapping[str, Any]) -> dict[str, Engine]:
    """Of the names ``code`` mentions, those bound in ``namespace`` to a lazy or distributed
    engine object whose row names the methods that would bring all of it into the kernel,
    with that row (for the policy, kernel/policy/materialise.py)."""
    found: dict[str, Engine] = {}
    for name in set(_WORD.findall(code)):
        value = namespace.get(name)
        engine = engine_of(value) if value is not None else None
        if engine is None or not engine.materialise:
            continue
        try:
            if engine.lazy(value):
                found[name] = engine
        except Exception:  # a broken object: nothing to protect
            continue
    return found
