"""The intent checks: what a prompt's wording clearly asks the code to leave behind, and the
verdict on a namespace (core/intent.py). Through the magic: tests/test_engine.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jupyter_codegen.core.intent import Expected, Intent, intent_for, read_intent
from jupyter_codegen.core.intent_checks import (
    check_code,
    check_frame_writes,
    check_namespace,
    check_printed,
    check_values,
    checked_label,
)
from jupyter_codegen.kernel.candidates import kind_of

BOUND = {"sales", "prices", "fx_rate"}
COLUMNS = {"month", "region", "revenue"}


def names(prompt: str) -> list[tuple[str, str | None]]:
    intent = read_intent(prompt, BOUND, columns=COLUMNS, functions={"fx_rate"})
    return [(e.name, e.kind) for e in intent.names]


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        (
            "Store the number of months with revenue above 150 in `n_high` (an int).",
            [("n_high", "int")],
        ),
        ("Make a list called `top_regions` of the two best regions.", [("top_regions", "list")]),
        ("Compute monthly totals as a DataFrame named by_month.", [("by_month", "DataFrame")]),
        ("Save the sample standard deviation of revenue as `sd`, a float.", [("sd", "number")]),
        ("Store the growth as a percentage in `growth_pct`.", [("growth_pct", "number")]),
        ("Store the monthly payment in `payment` as a positive float.", [("payment", "number")]),
        ("store the count in X", [("X", None)]),
        ("Put the totals into a variable region_totals.", [("region_totals", None)]),
        ("Create `lookup`, a dict from region to total.", [("lookup", "dict")]),
        ("Count the orders per month, as a Series `per_month`.", [("per_month", "Series")]),
        ("Store a dict `totals_fx` mapping currency to amount.", [("totals_fx", "dict")]),
        (
            "Make a dict named `lookup` mapping region to total and a list called `names`.",
            [("lookup", "dict"), ("names", "list")],
        ),
        # A kind said far from the name is not its kind.
        (
            "Filter `sales` to a DataFrame of North rows and store its length in `n_north`.",
            [("n_north", None)],
        ),
    ],
)
def test_clear_wording_names_a_result(prompt: str, expected: list[tuple[str, str]]) -> None:
    assert names(prompt) == expected


@pytest.mark.parametrize(
    "prompt",
    [
        "Which region has the highest total revenue in `sales`? Print the region and its total.",
        "Print the average revenue per region in `sales`.",
        "Sum the revenue in `sales`, convert it with `fx_rate('EUR')`, and print it.",
        "Add a column `margin` to `sales` equal to revenue minus cost.",  # a column, not a result
        "Plot `revenue` by `month`.",  # columns
        "Store it in US dollars.",  # not a name
        "How many rows are in `sales`? Print a number of them.",
        "Keep the rows in `sales` above 100.",  # an input, already bound
        "Call `fx_rate` for each currency and print the results.",  # a registered function
        "Save the chart to `chart.png`.",  # a file
        "Create `sales` again from the CSV.",  # create of a bound name: not a new result
    ],
)
def test_no_result_is_read_without_clear_wording(prompt: str) -> None:
    assert names(prompt) == []


def test_a_bound_name_is_checked_only_for_a_kind_said_next_to_it() -> None:
    assert names("Store the cleaned rows in `sales`.") == []
    assert names("Store the totals in `prices` as a dict.") == [("prices", "dict")]


def test_namespace_verdicts_name_the_result_and_its_kind() -> None:
    intent = Intent(names=(Expected("n_high", "int"), Expected("top", "list")))
    assert check_namespace(intent, {"n_high": np.int64(3), "top": ["North"]}) is None
    missing = check_namespace(intent, {"count": 3, "top": ["North"]})
    assert missing == (
        "The task asks for `n_high`, an int; the code left it undefined. Bind the name the task "
        "gives, with the kind it asks."
    )
    wrong = check_namespace(intent, {"n_high": 3.5, "top": pd.DataFrame({"r": ["North"]})})
    assert wrong is not None
    assert "`n_high`, an int; the code made it a float" in wrong
    assert "`top`, a list; the code made it a DataFrame" in wrong
    span = check_namespace(
        Intent(names=(Expected("avg_days", "number"),)), {"avg_days": pd.Timedelta(days=3)}
    )
    assert span is not None and "(a time span: take its .days, or divide by" in span


def test_a_number_is_any_real_scalar_but_not_a_matrix_or_a_bool() -> None:
    intent = Intent(names=(Expected("r", "number"),))
    for good in (0.5, np.float64(0.5), 3, np.int32(3)):
        assert check_values(intent, {"r": kind_of(good)}) is None
    frame = pd.DataFrame([[1.0, 0.5], [0.5, 1.0]])
    for bad in (frame, True, pd.Series([0.5]), "0.5"):
        assert check_values(intent, {"r": kind_of(bad)}) is not None


def test_the_status_label_says_what_was_checked() -> None:
    intent = Intent(names=(Expected("n_high", "int"), Expected("top")), chart=True)
    assert checked_label(intent, {"n_high": 4, "top": ["a"]}) == "n_high (int), top (list), a chart"
    assert checked_label(Intent(), {}) == ""


def test_a_chart_prompt_needs_code_that_draws() -> None:
    intent = read_intent("Plot the total revenue per month as a bar chart.", BOUND)
    assert intent.chart
    assert check_code(intent, "print(sales.groupby('month').revenue.sum())") is not None
    for drawing in (
        "sales.plot.bar(x='month', y='revenue')",
        "import matplotlib.pyplot as plt\nplt.bar(x, y)",
        "fig, ax = plt.subplots()\nax.bar(x, y)",
    ):
        assert check_code(intent, drawing) is None
    assert check_code(read_intent("Print the total.", BOUND), "print(1)") is None


def test_writing_into_a_user_frame_is_rejected_unless_the_prompt_asks_for_a_change() -> None:
    plot = read_intent("Plot the total revenue per month from `sales`.", BOUND)
    for write in (
        'sales["month"] = pd.to_datetime(sales["month"])',
        "sales.loc[0, 'revenue'] = 0",
        "sales.revenue *= 2",
        "sales.sort_values('month', inplace=True)",
        "sales.insert(0, 'x', 1)",
    ):
        problem = check_frame_writes(plot, write, ["sales"])
        assert problem is not None and "`sales` in place" in problem, write
    for rebind in (
        # the quality set's seg_revenue: the user's `orders` replaced by the joined frame
        "sales = sales.join(regions.set_index('id'), on='id')",
        "sales = sales[sales['revenue'] > 0]",
        "sales = sales.copy()\nsales['m'] = 1",
        "sales += 1",
    ):
        problem = check_frame_writes(plot, rebind, ["sales", "by_month"])
        assert problem is not None and "replaces `sales` with new data" in problem, rebind
    for fine in (
        "df = sales.copy()\ndf['m'] = 1",
        "monthly = sales.groupby('month').revenue.sum()",
        "other = {}\nother['x'] = 1",
        # a result computed afresh under the name an earlier run left (a prompt run again)
        "by_month = sales.groupby('month').sum()\nby_month['share'] = 1",
        "def f(sales):\n    sales = sales.dropna()\n    return sales",  # not at the top level
    ):
        assert check_frame_writes(plot, fine, ["sales", "by_month"]) is None, fine
    asked = read_intent("Plot `sales`, then overwrite `sales` with its positive rows.", BOUND)
    assert check_frame_writes(asked, "sales = sales[sales.revenue > 0]", ["sales"]) is None
    typed = read_intent("Keep the rows of `sales` above 10 as a DataFrame `sales`.", BOUND)
    assert check_frame_writes(typed, "sales = sales[sales.revenue > 10]", ["sales"]) is None
    asked = read_intent("Add a column `margin` to `sales`.", BOUND)
    assert check_frame_writes(asked, 'sales["margin"] = 1', ["sales"]) is None


@pytest.mark.parametrize(
    "prompt",
    [
        # the quality set's rating_by_product: a first attempt lowercased the frame's column
        "Average rating per product in `sales`, counting names that differ only in case as "
        "the same product. Save it as a Series `r` indexed by the lowercase name.",
        "Make a copy of `sales` in which the names are all lowercase.",
        "For each status, count the orders in `sales` and add up their amounts.",
        "The percent change in revenue in `sales` from the first month to the last.",
        "By how many percent did the revenue in `sales` change between the first and last day?",
        "Sum the revenue in `sales`, convert that total from dollars to euros and print it.",
    ],
)
def test_change_words_that_ask_for_no_change_leave_the_frame_write_check_on(prompt) -> None:
    intent = read_intent(prompt, BOUND)
    assert not intent.may_change_frames
    assert check_frame_writes(intent, 'sales["name"] = sales["name"].str.lower()', ["sales"])


@pytest.mark.parametrize(
    "prompt",
    [
        "Lowercase the product names in `sales`.",
        "Make `product` lowercase in `sales`.",
        "Change the region names in `sales` to uppercase.",
        "Convert the `amount` column of `sales` to euros.",
        "Add up the amounts per region, then add the total to `sales`.",
        "Convert each row's revenue in `sales` to yen.",
    ],
)
def test_wording_that_asks_for_a_change_still_silences_it(prompt) -> None:
    assert read_intent(prompt, BOUND).may_change_frames


@pytest.mark.parametrize(
    ("prompt", "prints_number"),
    [
        ("Which region has the highest total revenue? Print the region and its total.", True),
        ("Print the total revenue per region in `sales`.", True),
        ("Print the average revenue per region.", True),
        ("print the number of rows with revenue above 150", True),
        ("Print the region with the highest total revenue.", False),  # the region is asked
        ("Print the names of the top three customers.", False),
        ("Show the total revenue per region.", False),  # "show" may be a chart or a table
        ("Sum the revenue and print it.", False),
    ],
)
def test_a_prompt_that_asks_to_print_a_quantity_needs_a_number_printed(
    prompt: str, prints_number: bool
) -> None:
    intent = read_intent(prompt)
    assert intent.prints_number is prints_number
    if prints_number:
        problem = check_printed(intent, "South South\n")
        assert problem is not None and "'South South' has none" in problem
        assert check_printed(intent, "South 1234.5\n") is None
        assert "a printed number" in checked_label(intent, {})
    else:
        assert check_printed(intent, "South South\n") is None


@pytest.mark.parametrize(
    ("prompt", "spread"),
    [
        ("What's the sample standard deviation of revenue? Store it in `sd`.", "sample"),
        ("sample variance of the ratings -> `v`", "sample"),
        ("z-scores of revenue using the sample standard deviation", "sample"),
        ("Treat the months as the whole population: the population std of revenue.", "population"),
        ("The standard deviation of revenue.", None),  # neither named: nothing to check
        ("The sample and population variance of revenue.", None),  # both: not one formula
        ("Take a sample of 10 rows and print their population variance.", None),
    ],
)
def test_the_prompt_names_a_sample_or_population_spread(prompt: str, spread: str | None) -> None:
    assert read_intent(prompt).spread == spread


def test_code_that_computes_the_other_spread_is_rejected_before_it_runs() -> None:
    sample = read_intent("Store the sample standard deviation of revenue in `sd`.", BOUND)
    for wrong in (
        'sd = np.std(sales["revenue"])',
        'sd = numpy.var(sales["revenue"].to_numpy())',
        'sd = sales["revenue"].std(ddof=0)',
        'sd = statistics.pstdev(sales["revenue"])',
        'from scipy.stats import zscore\nz = zscore(sales["revenue"])',
    ):
        problem = check_code(sample, wrong)
        assert problem is not None and "sample standard deviation" in problem, wrong
    for right in (
        'sd = sales["revenue"].std()',
        'sd = np.std(sales["revenue"], ddof=1)',
        'sd = statistics.stdev(sales["revenue"])',
        "sd = values.std()",  # an array or a Series: not told from the code, left alone
    ):
        assert check_code(sample, right) is None, right
    population = read_intent("Put the population standard deviation of revenue in `p`.", BOUND)
    for wrong in (
        'p = sales["revenue"].std()',
        'p = sales["revenue"].var(ddof=1)',
        'p = statistics.stdev(sales["revenue"])',
    ):
        problem = check_code(population, wrong)
        assert problem is not None and "population standard deviation" in problem, wrong
    for right in (
        'p = sales["revenue"].std(ddof=0)',
        'p = np.std(sales["revenue"])',
        'p = sales["revenue"].to_numpy().std()',
    ):
        assert check_code(population, right) is None, right
    unsaid = read_intent("Store the standard deviation of revenue in `sd`.", BOUND)
    assert check_code(unsaid, 'sd = np.std(sales["revenue"])') is None


_ORDERED = {
    "Make a list `ids` of the cancelled order ids, smallest first.": ("ascending", False),
    "Mean quantity per status as a Series `q`, highest first": ("descending", False),
    "a DataFrame `recent` of order_date and amount, newest first.": ("descending", True),
    "Store the names in `names`, in alphabetical order.": ("ascending", False),
    # two results, or both directions said: whose order is not clear
    "Store the ids in `a`, and store the names in `b`, smallest first.": (None, False),
    "Sort ascending or descending into `x`, as you like.": (None, False),
}


@pytest.mark.parametrize(("prompt", "order"), list(_ORDERED.items()))
def test_the_order_of_the_one_named_result_is_read(prompt: str, order: tuple) -> None:
    intent = read_intent(prompt)
    assert (intent.order, intent.order_by_date) == (order[0], order[1] and order[0] is not None)


def test_a_result_in_another_order_than_asked_goes_back() -> None:
    ids = read_intent("Make a list `ids` of the cancelled order ids, smallest first.")
    assert check_namespace(ids, {"ids": [1, 3, 3, 7]}) is None  # ties are in order
    problem = check_namespace(ids, {"ids": [7, 3, 1]})
    assert problem is not None and "`ids` in ascending order (smallest first)" in problem
    q = read_intent("Mean quantity per status as a Series `q`, highest first")
    assert check_namespace(q, {"q": pd.Series([5.6, 3.6, 3.5])}) is None
    assert check_namespace(q, {"q": pd.Series([3.5, 5.6, 3.6])}) is not None
    recent = read_intent("a DataFrame `recent` of order_date and amount, newest first.")
    dates = pd.to_datetime(["2024-03-01", "2024-02-01"])
    newest = pd.DataFrame({"order_date": dates, "amount": [1.0, 2.0]})
    assert check_namespace(recent, {"recent": newest}) is None
    oldest = pd.DataFrame({"order_date": dates[::-1], "amount": [2.0, 1.0]})  # amounts don't count
    problem = check_namespace(recent, {"recent": oldest})
    assert problem is not None and "(newest first)" in problem
    # what cannot be judged is not: a dict, mixed values, a frame without a number or a date
    unkinded = read_intent("Put the cancelled ids into `ids`, smallest first.")
    assert check_namespace(unkinded, {"ids": {"a": 2, "b": 1}}) is None
    assert check_namespace(unkinded, {"ids": [3, "a", 1]}) is None
    assert check_namespace(recent, {"recent": pd.DataFrame({"n": ["b", "a"]})}) is None
    assert checked_label(ids, {"ids": [1, 2]}) == "ids (list, ascending)"


def test_a_result_asked_with_the_index_of_a_frame_must_have_it() -> None:
    reviews = pd.DataFrame({"text": ["a b", "c d e", "a b"]}, index=[10, 11, 12])
    prompt = "Put the word counts in a Series `n` with the same index as `reviews`."
    intent = read_intent(prompt, bound=["reviews"])
    assert intent.same_index == "reviews"
    right = {"reviews": reviews, "n": reviews["text"].str.split().str.len()}
    assert check_namespace(intent, right) is None
    assert checked_label(intent, right) == "n (Series, index of reviews)"
    counted = {"reviews": reviews, "n": reviews["text"].str.split().str.len().value_counts()}
    problem = check_namespace(intent, counted)
    assert problem is not None and "same index as `reviews` (3 rows); it has 2 rows" in problem
    # a frame the user does not have, or a result that has no index: not judged
    assert read_intent(prompt).same_index is None
    assert (
        check_namespace(
            read_intent(prompt.replace("Series", "list"), bound=["reviews"]),
            {"reviews": reviews, "n": [2, 3, 2]},
        )
        is None
    )


def test_a_number_that_is_inf_or_nan_answers_nothing() -> None:
    intent = read_intent("What's the NPV at 8%? Store it in `npv` (a float).")
    assert check_namespace(intent, {"npv": 17933.6}) is None
    for bad in (float("inf"), np.float64("nan")):
        problem = check_namespace(intent, {"npv": bad})
        assert problem is not None and problem.startswith("The task asks for a number; `npv` is")
    assert check_namespace(read_intent("Store it in `x`."), {"x": float("nan")}) is None  # no kind


def test_each_variable_the_prompt_names_as_its_data_is_read_by_the_code() -> None:
    bound = ["orders", "customers", "sales"]
    prompt = (
        "How many different customers have placed at least one order in `orders`? "
        "Store the number in `n_buyers` (an int)."
    )
    intent = read_intent(prompt, bound, columns=["customer_id"], functions=["fx_rate"])
    assert intent.inputs == ("orders",)
    problem = check_code(intent, 'n_buyers = customers["customer_id"].nunique()')
    assert problem is not None
    assert problem.startswith("The task is about `orders`; the code never reads `orders`.")
    assert check_code(intent, 'n_buyers = int(orders["customer_id"].nunique())') is None
    join = read_intent(
        "Join `orders` to `customers` on customer_id and store the totals in `seg_revenue`.", bound
    )
    assert join.inputs == ("orders", "customers")
    problem = check_code(join, 'seg_revenue = orders.groupby("customer_id")["amount"].sum()')
    assert problem is not None and "never reads `customers`" in problem
    # Not inputs: a quoted column, a registered function, the result, a name nobody bound.
    other = read_intent(
        "Sum the column `amount` of `orders` with `fx_rate` into `total`; ignore `returns`.",
        bound,
        columns=["amount"],
        functions=["fx_rate"],
    )
    assert other.inputs == ("orders",)


def test_a_quoted_frame_is_that_frame_unless_a_frame_the_prompt_quotes_has_such_a_column() -> None:
    sales = pd.DataFrame({"month": [1, 2], "revenue": [5.0, 7.0]})
    stores = pd.DataFrame({"store": ["a", "b"], "sales": [3.0, 4.0]})
    scalar = {"region": "North", "by_region": pd.DataFrame({"region": ["N"], "n": [1]})}
    namespace = {"sales": sales, "stores": stores, **scalar}
    # Another frame's column of that name, in a frame the prompt does not quote: the frame.
    assert intent_for("Print the mean revenue of `sales`.", namespace).inputs == ("sales",)
    # The prompt quotes the frame that has the column: the column.
    column = intent_for("Plot `sales` per store from `stores`.", namespace)
    assert column.inputs == ("stores",)
    # A name bound to something else than a frame is a column if any frame has it.
    assert intent_for("Count the rows per `region`.", namespace).inputs == ()


def test_a_printed_idxmax_of_a_frame_numbered_0_to_n_is_a_row_number_not_the_answer() -> None:
    sales = pd.DataFrame(
        {"month": pd.date_range("2024-01-01", periods=4, freq="MS"), "revenue": [5, 2, 9, 1]}
    )
    by_month = sales.set_index("month")
    items = [("sales", sales), ("by_month", by_month)]
    intent = intent_for("Print the month with the lowest revenue in `sales`.", items)
    assert intent.row_numbered == ("sales",)
    wrong = [
        'print(sales["revenue"].idxmin())',
        'low = sales["revenue"].idxmin()\nprint(f"Lowest: {low}")',
        'print("month:", sales[sales.revenue > 0].revenue.idxmin())',
        # The label printed, the row read back only for the revenue in another print.
        'best = sales["revenue"].idxmax()\nprint("Month:", best)\n'
        'print("Revenue:", sales.loc[best, "revenue"])',
        # The row read back before the prints, but only the column the idxmax already knows
        # (the 1.5B's --answer step that printed "Highest revenue month: 16").
        'best = sales["revenue"].idxmax()\ntop = sales.loc[best, "revenue"]\n'
        'print("Month:", best)\nprint("Revenue:", top)',
    ]
    for code in wrong:
        problem = check_code(intent, code)
        assert problem is not None and "is a row number (`sales` has the plain 0..n-1" in problem
    right = [
        'print(sales.loc[sales["revenue"].idxmin(), "month"])',
        'low = sales["revenue"].idxmin()\nprint(sales.loc[low, "month"])',
        'print(sales.groupby("month")["revenue"].sum().idxmin())',  # labels are months
        'print(sales.set_index("month")["revenue"].idxmin())',
        'best = sales["revenue"].idxmin()\nprint(best, sales.loc[best, "month"])',
        'best = sales["revenue"].idxmin()\nrow = sales.loc[best]\nprint(best, row["month"])',
        # Read back both before and in a print: fetched all the same.
        'b = sales["revenue"].idxmin()\nm = sales.loc[b, "month"]\n'
        'print(b, m)\nprint(sales.loc[b, "revenue"])',
    ]
    for code in right:
        assert check_code(intent, code) is None, code
    # A frame with real labels, or a prompt that asks for the index, is left alone.
    labelled = intent_for("Print the month with the lowest revenue in `by_month`.", items)
    assert labelled.row_numbered == ()
    assert check_code(labelled, 'print(by_month["revenue"].idxmin())') is None
    asked = intent_for("Print the index of the lowest revenue in `sales`.", items)
    assert (
        asked.row_numbered == () and check_code(asked, 'print(sales["revenue"].idxmin())') is None
    )


def test_a_frame_the_code_never_read_is_described_with_the_column_it_shares() -> None:
    orders = pd.DataFrame({"order_id": [1], "customer_id": [7], "amount": [9.5]})
    customers = pd.DataFrame({"customer_id": [7], "segment": ["Retail"]})
    intent = intent_for(
        "Join `orders` to `customers` on customer_id and store the totals per segment in a "
        "Series `seg_revenue`.",
        [("orders", orders), ("customers", customers)],
    )
    problem = check_code(intent, 'seg_revenue = orders.groupby("customer_id")["amount"].sum()')
    assert problem is not None
    assert problem.endswith(
        "`customers` has columns customer_id, segment; it shares customer_id with `orders`. "
        "Join on it: orders.merge(customers, on='customer_id')."
    )


@pytest.mark.parametrize(
    ("prompt", "code", "fires"),
    [
        ("sample variance of the ratings in `reviews` -> `rating_var`", 'v = r["x"].std()', True),
        ("sample variance of the ratings -> `v`", 'v = r["x"].var()', False),
        ("sample variance of the ratings -> `v`", 'v = r["x"].std() ** 2', False),
        ("the population variance -> `v`", "v = statistics.pstdev(xs)", True),
        ("the standard deviation of revenue -> `sd`", 'sd = s["r"].var(ddof=0)', True),
        ("the standard deviation of revenue -> `sd`", 'sd = np.sqrt(s["r"].var())', False),
        ("the standard deviation of revenue -> `sd`", 'sd = s["r"].std()', False),
        # Both words: which one is meant is not clear.
        ("the variance and the standard deviation -> `v`, `sd`", "v = s.std()", False),
    ],
)
def test_the_variance_or_the_standard_deviation_the_prompt_names(
    prompt: str, code: str, fires: bool
) -> None:
    problem = check_code(read_intent(prompt, ["r", "s", "xs"]), code)
    assert (problem is not None and "the code computes the" in problem) is fires, problem


def test_a_frame_without_an_index_is_not_row_numbered() -> None:
    class DataFrame:  # as Spark's: the name, columns, and an index that raises
        columns = ["page", "hits"]

        @property
        def index(self) -> None:
            raise AttributeError("Attribute `index` is not supported.")

    intent = intent_for("Print the busiest page in `visits`.", [("visits", DataFrame())])
    assert intent.inputs == ("visits",) and intent.row_numbered == ()
    assert intent.input_columns == (("visits", ("page", "hits")),)


def test_an_id_read_through_loc_on_a_frame_numbered_0_to_n_picks_other_rows() -> None:
    customers = pd.DataFrame({"customer_id": [1, 2, 3, 4], "name": ["Ava", "Ben", "Cy", "Di"]})
    orders = pd.DataFrame({"order_id": [10, 11], "customer_id": [2, 4], "amount": [5.0, 7.0]})
    items = [("customers", customers), ("orders", orders)]
    intent = intent_for(
        "The orders in `orders` with the customer's name from `customers` next to each, in a "
        "DataFrame `named`.",
        items,
    )
    assert dict(intent.id_columns)["customers"] == ("customer_id",)
    wrong = [
        'named = orders.copy()\nnamed["name"] = named.apply('
        'lambda row: customers.loc[row["customer_id"], "name"], axis=1)',
        'named = orders.assign(name=customers.loc[orders["customer_id"], "name"].values)',
        'named = orders.assign(name=[customers.at[c.customer_id, "name"] for c in '
        "orders.itertuples()])",
    ]
    for code in wrong:
        problem = check_code(intent, code)
        assert problem is not None and "looks a row up by its number" in problem, code
        assert "merge on it (.merge(customers, on='customer_id'))" in problem
    right = [
        'named = orders.merge(customers, on="customer_id")',
        'by_id = customers.set_index("customer_id")\n'
        'named = orders.assign(name=by_id.loc[orders["customer_id"], "name"].values)',
        'customers = customers.set_index("customer_id")\n'
        'named = orders.assign(name=customers.loc[orders["customer_id"], "name"].values)',
        'named = orders.merge(customers.loc[customers["customer_id"] > 1], on="customer_id")',
        'named = orders.merge(customers, on="customer_id")\nprint(customers.loc[0, "name"])',
    ]
    for code in right:
        assert check_code(intent, code) is None, code


def test_a_column_that_counts_like_the_rows_is_no_id() -> None:
    # Ids 0..n-1 are the row numbers: a lookup by them is right (and a float column no id).
    frame = pd.DataFrame({"slot": [0, 1, 2], "price": [1.0, 2.0, 3.0], "pos": [5, 6, 7]})
    intent = intent_for("Prices per slot in `frame` as a Series `p`.", [("frame", frame)])
    assert dict(intent.id_columns)["frame"] == ("pos",)
    assert check_code(intent, 'p = frame.loc[frame["slot"], "price"]') is None


def test_an_id_lookup_in_a_frame_the_prompt_does_not_name_is_caught() -> None:
    # "with the customer's name": the 1.5B read `customers.loc[row["customer_id"]]` though
    # the prompt never quoted `customers`.
    customers = pd.DataFrame({"customer_id": [1, 2, 3, 4], "name": ["Ava", "Ben", "Cy", "Di"]})
    orders = pd.DataFrame({"order_id": [10, 11], "customer_id": [2, 4], "amount": [5.0, 7.0]})
    intent = intent_for(
        "The 2 newest orders with the customer's name next to each, as `recent`.",
        [("customers", customers), ("orders", orders)],
    )
    assert intent.inputs == ()
    code = (
        "recent = orders.head(2).copy()\n"
        'recent["name"] = recent.apply(lambda r: customers.loc[r["customer_id"], "name"], axis=1)'
    )
    problem = check_code(intent, code)
    assert problem is not None and "looks a row up by its number" in problem
    assert check_code(intent, 'recent = orders.head(2).merge(customers, on="customer_id")') is None


SALES = pd.DataFrame(
    {"region": ["North", "South", "East", "North"], "revenue": [1.0, 2.0, 3.0, 4.0]}
)


@pytest.mark.parametrize(
    ("prompt", "groups"),
    [
        ("Print the average revenue per region in `sales`.", ("East", "North", "South")),
        ("Print the total revenue by region for `sales`.", ("East", "North", "South")),
        ("Show the total revenue by region for `sales`.", None),  # a chart, table or widget
        ("Print the revenue per region in `sales` and plot it as a bar chart.", None),
        ("Print the mean revenue for each region in `sales`.", ("East", "North", "South")),
        ("Print the revenue per regions in `sales`.", ("East", "North", "South")),
        ("Print the average revenue per region.", None),  # no frame named
        ("Print the average revenue per month in `sales`.", None),  # not a column
        ("Print the revenue per region in `sales` for North.", None),  # one group asked
        ("Print the revenue in `sales` sorted by revenue.", None),  # a number column
    ],
)
def test_a_prompt_asking_for_a_value_per_group_needs_the_groups_printed(prompt, groups) -> None:
    intent = intent_for(prompt, [("sales", SALES)])
    assert (intent.per_group[1] if intent.per_group else None) == groups
    if groups is None:
        return
    problem = check_printed(intent, "1218.64\n")
    assert problem is not None and "a value per region, one for each of East" in problem
    assert "names none of them" in problem
    assert check_printed(intent, "North 2.5\n") is not None  # one group is not each
    table = "region\nEast     3.0\nNorth    2.5\nSouth    2.0\nName: revenue, dtype: float64"
    assert check_printed(intent, table) is None
    assert "one per region" in checked_label(intent, {})


@pytest.mark.parametrize(
    ("prompt", "groups"),
    [
        ("Each region's total revenue in `sales` as a Series `t`.", ("East", "North", "South")),
        (
            "The mean revenue for each region in `sales`, as a Series `m`.",
            ("East", "North", "South"),
        ),
        ("Total revenue per region in `sales` as a dict `d`.", ("East", "North", "South")),
        ("Total revenue per region in `sales` as a DataFrame `d`.", None),  # a table: not judged
        ("The revenue of `sales` sorted by region, as a Series `s`.", None),  # orders, not groups
        ("Each region's revenue in `sales` for North, as a Series `n`.", None),  # one group named
        ("Each month's revenue in `sales` as a Series `t`.", None),  # not a column
        ("Each region's total revenue as a Series `t`.", None),  # no frame quoted
    ],
)
def test_a_named_result_per_group_needs_an_entry_per_group(prompt, groups) -> None:
    intent = intent_for(prompt, [("sales", SALES)])
    assert (intent.result_groups[1] if intent.result_groups else None) == groups
    if groups is None:
        return
    name = intent.names[0].name
    grouped = SALES.groupby("region")["revenue"].sum()
    by_row = SALES[SALES["region"] == "North"]["revenue"] * 2.0
    right = grouped.to_dict() if intent.names[0].kind == "dict" else grouped
    wrong = by_row.to_dict() if intent.names[0].kind == "dict" else by_row
    problem = check_namespace(intent, {name: wrong})
    assert problem is not None and "one entry per region (East, North, South)" in problem
    assert "its labels are 0, 3" in problem
    assert check_namespace(intent, {name: right}) is None
    assert "one per region" in checked_label(intent, {name: right})


@pytest.mark.parametrize(
    ("prompt", "average"),
    [
        ("Average rating per product in `reviews`.", True),
        ("Print the mean amount in `orders`.", True),
        ("What does the status column mean?", False),
        ("Total revenue per region.", False),
    ],
)
def test_a_prompt_asking_for_an_average_needs_code_that_averages(prompt, average) -> None:
    intent = read_intent(prompt, BOUND)
    assert intent.average is average
    counts = 'r = reviews["product"].str.lower().value_counts()'
    if not average:
        assert check_code(intent, counts) is None
        return
    problem = check_code(intent, counts)
    assert problem is not None and "asks for an average; the code computes none" in problem
    for code in [
        'r = reviews.groupby("product")["rating"].mean()',
        'r = reviews["rating"].sum() / len(reviews)',
        'r = reviews.groupby("product").agg(rating=("rating", "mean"))',
        'r = reviews.pivot_table(index="product", values="rating")',
        "import numpy as np\nr = np.average([1, 2], weights=[1, 3])",
        "r = (",  # does not parse: left to the run
    ]:
        assert check_code(intent, code) is None, code


def test_a_dict_mapping_each_key_to_an_amount_holds_one_value_per_key() -> None:
    prompt = (
        "Convert the total order amount in `orders` into EUR and GBP with `fx_rate`. Store a "
        "dict `totals_fx` mapping each currency code to the converted amount."
    )
    intent = read_intent(prompt, BOUND | {"orders"}, functions={"fx_rate"})
    assert intent.dict_of_one and intent.names == (Expected("totals_fx", "dict"),)
    column = pd.Series([1.0, 2.0, 3.0], name="amount")
    problem = check_namespace(intent, {"totals_fx": {"EUR": column * 0.9, "GBP": column}})
    assert problem is not None
    assert "`totals_fx['EUR']` is a Series of 3 values" in problem
    assert check_namespace(intent, {"totals_fx": {"EUR": 5.4, "GBP": np.float64(6.0)}}) is None
    # A dict of lists asked as such is not judged.
    lists = read_intent("Store a dict `groups` mapping each region to its list of months.")
    assert not lists.dict_of_one
    assert check_namespace(lists, {"groups": {"N": [1, 2]}}) is None
