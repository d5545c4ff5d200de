"""The materialisation check: code that brings the whole of a user's lazy or distributed frame
into the kernel (``big.compute()``, ``sdf.toPandas()``, ``lazy.collect()``, ``rel.df()``) with
no filter, aggregation, head or limit before it in the chain asks for confirmation: on a
cluster-sized frame it runs for hours or exhausts the kernel's memory.

Which names hold such frames, and which methods materialise each, comes from the engine table
(:mod:`jupyter_codegen.kernel.engines`), read by the caller for the names the code mentions.
The chain is read backwards from the materialising call: a call of a method in
:data:`REDUCING`, a row slice or a boolean mask makes the result small; column selections,
sorts, renames and other projections do not. A name the code rebinds is not judged (its value
here is not the user's frame any more, or not only).
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any

from jupyter_codegen.kernel.policy.aliases import _Names
from jupyter_codegen.kernel.policy.findings import _Findings

#: Methods after which a chain's result is small: filters, heads and limits, aggregations.
REDUCING = frozenset(
    {
        "filter", "where", "query", "head", "limit", "take", "tail", "sample", "slice",
        "first", "last", "nlargest", "nsmallest", "top_k", "bottom_k", "fetchone", "fetchmany",
        "agg", "aggregate", "groupby", "group_by", "groupBy", "rollup", "cube", "pivot",
        "sum", "mean", "median", "min", "max", "count", "std", "var", "quantile", "mode",
        "nunique", "n_unique", "value_counts", "describe", "unique", "distinct", "corr", "cov",
        "sel", "isel", "resample", "coarsen", "reduction", "count_rows", "approx_count_distinct",
        "explain", "summary", "len", "shape", "size",
    }
)  # fmt: skip
#: Top-level functions that compute the collections passed to them.
_COMPUTE_FUNCTIONS = frozenset({"dask.compute", "dask.base.compute", "dask.persist"})


def _is_column_key(node: ast.AST) -> bool:
    """``["a"]`` or ``[["a", "b"]]``: a column selection, which keeps every row."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, (ast.List, ast.Tuple)):
        return all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts)
    return False


def _whole_root(node: ast.AST) -> str | None:
    """The name at the root of ``node``'s chain when nothing on the way makes it small."""
    while True:
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, ast.Attribute):  # a column by attribute (``big.amount``)
            node = node.value
        elif isinstance(node, ast.Subscript):
            if not _is_column_key(node.slice):
                return None  # a mask or a row slice
            node = node.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in REDUCING:
                return None
            node = node.func.value
        else:
            return None


class _MaterialiseChecks(_Names, _Findings):
    """The materialisation check. The analysis dataclass provides the attributes."""

    #: The user's lazy or distributed frames the code mentions: name -> its engine's row.
    frames: Mapping[str, Any]

    def check_materialise(self, node: ast.Call) -> None:
        if not self.frames:
            return
        if self.resolve(node.func) in _COMPUTE_FUNCTIONS:
            for arg in node.args:
                root = arg.id if isinstance(arg, ast.Name) else None
                engine = self.frames.get(root) if root is not None else None
                if engine is not None and "compute" in engine.materialise:
                    self._ask(root, engine, "dask.compute(...)", node)
        elif isinstance(node.func, ast.Attribute):
            root = _whole_root(node.func.value)
            engine = self.frames.get(root) if root is not None else None
            filtered = any(kw.arg == "filter" for kw in node.keywords)  # Arrow's to_table
            if engine is not None and node.func.attr in engine.materialise and not filtered:
                self._ask(root, engine, f".{node.func.attr}()", node)

    def _ask(self, name: str | None, engine: Any, call: str, node: ast.AST) -> None:
        if name is None or name in self.bound:
            return
        self.add(
            "confirm",
            f"`{call}` brings all of your {engine.family} data `{name}` into the kernel "
            "(no filter, aggregation or head before it)",
            node,
        )
