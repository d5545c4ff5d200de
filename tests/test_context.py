"""build_context at scale: bounded work and a whole, budget-sized text."""

from __future__ import annotations

import types

import numpy as np
import pandas as pd

from jupyter_codegen.kernel import context
from jupyter_codegen.kernel.context import build_context


def _namespace(n: int) -> dict[str, object]:
    frame = pd.DataFrame(np.zeros((10, 20)), columns=[f"col_{i}" for i in range(20)])
    ns: dict[str, object] = {"np": np, "pd": pd}
    for i in range(n):
        ns[f"v{i}"] = frame if i % 2 else i
    return ns


def test_many_variables_describe_a_bounded_number(monkeypatch):
    calls: list[str] = []
    real = context.describe_value

    def counting(name, value, sample_rows=True):
        calls.append(name)
        return real(name, value, sample_rows)

    monkeypatch.setattr(context, "describe_value", counting)
    ctx = build_context(_namespace(5000), budget=6000)
    assert len(ctx.variables) + len(ctx.omitted) == 5000
    # what fits, plus a few that did not: not one description per variable
    assert len(calls) <= len(ctx.variables) + context._MAX_MISSES + 1
    assert len(ctx.render()) <= 6000


def test_overflow_keeps_modules_functions_and_last_error(monkeypatch):
    ns = _namespace(2000)
    ns["helpers"] = types.ModuleType("helpers")
    functions = ["- def get_weather(city: str) -> dict  # Current weather for a city."]
    monkeypatch.setattr(context, "_last_error", lambda: "KeyError: 'x'")
    text = build_context(ns, functions=functions, budget=3000).render()
    assert len(text) <= 3000
    assert "[...truncated]" not in text
    assert "more variables not described" in text
    assert "Imported modules: np (numpy), pd (pandas), helpers" in text
    assert "def get_weather(city: str)" in text
    assert text.endswith("Last error in the kernel: KeyError: 'x'")


def test_long_names_do_not_crowd_out_the_rest():
    ns = {("x" * 300) + str(i): i for i in range(100)}
    text = build_context(ns, functions=["- def f()"], budget=1000).render()
    assert len(text) <= 1000 and text.endswith("- def f()")


def test_sample_rows_layout_dates_missing_values_and_secrets():
    frame = pd.DataFrame(
        {
            "day": pd.date_range("2024-01-01", periods=4, freq="D"),
            "who": ["Ann", "AIzaSyA1234567890abcdefghijklmnopqrstu", "Bo", "Cy"],
            "amount": [1.5, float("nan"), 3.0, 4.0],
            "n": [1, 2, 3, 4],
        }
    )
    text = context.describe_value("frame", frame)
    assert text.splitlines()[3:] == [
        "                day         who  amount  n",
        "      0  2024-01-01         Ann     1.5  1",
        "      1  2024-01-02  <redacted>     NaN  2",
        "      2  2024-01-03          Bo     3.0  3",
    ]


def test_listed_in_definition_order_so_the_text_grows_at_the_end():
    ns: dict[str, object] = {"first": 1, "sales": [1, 2, 3], "third": "x"}
    before = build_context(ns, prompt="sum `sales`").render()
    ns["total"] = 6
    after = build_context(ns, prompt="sum `sales`").render()
    assert [line.split(":")[0] for line in after.splitlines()[1:]] == [
        "- first",
        "- sales",
        "- third",
        "- total",
    ]
    assert after.startswith(before)


def test_named_variables_are_described_first_when_the_budget_is_short():
    ns = {f"v{i}": "x" * 50 for i in range(100)}
    ns["old"] = 1
    ns = {"old": 1, **{k: v for k, v in ns.items() if k != "old"}}
    ctx = build_context(ns, prompt="use `old`", budget=600)
    assert ctx.variables[0].name == "old" and "v0" in ctx.omitted


def test_our_own_tools_are_not_described_as_user_functions():
    from jupyter_codegen import register
    from jupyter_codegen.ui import render_a2ui

    def rate(currency: str) -> float:
        return 1.0

    text = build_context({"register": register, "render_a2ui": render_a2ui, "rate": rate}).render()
    assert "def rate(currency" in text
    assert "register" not in text and "render_a2ui" not in text


_STUBS = [
    'def fx_rate(currency: str) -> float:\n    """Exchange rate."""',
    'def shipping_cost(weight_kg: float, zone: str) -> float:\n    """Parcel price."""',
]


def _earlier_cells() -> dict[str, object]:
    def avg_days(signup: str) -> float:
        """An earlier cell's own function."""
        return 0.0

    return {"sales": pd.DataFrame({"revenue": [1.0, 2.0]}), "payment": 3.5, "avg_days": avg_days}


def test_a_focused_context_describes_only_what_the_prompt_names():
    ctx = build_context(
        _earlier_cells(), prompt="Plot `sales` revenue", functions=_STUBS, focused=True
    )
    assert [item.name for item in ctx.variables] == ["sales"]
    text = ctx.render()
    assert "2 more variables not described: avg_days, payment" in text
    assert "def fx_rate" not in text and "def shipping_cost" not in text
    assert "Other registered functions (the task does not name them): fx_rate, shipping_cost" in (
        text
    )
    whole = build_context(_earlier_cells(), prompt="Plot `sales` revenue", functions=_STUBS)
    assert {item.name for item in whole.variables} == {"sales", "payment", "avg_days"}
    assert "def fx_rate" in whole.render() and not whole.unnamed_functions


def test_a_focused_context_shows_the_stubs_the_prompt_names_in_words_or_code():
    for prompt in ("total in euros with `fx_rate('EUR')`", "price each parcel: its fx rate"):
        text = build_context(_earlier_cells(), prompt=prompt, functions=_STUBS, focused=True)
        assert "def fx_rate(currency: str)" in text.render()
        assert text.unnamed_functions == ["shipping_cost"]
    # nothing named: every variable, as for a large model
    ctx = build_context(_earlier_cells(), prompt="what is 2 + 2?", focused=True)
    assert {item.name for item in ctx.variables} == {"sales", "payment", "avg_days"}
