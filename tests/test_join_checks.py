"""The rows a join keeps, as the prompt words it, and columns of two tables combined without
one (core/join_checks.py)."""

from __future__ import annotations

import pytest

from jupyter_codegen.core.intent import read_intent
from jupyter_codegen.core.intent_checks import check_code, checked_label
from jupyter_codegen.core.join_checks import check_join, check_row_pairing, join_asked


@pytest.mark.parametrize(
    ("prompt", "asked"),
    [
        (
            "Join `orders` and `customers` on customer_id, keeping only the orders whose "
            "customer we know, into a DataFrame `orders_customers`.",
            "inner",
        ),
        ("Show the recent orders. Leave out orders whose customer we don't know.", "inner"),
        ("Merge the two frames and drop the rows without a match.", "inner"),
        (
            "Add each order's segment from `customers`. Keep every order, even when the "
            "customer is unknown, and save it as `orders_seg`.",
            "left",
        ),
        ("Join `orders` to `customers` on customer_id.", None),  # says nothing about rows
        ("Keep every order even if unknown; keep only the known ones.", None),  # both: unclear
    ],
)
def test_the_rows_a_prompt_keeps(prompt: str, asked: str | None) -> None:
    assert join_asked(prompt) == asked


def test_a_left_join_where_only_matches_are_asked_goes_back() -> None:
    problem = check_join("inner", 'out = orders.merge(customers, on="id", how="left")')
    assert problem is not None and 'how="left" keeps the others too' in problem
    assert check_join("inner", 'out = orders.merge(customers, on="id")') is None
    assert check_join("inner", 'out = pd.merge(orders, customers, how="inner")') is None
    assert check_join("inner", "out = orders.set_index('id').join(customers, how='outer')")


def test_an_inner_join_where_every_row_is_asked_goes_back() -> None:
    problem = check_join("left", 'seg = orders.merge(customers[["id", "segment"]], on="id")')
    assert problem is not None and "an inner join (merge's default) drops them" in problem
    assert check_join("left", 'seg = orders.merge(customers, on="id", how="left")') is None
    assert check_join("left", 'seg = customers.merge(orders, on="id", how="right")') is None
    assert check_join("left", "seg = orders.set_index('id').join(customers)") is None  # left


@pytest.mark.parametrize(
    "code",
    [
        'x = ", ".join(names)',  # a string's join
        "p = os.path.join(a, b)",
        "keep = orders[orders['id'].isin(customers['id'])]",  # no join spelled out
        "a = o.merge(c, how='left')\nb = o.merge(c)",  # two joins: which one is meant is unclear
        "out = orders.merge(customers, how=way)",  # not a literal
    ],
)
def test_what_is_not_judged(code: str) -> None:
    assert check_join("inner", code) is None
    assert check_join("left", code) is None


def test_the_join_check_runs_with_the_other_code_checks() -> None:
    intent = read_intent(
        "Join `orders` and `customers`, keeping only the orders whose customer we know, into `oc`.",
        ["orders", "customers"],
    )
    assert intent.join == "inner"
    problem = check_code(intent, 'oc = orders.merge(customers, on="id", how="left")')
    assert problem is not None and problem.startswith("The task keeps only the rows")


def test_the_status_line_names_the_join_checked() -> None:
    intent = read_intent("Merge them and leave out orders whose customer we don't know.", [])
    assert checked_label(intent, {}) == "inner join"


# --- columns of two tables paired by row label ----------------------------------------------


def _tables():
    pd = pytest.importorskip("pandas")
    orders = pd.DataFrame(
        {
            "order_id": [1, 2, 3, 4],
            "customer_id": [11, 12, 12, 19],
            "order_date": pd.to_datetime(["2024-02-01", "2024-03-01", "2024-04-01", "2024-05-01"]),
        }
    )
    customers = pd.DataFrame(
        {"customer_id": [11, 12, 13], "signup_date": pd.to_datetime(["2024-01-01"] * 3)}
    )
    return {"orders": orders, "customers": customers}


def test_columns_of_two_tables_combined_without_a_join_go_back() -> None:
    # the quality set's days_to_first_order: an average over unrelated (customer, order) pairs
    problem = check_row_pairing(
        'avg = (orders["order_date"] - customers["signup_date"]).dt.days.mean()', _tables()
    )
    assert problem is not None
    assert problem.startswith("`orders['order_date']` and `customers['signup_date']` are columns")
    assert '`orders.merge(customers, on="customer_id")`' in problem


@pytest.mark.parametrize(
    "code",
    [
        # joined first: columns of one frame
        'j = orders.merge(customers, on="customer_id")\nd = j["order_date"] - j["signup_date"]',
        # not columns: attributes of the frames
        "ratio = orders.size / customers.size",
        # a frame the code binds itself, under a user's name
        'customers = orders.copy()\nd = orders["order_date"] - customers["order_date"]',
        # one side reduced to a number first
        'share = orders["order_id"] / customers["customer_id"].sum()',
        # names that are not the user's frames
        'd = a["x"] - b["y"]',
    ],
)
def test_what_the_row_pairing_check_leaves_alone(code: str) -> None:
    assert check_row_pairing(code, _tables()) is None


def test_frames_over_the_same_rows_may_be_combined() -> None:
    pd = pytest.importorskip("pandas")
    days = pd.date_range("2024-01-01", periods=3)
    prices = pd.DataFrame({"AAPL": [1.0, 2.0, 3.0]}, index=days)
    volumes = pd.DataFrame({"AAPL": [10, 20, 30]}, index=days)
    frames = {"prices": prices, "volumes": volumes}
    assert check_row_pairing('traded = prices["AAPL"] * volumes["AAPL"]', frames) is None
    shifted = {"prices": prices, "volumes": volumes.shift(freq="D")}
    assert check_row_pairing('traded = prices["AAPL"] * volumes["AAPL"]', shifted) is not None
