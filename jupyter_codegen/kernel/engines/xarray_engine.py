"""xarray: dims, coordinates and data variables with their dtypes and chunking, read from the
variables' metadata (``dtype``, ``chunks``); never ``.values`` or ``.data``, which load a lazily
opened file or compute dask chunks."""

from __future__ import annotations

from typing import Any

from jupyter_codegen.kernel.engines.common import MAX_COLUMNS, clip

GUIDANCE = (
    "xarray: use labelled operations (.sel, .isel, .mean(dim=...), .groupby('time.month')); "
    "dask-backed variables are lazy: .compute() or .load() only a reduced result."
)


def _chunks(variable: Any) -> str:
    chunks = variable.chunks
    if not chunks:
        return ""
    return ", dask chunks " + "x".join(str(max(c) if c else 0) for c in chunks)


def _variable(name: Any, variable: Any) -> str:
    dims = " x ".join(str(d) for d in variable.dims) or "scalar"
    return f"{clip(str(name), 60)} ({variable.dtype}, {dims}{_chunks(variable)})"


def _listing(label: str, variables: Any) -> str:
    items = list(variables.items())
    shown = ", ".join(_variable(k, v.variable) for k, v in items[:MAX_COLUMNS])
    extra = len(items) - MAX_COLUMNS
    return f"    {label}: {shown or '(none)'}" + (f", ... and {extra} more" if extra > 0 else "")


def _sizes(value: Any) -> str:
    return ", ".join(f"{k}={v:,}" for k, v in value.sizes.items()) or "none"


def is_lazy(value: Any) -> bool:
    return any(v.chunks for v in value.variables.values())


def describe_dataset(name: str, value: Any, sample_rows: bool) -> str:
    lazy = " with dask chunks (lazy)" if is_lazy(value) else ""
    return "\n".join(
        [
            f"- {name}: xarray.Dataset (xarray{lazy}), dims {_sizes(value)}",
            _listing("coords", value.coords),
            _listing("data variables", value.data_vars),
        ]
    )


def describe_array(name: str, value: Any, sample_rows: bool) -> str:
    head = f"- {name}: xarray.DataArray (xarray), name={value.name!r}, " + _variable(
        "values", value.variable
    )
    return head + f", dims {_sizes(value)}\n" + _listing("coords", value.coords)


def dataset_columns(value: Any) -> list[str]:
    return [str(k) for k in [*value.data_vars, *value.coords]]


def array_stamp(value: Any) -> Any:
    coords = tuple((k, id(v.variable)) for k, v in value.coords.items())
    return (value.name, id(value.variable), coords)


def dataset_stamp(value: Any) -> Any:
    # ``ds["new"] = ...`` keeps the object and adds or replaces a variable.
    return tuple((k, id(v)) for k, v in value.variables.items())


def array_is_lazy(value: Any) -> bool:
    return bool(value.variable.chunks)
