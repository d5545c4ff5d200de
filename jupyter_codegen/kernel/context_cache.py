"""Descriptions of unchanged variables, reused from one prompt cell to the next.

Describing a DataFrame (dtypes, sample rows) costs a few hundred microseconds; a namespace of
analysts' frames made the context the largest cost of a prompt cell. A description is reused
only while the variable is bound to the *same object* and a cheap *stamp* of everything the
description reads is unchanged: shape, columns, index, each block's array and the bytes of its
first rows (an in-place ``df.loc[0, "x"] = 1`` changes them). For lists, tuples and small dicts
the stamp is the identity of each item the description prints (``reprlib``'s six a level, two
levels deep). Objects of the data engines (Polars, Dask, Spark, DuckDB, Arrow,
xarray) are stamped as their row in :mod:`jupyter_codegen.kernel.engines` says. Values whose
contents cannot be stamped cheaply (sets, dicts of more than six
items, containers holding arbitrary objects, arbitrary objects) are described afresh each time.

The cache keeps no big data alive: frames, series, arrays and functions are held by weak
reference; only immutable scalars, strings up to 10,000 characters and containers up to 1,000
items are held strongly, and entries for names that left the namespace are dropped at the next
build.
"""

from __future__ import annotations

import functools
import sys
import types
import weakref
from collections.abc import Callable, Container, Hashable, Iterable
from dataclasses import dataclass
from typing import Any

from jupyter_codegen.kernel.engines import engine_of_type

#: Columns in a DataFrame's sample rows: the context shows them, and the cache stamps the blocks
#: holding them (defined here, below the context that imports the cache).
SAMPLE_COLUMNS = 12

_IMMUTABLE = (int, float, complex, bool, type(None), bytes)
_MAX_STRONG_STR = 10_000  # longer strings are described afresh rather than kept alive
_MAX_STRONG_ITEMS = 1_000  # likewise longer lists, tuples and dicts (no weak references)
_HEAD = 3  # rows of a sample; the description module shows ``head(3)``


@dataclass(frozen=True)
class _Entry:
    ref: Callable[[], Any]
    stamp: Hashable
    sample_rows: bool
    text: str


def _array_head(values: Any) -> Hashable:
    """The first rows of one pandas block or numpy array, as something comparable."""
    np = sys.modules["numpy"]
    arrow = getattr(values, "_pa_array", None)
    if arrow is not None and hasattr(arrow, "slice"):
        # Arrow-backed (pandas 3's default str): its first values straight from pyarrow, not
        # through a 3-row pandas copy and numpy (7 -> 1 us, a few frames every cell).
        return tuple(arrow.slice(0, _HEAD).to_pylist())
    inner = getattr(values, "_ndarray", None)
    if isinstance(inner, np.ndarray) and not isinstance(values, np.ndarray):
        values = inner  # pandas' numpy-backed arrays (str, datetime): no slice through pandas
        if values.dtype == object:  # as below for extension arrays: compare the values
            head = values[..., :_HEAD] if values.ndim == 2 else values[:_HEAD]
            return tuple(head.ravel().tolist())
    head = values[..., :_HEAD] if getattr(values, "ndim", 1) == 2 else values[:_HEAD]
    if not isinstance(head, np.ndarray):
        head = np.asarray(head)  # extension arrays: a 3-row copy
        if head.dtype.kind == "O":
            return tuple(head.ravel().tolist())  # fresh objects each time: compare values
    # The bytes alone: both stamps that hold a head hold its array's dtype and shape too.
    # (Of an object array, the bytes are the objects' ids.)
    return head.tobytes()


def _pandas_stamp(value: Any, is_frame: bool) -> Hashable:
    # Every block's identity and dtype (the dtypes shown), the first rows' bytes only of the
    # blocks holding the sample's columns: a frame built column by column has a block a column,
    # and reading 500 heads cost more than describing the frame afresh.
    manager = value._mgr
    sampled = set(manager.blknos[:SAMPLE_COLUMNS].tolist()) if is_frame else {0}
    blocks = tuple(
        (id(block.values), block.dtype, _array_head(block.values) if i in sampled else None)
        for i, block in enumerate(manager.blocks)
    )
    # A frame's columns or a Series' name (never ``getattr`` on pandas objects: a miss falls
    # back to a column lookup).
    label = id(value.columns) if is_frame else repr(value.name)
    index = value.index  # its name is shown, and ``df.index.name = ...`` keeps the object
    return (value.shape, label, id(index), repr(index.name), blocks)


class _Uncacheable(Exception):
    pass


_ATOMS = frozenset([str, *_IMMUTABLE])
_CONTAINERS = frozenset([list, tuple, dict])


def _container_stamp(value: Any, level: int = 2) -> Hashable:
    """What ``reprlib`` (6 items a level, 2 levels) shows of a list, tuple or dict: the ids of
    the items it prints (atoms are immutable, so the same id is the same text), recursively.
    Anything else inside (an object whose repr may change) makes the value uncacheable."""
    kind = type(value)
    if level <= 0:
        return kind.__name__  # printed as [...] / {...}
    if kind is dict:
        if len(value) > 6:  # reprlib prints the six smallest keys: a stamp would read all
            raise _Uncacheable
        items: Iterable[Any] = [part for pair in value.items() for part in pair]
    else:
        items = value[:6]
    parts: list[Hashable] = [kind.__name__, len(value)]
    for item in items:
        item_kind = type(item)
        if item_kind in _ATOMS:
            parts.append(id(item))
        elif item_kind in _CONTAINERS:
            parts.append(_container_stamp(item, level - 1))
        else:
            raise _Uncacheable
    return tuple(parts)


@functools.lru_cache(maxsize=512)
def _category(kind: type) -> str:
    """How values of one type are stamped and referenced (a lookup, not string work a value)."""
    module = kind.__module__.split(".")[0]
    if kind in _IMMUTABLE or issubclass(kind, _IMMUTABLE):
        return "atom"
    if kind is str or issubclass(kind, str):
        return "str"
    if kind in _CONTAINERS:
        return "container"
    if module == "pandas" and kind.__name__ in ("DataFrame", "Series"):
        return kind.__name__
    if module == "numpy" and kind.__name__ == "ndarray":
        return "ndarray"
    if engine_of_type(kind) is not None:
        return "engine"
    if issubclass(kind, types.FunctionType):
        return "function"
    return ""


def _stamp(value: Any, category: str) -> Hashable | None:
    """A stamp of what ``value``'s description reads, or None when it cannot be reused."""
    if category == "atom":
        return ()
    if category == "str":
        return () if len(value) <= _MAX_STRONG_STR else None
    if category == "container":
        if len(value) > _MAX_STRONG_ITEMS:
            return None
        try:
            return _container_stamp(value)
        except _Uncacheable:
            return None
    if category in ("DataFrame", "Series"):
        return _pandas_stamp(value, category == "DataFrame")
    if category == "ndarray":
        head = _array_head(value.ravel()[:_HEAD]) if value.ndim == 1 else ()
        return (value.shape, value.dtype.str, head)
    if category == "function":
        return (id(value.__code__), value.__doc__, id(value.__defaults__))
    if category == "engine":  # the engine table says what may change in the same object
        engine = engine_of_type(type(value))
        stamp = engine.stamp if engine is not None else None
        return None if stamp is None else ("engine", stamp(value))
    return None


def _reference(value: Any, category: str) -> Callable[[], Any]:
    """How an entry refers to its value: weakly for big data and functions, strongly for the
    immutable values and small containers that cannot be referenced weakly."""
    if category in ("atom", "str", "container"):
        return lambda: value
    return weakref.ref(value)


class DescriptionCache:
    """Per-session memo of variable descriptions (see the module docstring)."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}
        self.hits = 0
        self.misses = 0

    def describe(
        self, name: str, value: Any, sample_rows: bool, compute: Callable[[str, Any, bool], str]
    ) -> str:
        """``compute(name, value, sample_rows)``, or its stored text if the value is unchanged."""
        try:
            category = _category(type(value))  # type: ignore[arg-type]  # types hash
            stamp = _stamp(value, category) if category else None
        except Exception:  # pandas internals moved, a broken property: just describe it
            category, stamp = "", None
        entry = self._entries.get(name)
        if (
            stamp is not None
            and entry is not None
            and entry.sample_rows == sample_rows
            and entry.ref() is value
            and entry.stamp == stamp
        ):
            self.hits += 1
            return entry.text
        self.misses += 1
        text = compute(name, value, sample_rows)
        if stamp is None:
            self._entries.pop(name, None)
        else:
            try:
                ref = _reference(value, category)
            except TypeError:  # an engine's object that cannot be referenced weakly
                self._entries.pop(name, None)
                return text
            self._entries[name] = _Entry(ref, stamp, sample_rows, text)
        return text

    def keep_only(self, names: Container[str]) -> None:
        """Drop entries for names no longer in ``names`` (deleted, or not describable)."""
        for name in [n for n in self._entries if n not in names]:
            del self._entries[name]

    def __len__(self) -> int:
        return len(self._entries)
