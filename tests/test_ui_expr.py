"""The restricted expression evaluator of UI specs: what it computes, what it refuses."""

from __future__ import annotations

import os
from typing import Any

import pytest
from ui_support import sales_frame

from jupyter_codegen.ui.expr import ExprError, compile_expr

SALES = sales_frame()
VARS: dict[str, Any] = {"sales": SALES, "region": "North", "months": [2, 5], "n": 3}


def ev(source: str, variables: dict[str, Any] | None = None, **functions: Any) -> Any:
    return compile_expr(source).evaluate(VARS if variables is None else variables, functions)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 + 2 * n", 7),
        ("n ** 2 - 1", 8),
        ("-n if n > 2 else n", -3),
        ("1 < n <= 3", True),
        ("region in ['North', 'South'] and not n == 4", True),
        ("[x * 2 for x in range(4) if x % 2]", [2, 6]),
        ("{k: v for k, v in zip('ab', [1, 2])}", {"a": 1, "b": 2}),
        ("sorted({r.lower() for r in ['B', 'a']})", ["a", "b"]),
        ("f'{region}: {n:03d} {months!r}'", "North: 003 [2, 5]"),
        ("months[0]", 2),
        ("'abc'[::-1]", "cba"),
        ("max(len(region), n)", 5),
        ("round(sum(x / 3 for x in [1, 2]), 2)", 1.0),
    ],
)
def test_evaluates_python_expressions(source: str, expected: Any) -> None:
    assert ev(source) == expected


def test_pandas_expressions() -> None:
    rows = ev("sales[(sales.region == region) & sales.month.between(months[0], months[1])]")
    assert set(rows.region) == {"North"} and rows.month.between(2, 5).all()
    monthly = ev("sales[sales.region == region].groupby('month').revenue.sum()")
    assert monthly.index.name == "month"
    assert ev("sorted(sales.region.unique())") == ["East", "North", "South"]
    assert ev("sales.revenue.sum()") == SALES.revenue.sum()
    assert (
        ev("sales.loc[sales.month == 1, 'revenue'].tolist()")
        == SALES.loc[SALES.month == 1, "revenue"].tolist()
    )


def test_registered_functions_are_callable() -> None:
    assert ev("double(n) + 1", double=lambda x: 2 * x) == 7


def test_names_report_what_an_expression_reads() -> None:
    expression = compile_expr("[r for r in regions if r != region] + [sales.region.iloc[0]]")
    assert expression.names == ("regions", "region", "sales")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("x = 1", "not a Python expression"),
        ("lambda: 1", "lambda"),
        ("(y := 2)", "assignment"),
        ("sales.__class__", "private"),
        ("_secret", "private"),
        ("sales.to_csv('/tmp/out.csv')", "`.to_csv()` is not allowed"),
        ("sales.query('revenue > 1')", "`.query()` is not allowed"),
        ("sales.revenue.apply(str)", "`.apply()` is not allowed"),
        ("sales.plot()", "`.plot()` is not allowed"),
        ("sales.drop(columns=['x'], inplace=True)", "inplace= is not allowed"),
        ("[f for f in [sales.head]][0]()", "only named functions"),
        ("f(**{'a': 1})", "**kwargs"),
        ("f(*[1])", "starred"),
        ("1 << 1000", "bit shifts"),
        ("", "empty"),
    ],
)
def test_refused_at_compile_time(source: str, message: str) -> None:
    with pytest.raises(ExprError) as info:
        compile_expr(source)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("source", "variables", "message"),
    [
        ("os.sep", {"os": os}, "is a module"),
        ("print", {}, "unknown name"),
        ("len", {}, "is a function"),
        ("helper(1)", {"helper": lambda x: x}, "not a function an expression may call"),
        ("f", {"f": lambda: 1}, "code, not data"),
        ("open('x')", {}, "not a function an expression may call"),
        ("eval('1')", {}, "not a function an expression may call"),
        ("2 ** 100000", {}, "exponent"),
        ("'ab' * 10 ** 7", {}, "too long"),
        ("range(10 ** 9)", {}, "too long"),
        ("nope + 1", {}, "unknown name `nope`"),
    ],
)
def test_refused_at_run_time(source: str, variables: dict[str, Any], message: str) -> None:
    with pytest.raises(ExprError) as info:
        ev(source, variables)
    assert message in str(info.value)


def test_data_errors_propagate_unchanged() -> None:
    with pytest.raises(AttributeError, match="revenu"):
        ev("sales.revenu.sum()")
