"""A small, safe evaluator for the expressions in a declarative UI spec.

A spec binds outputs to ``{"call": "expr", "args": {"expr": "..."}}``: a Python *expression* over
named variables (the controls' values in the data model, and the kernel's variables). It is
never given to ``eval``. :func:`compile_expr` parses it and checks every node against an
allow-list; :meth:`Expression.evaluate` walks the tree itself:

- literals, names, attribute access (never ``_private`` or ``__dunder__`` names), subscripts and
  slices, arithmetic, comparisons, ``and``/``or``/``not``, ``x if c else y``, f-strings, list/
  tuple/set/dict displays and comprehensions;
- calls only of: a few pure builtins (:data:`SAFE_BUILTINS`), the kernel's registered functions,
  and data methods by name (:data:`SAFE_METHODS`: ``sum``, ``groupby``, ``sort_values``, ...);
  nothing that writes files (``to_csv``), evaluates strings (``query``, ``eval``), or takes
  callables (``apply``, ``pipe``);
- names resolve to data only: a module, class or plain function in the kernel is refused;
- no assignments, imports, lambdas, ``await``, starred arguments or ``**kwargs``;
- bounded arithmetic: huge powers, shifts and sequence repetitions are refused.

This is a guard for declarative UIs, not a sandbox against a determined attacker: a data
object's own (non-private) properties still run their code when read.
"""

from __future__ import annotations

import ast
import inspect
import operator
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from jupyter_codegen.errors import ExprError

#: Builtins an expression may call (all pure).
SAFE_BUILTINS: dict[str, Callable[..., Any]] = {
    "abs": abs,
    "all": all,
    "any": any,
    "bool": bool,
    "dict": dict,
    "enumerate": lambda *a, **k: list(enumerate(*a, **k)),
    "float": float,
    "format": format,
    "int": int,
    "len": len,
    "list": list,
    "max": max,
    "min": min,
    "range": lambda *a: _bounded_range(*a),
    "reversed": lambda x: list(reversed(x)),
    "round": round,
    "set": set,
    "sorted": sorted,
    "str": str,
    "sum": sum,
    "tuple": tuple,
    "zip": lambda *a: list(zip(*a, strict=False)),
}

#: Methods an expression may call, on any object: reading and reshaping data (pandas, numpy,
#: str, list, dict). Deliberately absent: writers (to_csv, to_pickle, ...), string evaluators
#: (query, eval), callable-takers (apply, map, pipe, transform), plotting (plot) and mutators.
SAFE_METHODS = frozenset(
    {
        "abs",
        "agg",
        "aggregate",
        "all",
        "any",
        "astype",
        "between",
        "capitalize",
        "clip",
        "contains",
        "copy",
        "corr",
        "count",
        "cov",
        "cummax",
        "cummin",
        "cumprod",
        "cumsum",
        "date",
        "day",
        "describe",
        "diff",
        "drop",
        "drop_duplicates",
        "dropna",
        "endswith",
        "explode",
        "fillna",
        "filter",
        "find",
        "first",
        "get",
        "groupby",
        "head",
        "idxmax",
        "idxmin",
        "index",
        "isin",
        "isna",
        "isnull",
        "isoformat",
        "items",
        "join",
        "keys",
        "last",
        "lower",
        "lstrip",
        "mask",
        "max",
        "mean",
        "median",
        "melt",
        "merge",
        "min",
        "mode",
        "month",
        "nlargest",
        "notna",
        "notnull",
        "nsmallest",
        "nunique",
        "pct_change",
        "pivot",
        "pivot_table",
        "prod",
        "quantile",
        "rank",
        "rename",
        "replace",
        "resample",
        "reset_index",
        "rolling",
        "round",
        "rstrip",
        "sample",
        "sem",
        "set_index",
        "shift",
        "size",
        "sort_index",
        "sort_values",
        "split",
        "squeeze",
        "stack",
        "startswith",
        "std",
        "strftime",
        "strip",
        "sum",
        "tail",
        "title",
        "to_dict",
        "to_frame",
        "to_list",
        "tolist",
        "total_seconds",
        "transpose",
        "unique",
        "unstack",
        "upper",
        "value_counts",
        "values",
        "var",
        "where",
        "year",
        "zfill",
    }
)

_MAX_POWER = 1_000
_MAX_REPEAT = 1_000_000
_MAX_RANGE = 10_000_000

_BINOPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.BitAnd: operator.and_,
    ast.BitOr: operator.or_,
    ast.BitXor: operator.xor,
    ast.MatMult: operator.matmul,
}
_UNARYOPS: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.UAdd: operator.pos,
    ast.USub: operator.neg,
    ast.Not: operator.not_,
    ast.Invert: operator.invert,
}
_CMPOPS: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
_ALLOWED_NODES = (
    ast.Expression,
    ast.Constant,
    ast.Name,
    ast.Load,
    ast.Store,
    ast.Attribute,
    ast.Subscript,
    ast.Slice,
    ast.Tuple,
    ast.List,
    ast.Set,
    ast.Dict,
    ast.BinOp,
    ast.UnaryOp,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.Compare,
    ast.IfExp,
    ast.Call,
    ast.keyword,
    ast.JoinedStr,
    ast.FormattedValue,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
    ast.comprehension,
    *_BINOPS,
    *_UNARYOPS,
    *_CMPOPS,
)
_NODE_WORDS = {
    ast.Lambda: "lambda",
    ast.NamedExpr: "assignment (:=)",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Starred: "starred arguments (*x)",
    ast.LShift: "bit shifts",
    ast.RShift: "bit shifts",
}


def _bounded_range(*args: int) -> range:
    r = range(*args)
    if len(r) > _MAX_RANGE:
        raise ExprError(f"range of {len(r)} numbers is too long (at most {_MAX_RANGE})")
    return r


@dataclass(frozen=True)
class Expression:
    """A checked expression, ready to evaluate."""

    source: str
    tree: ast.Expression
    #: Names the expression reads from outside (variables, functions), in first-use order.
    names: tuple[str, ...]

    def evaluate(
        self,
        variables: Mapping[str, Any],
        functions: Mapping[str, Callable[..., Any]] | None = None,
    ) -> Any:
        """The expression's value. ``variables`` are the names it may read (data only);
        ``functions`` the registered functions it may call. Raises :class:`ExprError` for a
        refused name or operation; errors raised by the data itself (a missing column, ...)
        propagate unchanged."""
        return _Evaluator(variables, functions or {}).eval(self.tree.body)


def compile_expr(source: str) -> Expression:
    """Parse and check ``source``; raises :class:`ExprError` saying what is not allowed."""
    text = source.strip()
    if not text:
        raise ExprError("the expression is empty")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ExprError(f"not a Python expression: {exc.msg} (in {text!r})") from None
    names: list[str] = []
    _check(tree, frozenset(), names)
    return Expression(text, tree, tuple(dict.fromkeys(names)))


def _targets(node: ast.AST) -> Iterator[str]:
    if isinstance(node, ast.Name):
        yield node.id
    elif isinstance(node, ast.Tuple | ast.List):
        for elt in node.elts:
            yield from _targets(elt)
    else:
        raise ExprError("comprehension targets must be plain names")


def _check(node: ast.AST, bound: frozenset[str], names: list[str]) -> None:
    if not isinstance(node, _ALLOWED_NODES):
        word = _NODE_WORDS.get(type(node), type(node).__name__)
        raise ExprError(f"{word} is not allowed in an expression")
    if isinstance(node, ast.Name):
        if node.id.startswith("_"):
            raise ExprError(f"the name `{node.id}` is private")
        if isinstance(node.ctx, ast.Load) and node.id not in bound:
            names.append(node.id)
        return
    if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
        raise ExprError(f"the attribute `.{node.attr}` is private")
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Attribute):
            if node.func.attr not in SAFE_METHODS:
                raise ExprError(
                    f"the method `.{node.func.attr}()` is not allowed in an expression (data "
                    "methods such as sum, mean, groupby, sort_values are); use a registered "
                    "function for anything else"
                )
        elif not isinstance(node.func, ast.Name):
            raise ExprError("only named functions and data methods can be called")
        for kw in node.keywords:
            if kw.arg is None:
                raise ExprError("**kwargs is not allowed in an expression")
            if kw.arg == "inplace":
                raise ExprError("inplace= is not allowed: expressions never change data")
    if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
        inner = set(bound)
        for gen in node.generators:
            if gen.is_async:
                raise ExprError("async comprehensions are not allowed")
            _check(gen.iter, frozenset(inner), names)
            inner.update(_targets(gen.target))
            for cond in gen.ifs:
                _check(cond, frozenset(inner), names)
        parts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
        for part in parts:
            _check(part, frozenset(inner), names)
        return
    for child in ast.iter_child_nodes(node):
        _check(child, bound, names)


def is_data(value: Any) -> bool:
    """Whether an expression may read ``value`` by name: not a module, class or function."""
    return not (inspect.ismodule(value) or isinstance(value, type) or callable(value))


class _Evaluator:
    def __init__(
        self, variables: Mapping[str, Any], functions: Mapping[str, Callable[..., Any]]
    ) -> None:
        self.variables = variables
        self.functions = functions
        self.scopes: list[dict[str, Any]] = []

    def eval(self, node: ast.AST) -> Any:
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:  # compile_expr refused it already; a tree built by hand
            raise ExprError(f"{type(node).__name__} is not allowed in an expression")
        return method(node)

    # --- names and access

    def _lookup(self, name: str) -> Any:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        if name in self.variables:
            value = self.variables[name]
            if not is_data(value):
                kind = "a module" if inspect.ismodule(value) else "code, not data"
                raise ExprError(f"`{name}` is {kind}; expressions may only read data")
            return value
        if name in self.functions or name in SAFE_BUILTINS:
            raise ExprError(f"`{name}` is a function: call it, e.g. {name}(...)")
        raise ExprError(f"unknown name `{name}`")

    def _Name(self, node: ast.Name) -> Any:
        return self._lookup(node.id)

    def _Constant(self, node: ast.Constant) -> Any:
        return node.value

    def _Attribute(self, node: ast.Attribute) -> Any:
        value = getattr(self.eval(node.value), node.attr)
        if inspect.ismodule(value):
            raise ExprError(f"`.{node.attr}` is a module; expressions may only read data")
        return value

    def _Subscript(self, node: ast.Subscript) -> Any:
        return self.eval(node.value)[self.eval(node.slice)]

    def _Slice(self, node: ast.Slice) -> slice:
        def part(n: ast.expr | None) -> Any:
            return None if n is None else self.eval(n)

        return slice(part(node.lower), part(node.upper), part(node.step))

    def _Tuple(self, node: ast.Tuple) -> tuple[Any, ...]:
        return tuple(self.eval(e) for e in node.elts)

    def _List(self, node: ast.List) -> list[Any]:
        return [self.eval(e) for e in node.elts]

    def _Set(self, node: ast.Set) -> set[Any]:
        return {self.eval(e) for e in node.elts}

    def _Dict(self, node: ast.Dict) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for key, value in zip(node.keys, node.values, strict=True):
            if key is None:
                raise ExprError("**mapping is not allowed in an expression")
            out[self.eval(key)] = self.eval(value)
        return out

    # --- operators

    def _BinOp(self, node: ast.BinOp) -> Any:
        left, right = self.eval(node.left), self.eval(node.right)
        op = type(node.op)
        if op is ast.Pow and _is_int(right) and abs(right) > _MAX_POWER:
            raise ExprError(f"exponent {right} is too large (at most {_MAX_POWER})")
        if op is ast.Mult:
            for seq, count in ((left, right), (right, left)):
                if (
                    isinstance(seq, str | bytes | list | tuple)
                    and _is_int(count)
                    and len(seq) * count > _MAX_REPEAT
                ):
                    raise ExprError("the repeated sequence would be too long")
        return _BINOPS[op](left, right)

    def _UnaryOp(self, node: ast.UnaryOp) -> Any:
        return _UNARYOPS[type(node.op)](self.eval(node.operand))

    def _BoolOp(self, node: ast.BoolOp) -> Any:
        value: Any = None
        for operand in node.values:
            value = self.eval(operand)
            if isinstance(node.op, ast.And) and not value:
                return value
            if isinstance(node.op, ast.Or) and value:
                return value
        return value

    def _Compare(self, node: ast.Compare) -> Any:
        left = self.eval(node.left)
        result: Any = True
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = self.eval(comparator)
            result = _CMPOPS[type(op)](left, right)
            if len(node.ops) > 1 and not result:
                return result
            left = right
        return result

    def _IfExp(self, node: ast.IfExp) -> Any:
        return self.eval(node.body) if self.eval(node.test) else self.eval(node.orelse)

    # --- calls

    def _Call(self, node: ast.Call) -> Any:
        args = [self.eval(a) for a in node.args]
        kwargs = {kw.arg: self.eval(kw.value) for kw in node.keywords if kw.arg is not None}
        func = node.func
        if isinstance(func, ast.Attribute):
            target = self.eval(func.value)
            if func.attr not in SAFE_METHODS:
                raise ExprError(f"the method `.{func.attr}()` is not allowed in an expression")
            return getattr(target, func.attr)(*args, **kwargs)
        if isinstance(func, ast.Name):
            if func.id in self.functions:
                return self.functions[func.id](*args, **kwargs)
            if func.id in SAFE_BUILTINS:
                return SAFE_BUILTINS[func.id](*args, **kwargs)
            raise ExprError(
                f"`{func.id}` is not a function an expression may call (registered functions "
                f"and {', '.join(sorted(SAFE_BUILTINS))} are)"
            )
        raise ExprError("only named functions and data methods can be called")

    # --- f-strings

    def _JoinedStr(self, node: ast.JoinedStr) -> str:
        return "".join(str(self.eval(v)) for v in node.values)

    def _FormattedValue(self, node: ast.FormattedValue) -> str:
        value = self.eval(node.value)
        if node.conversion == ord("r"):
            value = repr(value)
        elif node.conversion == ord("a"):
            value = ascii(value)
        elif node.conversion == ord("s"):
            value = str(value)
        spec = self.eval(node.format_spec) if node.format_spec is not None else ""
        return format(value, spec)

    # --- comprehensions

    def _generate(self, generators: list[ast.comprehension], index: int) -> Iterator[None]:
        if index == len(generators):
            yield
            return
        gen = generators[index]
        for item in self.eval(gen.iter):
            self._bind(gen.target, item)
            if all(self.eval(cond) for cond in gen.ifs):
                yield from self._generate(generators, index + 1)

    def _bind(self, target: ast.AST, value: Any) -> None:
        if isinstance(target, ast.Name):
            self.scopes[-1][target.id] = value
            return
        assert isinstance(target, ast.Tuple | ast.List)
        values = list(value)
        if len(values) != len(target.elts):
            raise ExprError(f"cannot unpack {len(values)} values into {len(target.elts)} names")
        for elt, item in zip(target.elts, values, strict=True):
            self._bind(elt, item)

    def _comprehension(self, node: Any, build: Callable[[], Any]) -> Any:
        self.scopes.append({})
        try:
            return build()
        finally:
            self.scopes.pop()

    def _ListComp(self, node: ast.ListComp) -> list[Any]:
        return self._comprehension(
            node, lambda: [self.eval(node.elt) for _ in self._generate(node.generators, 0)]
        )

    def _GeneratorExp(self, node: ast.GeneratorExp) -> list[Any]:
        return self._comprehension(
            node, lambda: [self.eval(node.elt) for _ in self._generate(node.generators, 0)]
        )

    def _SetComp(self, node: ast.SetComp) -> set[Any]:
        return self._comprehension(
            node, lambda: {self.eval(node.elt) for _ in self._generate(node.generators, 0)}
        )

    def _DictComp(self, node: ast.DictComp) -> dict[Any, Any]:
        return self._comprehension(
            node,
            lambda: {
                self.eval(node.key): self.eval(node.value)
                for _ in self._generate(node.generators, 0)
            },
        )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
