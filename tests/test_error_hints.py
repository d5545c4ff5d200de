"""Hints added to a failed run's error before it goes back to the model."""

from __future__ import annotations

import pandas as pd
import pytest

from jupyter_codegen.kernel.error_hints import error_hints


def _ship(kg: float, zone: str) -> float:
    """Cost to ship `kg` to `zone`: domestic, eu or world."""
    return {"domestic": 4.0, "eu": 9.5, "world": 18.0}[zone] + kg


NS = {
    "ship": _ship,
    "sales": pd.DataFrame({"month": [1], "region": ["a"], "revenue": [1.0]}),
    "prices": pd.Series([1.0], name="price"),
    "sales_total": 3,
    "closes": pd.Series([1.0, 2.0], index=pd.date_range("2024-01-01", periods=2)),
    "rate_of": lambda currency: 0.9,
    "api_token": "x",
}


@pytest.mark.parametrize(
    ("error", "code", "hint"),
    [
        (
            "KeyError: 'Column not found: amount'",
            "sales['amount'].sum()",
            "Hint: `sales` has the columns: month, region, revenue",
        ),
        ("KeyError: 'revenu'", "sales['revenu']", "(did you mean 'revenue'?)"),
        (
            "AttributeError: 'DataFrame' object has no attribute 'revnue'",
            "sales.revnue.sum()",
            "did you mean 'revenue'?",
        ),
        (
            "KeyError: 'x'",
            "prices['x']",
            "`prices` is a Series (name 'price'), not a DataFrame",
        ),
        ("NameError: name 'sale' is not defined", "sale.sum()", "close to `sale`: sales"),
        ("NameError: name 'visits' is not defined", "visits", "`visits` is not defined"),
        (
            "NameError: name 'region_jpy' is not defined",
            "region_jpy = region_jpy * rate_of('JPY')",
            "Hint: The code reads `region_jpy` before it assigns it: nothing called `region_jpy` "
            "exists yet, so compute it from the data in the kernel",
        ),
        # a typo of a kernel name, read before the code assigns it: both facts
        ("NameError: name 'sale' is not defined", "sale = sale.copy()", "close to `sale`: sales"),
        ("NameError: name 'sale' is not defined", "sale = sale.copy()", "reads `sale` before"),
        (
            "NameError: name 'plt' is not defined",
            "plt.bar([1], [2])",
            "Hint: Add `import matplotlib.pyplot as plt` at the top of the code",
        ),
        (
            "KeyError: -1",
            "closes[-1] / closes[0]",
            "`closes` is indexed by DatetimeIndex labels, not positions: `closes.iloc[-1]` is "
            "the value at position -1",
        ),
        (
            "TypeError: unsupported operand type(s) for /: 'function' and 'int'",
            "x = 100 * (1 + rate_of / 12)",
            "`rate_of` is a function, not a number",
        ),
        (
            "ImportError: cannot import name 'np' from 'numpy' (/x/numpy/__init__.py)",
            "from numpy import np",
            "Hint: `np` is an alias: write `import numpy as np`",
        ),
        (
            "TypeError: Only valid with DatetimeIndex, TimedeltaIndex or PeriodIndex, but got "
            "an instance of 'RangeIndex'",
            "sales['revenue'].resample('QE').sum()",
            "resample needs dates as the index",
        ),
        (
            "TypeError: string indices must be integers, not 'str'",
            "total = sum(ship(s['revenue'], 'eu') for s in sales)",
            "Hint: `for ... in sales` goes over the column names of `sales`, not its rows: loop "
            "over zip(sales['month'], sales['region']), or sales.itertuples()",
        ),
        (
            "AttributeError: 'str' object has no attribute 'revenue'",
            "for row in sales:\n    print(row.revenue)",
            "`for ... in sales` goes over the column names",
        ),
    ],
)
def test_hints(error, code, hint):
    assert hint in error_hints(error, code, NS)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        ("ValueError: bad", "sales['x']"),  # nothing to add
        ("KeyError: 'x'", "d['x']"),  # no frame in the code
        ("AttributeError: 'list' object has no attribute 'mean'", "sales.mean()"),
        ("KeyError: 'x'", "sales[ syntax error"),
        ("TypeError: unsupported operand type(s) for /: 'function' and 'int'", "f() / 2"),
        ("", ""),
        ("ImportError: cannot import name 'zz' from 'numpy'", "from numpy import zz"),
        # a loop over a Series, or over a frame's rows, is not the column-name slip
        ("TypeError: string indices must be integers", "[p['x'] for p in prices]"),
        ("TypeError: string indices must be integers", "[r['x'] for _, r in sales.iterrows()]"),
    ],
)
def test_no_hint(error, code):
    assert error_hints(error, code, NS) == ""


def test_a_value_a_function_does_not_take_is_answered_with_its_docstring():
    text = error_hints("KeyError: 'EU'", "cost = ship(3.5, 'EU')", NS)
    assert text == (
        "Hint: `ship` was given 'EU'; its docstring: Cost to ship `kg` to `zone`: domestic, eu or "
        "world. (did you mean 'eu'? case matters: ship(3.5, 'eu'))"
    )
    keyword = error_hints("KeyError: 'EU'", "cost = ship(kg=3.5, zone='EU')", NS)
    assert keyword.endswith("case matters: ship(kg=3.5, zone='eu'))")
    assert error_hints("KeyError: 'EU'", "cost = ship(3.5, zone='mars')", NS) == ""


def test_an_integer_key_on_integer_labels_gets_no_position_hint():
    assert "iloc" not in error_hints("KeyError: 5", "sales.loc[5]", NS)


def test_secret_names_are_never_suggested():
    text = error_hints("NameError: name 'api_tokn' is not defined", "api_tokn", NS)
    assert "api_token" not in text


TABLES = {
    "orders": pd.DataFrame({"order_id": [1], "customer_id": [7], "amount": [2.0]}),
    "customers": pd.DataFrame({"customer_id": [7], "name": ["Ann"], "country": ["DE"]}),
    "notes": pd.DataFrame({"name": ["x"]}),  # shares no column with orders
    "_hidden": pd.DataFrame({"name": ["y"]}),
}


@pytest.mark.parametrize(
    ("error", "code"),
    [
        ("KeyError: \"['name'] not in index\"", "orders[['amount', 'name']]"),
        ("KeyError: 'name'", "orders['name']"),
        ("AttributeError: 'DataFrame' object has no attribute 'name'", "orders.name"),
    ],
)
def test_a_column_of_another_table_is_answered_with_the_join(error, code):
    hints = error_hints(error, code, TABLES).splitlines()
    assert hints == [
        "Hint: `orders` has the columns: order_id, customer_id, amount",
        "Hint: 'name' is a column of `customers`, not of `orders`: join them first, e.g. "
        "orders.merge(customers, on='customer_id'), and take 'name' from the result",
        "Hint: 'name' is a column of `notes`, not of `orders`",
    ]


@pytest.mark.parametrize(
    "code",
    [
        "orders.merge(customers, on='customer_id')['nme']",  # both read: 'nme' is no one's
        "customers['name'] + orders['zzz']",  # the column is in a frame the code reads
        "x = {}['name']",  # no table in the code
    ],
)
def test_no_join_hint_where_the_column_is_nowhere_else(code):
    error = "KeyError: 'nme'" if "nme" in code else "KeyError: 'name'"
    assert "join them first" not in error_hints(error, code, TABLES)
