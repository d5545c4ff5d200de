"""The chart checks read the Axes a run drew (core/chart_checks.py): each fires on a chart whose
picture is plainly wrong, and stays silent on the ordinary charts of right answers."""

from __future__ import annotations

import pytest

from jupyter_codegen.core.chart_checks import check_charts
from jupyter_codegen.core.intent import read_intent

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

MONTHLY = "Plot the total revenue per month from `sales` as a bar chart."
SALES = pd.DataFrame(
    {"month": pd.date_range("2024-01-01", periods=24, freq="MS"), "revenue": np.arange(24.0)}
)


def judged(prompt: str, draw) -> str | None:
    plt.close("all")
    draw()
    try:
        return check_charts(read_intent(prompt), [plt.gcf()])
    finally:
        plt.close("all")


def test_monthly_bars_a_day_wide_on_a_date_axis_go_back() -> None:
    problem = judged(MONTHLY, lambda: plt.bar(SALES["month"], SALES["revenue"]))
    assert problem is not None and "3% as wide as the spacing" in problem
    # The narrowest month (February, 28 days) sets the width that fits: 80 % of it.
    assert "Fix: add width=22.4 to the bar call, as in plt.bar(x, y, width=22.4)" in problem


def test_bars_wider_than_their_spacing_cover_each_other() -> None:
    # The 1.5B took the date axis' width (22.4 days) to month labels, one unit apart.
    labels = SALES["month"].dt.strftime("%Y-%m")
    problem = judged(MONTHLY, lambda: plt.bar(labels, SALES["revenue"], width=22.4))
    assert problem is not None
    assert "22.4 times as wide as the spacing" in problem and "width=0.8" in problem
    stacked = pd.DataFrame({"a": [1, 2], "b": [3, 4]}, index=["x", "y"])
    assert judged("Stacked bar chart of it.", lambda: stacked.plot.bar(stacked=True)) is None


def test_two_dozen_level_month_labels_overlap_and_rotated_ones_do_not() -> None:
    labels = SALES["month"].dt.strftime("%Y-%m")
    problem = judged(MONTHLY, lambda: plt.bar(labels, SALES["revenue"]))
    assert problem is not None and "24 x-axis labels overlap" in problem
    for rotation in (90, 45):

        def rotated(rotation=rotation) -> None:
            plt.bar(labels, SALES["revenue"])
            plt.xticks(rotation=rotation, ha="right")

        assert judged(MONTHLY, rotated) is None, rotation


@pytest.mark.parametrize(
    "draw",
    [
        lambda: plt.bar(SALES["month"], SALES["revenue"], width=20),
        lambda: plt.plot(SALES["month"], SALES["revenue"]),
        lambda: SALES.set_index("month")["revenue"].plot.bar(figsize=(12, 4)),
        lambda: SALES.plot(x="month", y="revenue"),
        lambda: plt.hist(np.linspace(0, 1, 500), bins=60),
        lambda: pd.DataFrame(np.ones((4, 6)), index=list("abcd")).plot.bar(),
        lambda: plt.bar(["East", "North", "South"], [1, 2, 3]),
        lambda: plt.bar([0, 1, 2], [1, 2, 3], width=1.0),
    ],
    ids=[
        "wide-date-bars",
        "date-line",
        "wide-figure",
        "pandas-dates",
        "hist",
        "grouped",
        "3-bars",
        "touching",
    ],
)
def test_ordinary_charts_pass(draw) -> None:
    assert judged(MONTHLY, draw) is None


def test_the_bars_lie_the_way_the_prompt_says() -> None:
    prompt = "Horizontal bar chart of the number of orders per status in `orders`."
    problem = judged(prompt, lambda: plt.bar(["a", "b", "c"], [1, 2, 3]))
    assert problem is not None and "asks for horizontal bars; the chart draws them vertical" in (
        problem
    )
    assert judged(prompt, lambda: plt.barh(["a", "b", "c"], [1, 2, 3])) is None
    # No way said: either is fine.
    assert judged(MONTHLY, lambda: plt.barh(["a", "b", "c"], [1, 2, 3])) is None


def test_only_a_chart_prompt_is_judged() -> None:
    draw = lambda: plt.bar(SALES["month"], SALES["revenue"])  # noqa: E731
    assert judged("Store the total revenue of `sales` in `total`.", draw) is None
