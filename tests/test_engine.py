"""The %%gemini engine on a real InteractiveShell with the scripted backend."""

from __future__ import annotations

import pytest

from jupyter_codegen.errors import (
    BackendError,
    CodeFailedError,
    NoCodeError,
    PolicyError,
    UsageError,
)
from jupyter_codegen.model.backends.scripted import ScriptedBackend, ScriptedReply
from jupyter_codegen.session import session_for


def backend(sh) -> ScriptedBackend:
    return session_for(sh).backends["scripted"]  # type: ignore[return-value]


def fence(code: str) -> str:
    return f"Here you go:\n```python\n{code}\n```\n"


def gemini(sh, prompt: str, line: str = ""):
    return sh.run_cell_magic("gemini", line, prompt)


def test_generates_and_runs_in_user_namespace(shell, capsys):
    shell.user_ns["prices"] = [3, 4, 5]
    backend(shell).push(fence("total = sum(prices)\nprint('total', total)"))
    gemini(shell, "sum `prices`")
    assert shell.user_ns["total"] == 12
    assert "total 12" in capsys.readouterr().out
    request = backend(shell).requests[0]
    assert "prices: list, len 3" in request.turns[0].parts[0].text  # context went along
    assert "sum `prices`" in request.turns[0].parts[0].text


@pytest.fixture
def inserted(shell, monkeypatch):
    calls: list[str] = []
    monkeypatch.setattr(shell, "set_next_input", lambda text, replace=False: calls.append(text))
    return calls


def test_set_next_input_once_per_fresh_generation(shell, inserted):
    backend(shell).push(fence("x = 1"))
    gemini(shell, "make x")
    assert inserted[-1] == "x = 1\n"
    inserted.clear()
    gemini(shell, "make x")  # pinned: runs, no second insertion
    assert inserted == []


def test_pinned_rerun_makes_no_model_call(shell):
    backend(shell).push(fence("counter = globals().get('counter', 0) + 1"))
    gemini(shell, "count")
    gemini(shell, "count")
    assert shell.user_ns["counter"] == 2
    assert len(backend(shell).requests) == 1


def test_regenerate_bypasses_pin(shell):
    backend(shell).push(fence("v = 1"), fence("v = 2"))
    gemini(shell, "make v")
    gemini(shell, "make v", "--regenerate")
    assert shell.user_ns["v"] == 2
    assert len(backend(shell).requests) == 2


def test_runtime_error_then_fix(shell, capsys):
    backend(shell).push(fence("y = undefined_name + 1"), fence("y = 41 + 1"))
    gemini(shell, "make y")
    assert shell.user_ns["y"] == 42
    out = capsys.readouterr().out
    assert "attempt 1 failed: NameError" in out
    repair = backend(shell).requests[1]
    assert repair.mode == "repair"
    assert "NameError" in repair.turns[-1].parts[0].text
    assert repair.turns[1].role == "model"  # the model sees its own previous code


def test_syntax_error_then_fix(shell):
    backend(shell).push(fence("z = (1 +"), fence("z = 3"))
    gemini(shell, "make z")
    assert shell.user_ns["z"] == 3
    assert "SyntaxError" in backend(shell).requests[1].turns[-1].parts[0].text


def test_fixes_exhausted_keeps_state(shell):
    shell.user_ns["keep"] = "me"
    backend(shell).push(*(fence("1/0") for _ in range(3)))
    with pytest.raises(CodeFailedError, match="still fails after 3 attempt"):
        gemini(shell, "divide")
    assert shell.user_ns["keep"] == "me"
    assert len(backend(shell).requests) == 3


def test_max_fixes_flag(shell):
    backend(shell).push(fence("1/0"))
    with pytest.raises(CodeFailedError, match="after 1 attempt"):
        gemini(shell, "divide", "--max-fixes 0")


def test_reply_without_code_runs_nothing(shell):
    backend(shell).push("I am not able to do that.")
    with pytest.raises(NoCodeError, match="without code"):
        gemini(shell, "something")
    assert session_for(shell).history.entries == []


def test_blocked_code_is_shown_not_run(shell, tmp_path):
    target = tmp_path / "precious"
    target.mkdir()
    backend(shell).push(fence(f"import shutil\nshutil.rmtree({str(target)!r})"))
    with pytest.raises(PolicyError, match="shutil.rmtree"):
        gemini(shell, "clean up")
    assert target.exists()


def test_literal_rebinding_goes_back_for_repair(shell):
    shell.user_ns["prices"] = [10, 20]
    backend(shell).push(fence("prices = [1, 2, 3]\nm = max(prices)"), fence("m = max(prices)"))
    gemini(shell, "max of prices")
    assert shell.user_ns["prices"] == [10, 20]
    assert shell.user_ns["m"] == 20
    assert "replaces your variable `prices`" in backend(shell).requests[1].turns[-1].parts[0].text


def test_a_missing_column_goes_back_with_the_columns_that_exist(shell):
    pd = pytest.importorskip("pandas")
    shell.user_ns["sales"] = pd.DataFrame({"region": ["N", "S"], "revenue": [1.0, 2.0]})
    backend(shell).push(
        fence("print(sales.groupby('region')['amount'].sum())"),
        fence("print(sales.groupby('region')['revenue'].sum())"),
    )
    gemini(shell, "total per region")
    fix_request = backend(shell).requests[1].turns[-1].parts[0].text
    assert "Hint: `sales` has the columns: region, revenue" in fix_request


def test_a_column_of_another_table_goes_back_with_the_join(shell):
    pd = pytest.importorskip("pandas")
    shell.user_ns["orders"] = pd.DataFrame({"customer_id": [1, 2], "amount": [5.0, 7.0]})
    shell.user_ns["customers"] = pd.DataFrame({"customer_id": [1, 2], "name": ["Ann", "Bo"]})
    backend(shell).push(
        fence("recent = orders[['name', 'amount']]"),
        fence("recent = orders.merge(customers, on='customer_id')[['name', 'amount']]"),
    )
    gemini(shell, "the amounts in `orders` with the customer's name, as `recent`")
    fix_request = backend(shell).requests[1].turns[-1].parts[0].text
    assert (
        "Hint: 'name' is a column of `customers`, not of `orders`: join them first, e.g. "
        "orders.merge(customers, on='customer_id')"
    ) in fix_request
    assert list(shell.user_ns["recent"]["name"]) == ["Ann", "Bo"]


def test_backend_error_is_one_line_and_state_intact(shell):
    shell.user_ns["a"] = 1
    backend(shell).push(ScriptedReply(error=BackendError("Gemini returned 500 three times.")))
    with pytest.raises(BackendError):
        gemini(shell, "x")
    assert shell.user_ns["a"] == 1


def test_interrupt_during_generation(shell):
    shell.user_ns["a"] = 1
    backend(shell).push(ScriptedReply(error=KeyboardInterrupt()))
    with pytest.raises(Exception, match="Interrupted"):
        gemini(shell, "x")
    assert shell.user_ns["a"] == 1


def test_empty_prompt_and_bad_flags(shell):
    with pytest.raises(UsageError, match="Empty prompt"):
        gemini(shell, "   \n ")
    with pytest.raises(UsageError, match="Valid flags"):
        gemini(shell, "x", "--bogus")
    with pytest.raises(UsageError, match="Unknown subcommand 'frobnicate'"):
        shell.run_line_magic("gemini", "frobnicate")
    with pytest.raises(UsageError, match="Unknown model 'gpt-9'"):
        gemini(shell, "x", "-m gpt-9")


def test_prompt_with_braces_dollars_and_backticks(shell):
    backend(shell).push(fence("s = '{}'"))
    gemini(shell, "make a dict {'a': 1} with $HOME and ```fences``` and {placeholder}")
    text = backend(shell).requests[0].turns[0].parts[0].text
    assert "{'a': 1} with $HOME and ```fences``` and {placeholder}" in text


def test_no_run_writes_cell_only(shell, inserted):
    backend(shell).push(fence("ran = True"))
    gemini(shell, "flag", "--no-run")
    assert "ran" not in shell.user_ns
    assert inserted[-1] == "ran = True\n"


def test_exactly_once_for_the_cell_straight_after(shell):
    backend(shell).push(fence("hits = globals().get('hits', 0) + 1"))
    gemini(shell, "count hits")
    shell.run_cell("hits = globals().get('hits', 0) + 1\n")  # the inserted cell, Run All
    assert shell.user_ns["hits"] == 1
    shell.run_cell("hits = globals().get('hits', 0) + 1\n")  # on its own: an ordinary cell
    assert shell.user_ns["hits"] == 2


def test_config_subcommand(shell, capsys):
    shell.run_line_magic("gemini", "config max_fixes=1")
    assert session_for(shell).config.max_fixes == 1
    assert capsys.readouterr().out == "max_fixes = 1\n"  # what changed, not every setting
    shell.run_line_magic("gemini", "config")
    listing = capsys.readouterr().out
    assert "max_fixes = 1\n" in listing and "timeout = " in listing
    with pytest.raises(UsageError, match="Unknown setting"):
        shell.run_line_magic("gemini", "config nope=1")
    with pytest.raises(UsageError, match="Bad value for max_fixes"):
        shell.run_line_magic("gemini", "config max_fixes=many")
    with pytest.raises(UsageError, match='No closing quotation in "model=\'gemini"'):
        shell.run_line_magic("gemini", "config model='gemini")


def test_history_and_context_subcommands(shell, capsys):
    shell.user_ns["sales_total"] = 5
    shell.user_ns["api_key"] = "AIzaSyA1234567890abcdefghijklmnopqrstu"
    shell.run_line_magic("gemini", "context")
    out = capsys.readouterr().out
    assert "sales_total: int = 5" in out
    assert "api_key" not in out and "AIza" not in out
    # A prompt as typed: an apostrophe is not an unclosed quote.
    shell.run_line_magic("gemini", "context what's `sales_total` doubled?")
    assert "sales_total: int = 5" in capsys.readouterr().out
    backend(shell).push(fence("q = 1"))
    gemini(shell, "make q")
    shell.run_line_magic("gemini", "history")
    assert "make q" in capsys.readouterr().out


def test_fix_explains_and_inserts_without_running(shell, inserted):
    shell.run_cell("total = sum([1, 2, 'x'])", store_history=True)
    backend(shell).push("The list mixes numbers and a string.\n```python\ntotal = sum([1, 2])\n```")
    assert shell.run_cell("%gemini fix", store_history=True).success
    assert "total" not in shell.user_ns  # offered, not run
    assert inserted[-1] == "total = sum([1, 2])\n"
    body = backend(shell).requests[0].turns[0].parts[0].text
    assert "sum([1, 2, 'x'])" in body and "TypeError" in body


def test_fix_without_error(shell):
    import sys

    sys.last_value = None
    with pytest.raises(UsageError, match="No error to fix"):
        shell.run_line_magic("gemini", "fix")


class PlacingFrontend:
    """Takes the code like JupyterLab's extension: runs it later via the placement's resume."""

    def __init__(self) -> None:
        self.placements: list = []

    def place(self, placement) -> bool:
        self.placements.append(placement)
        return self.placements[0].resume is not None and len(self.placements) == 1


def test_placed_code_resumes_with_repair_and_one_history_entry(shell):
    frontend = PlacingFrontend()
    session_for(shell).frontend = frontend  # type: ignore[assignment]
    backend(shell).push(fence("w = missing + 1"), fence("w = 1"))
    gemini(shell, "make w")
    assert "w" not in shell.user_ns  # the frontend runs it, in the generated cell
    frontend.placements[0].resume()
    assert shell.user_ns["w"] == 1
    assert frontend.placements[1].code == "w = 1\n"  # the fix went back as a replacement
    (entry,) = session_for(shell).history.entries
    assert (entry.status, entry.source, entry.attempts) == ("ok", "repaired", 2)


def test_no_run_placement_is_not_run(shell):
    frontend = PlacingFrontend()
    session_for(shell).frontend = frontend  # type: ignore[assignment]
    backend(shell).push(fence("nr = 1"))
    gemini(shell, "make nr", "--no-run")
    assert frontend.placements[0].run is False
    assert session_for(shell).history.entries[-1].status == "not run"


def test_embedded_model_repairs_start_afresh_without_the_failing_code(shell, monkeypatch):
    """A small model shown its failing code hands it back: its repairs are fresh attempts told
    how the last one failed (the kind of error and the hints), never the code or missing name."""
    pd = pytest.importorskip("pandas")
    from jupyter_codegen.model.backends.base import ModelRequest
    from jupyter_codegen.model.backends.scripted import LOCAL_LIKE
    from jupyter_codegen.model.compact import compact

    backend(shell).capabilities = LOCAL_LIKE
    shell.user_ns["sales"] = pd.DataFrame({"region": ["N", "S"], "revenue": [1.0, 2.0]})
    backend(shell).push(
        fence("print(sales.groupby('region')['amount'].sum())"),
        fence("print(sales.groupby('region')['revenue'].sum())"),
    )
    gemini(shell, "total per region", "--candidates 1")  # (sampling: tests/test_selection.py)
    retry = backend(shell).requests[1]
    # The small model's few-shot turns, then the fresh attempt: no turn with the failing code.
    examples = compact(ModelRequest(mode="repair", system="", turns=())).turns
    assert retry.mode == "repair" and retry.turns[:-1] == examples
    text = retry.turns[-1].parts[0].text
    assert "Task:\ntotal per region" in text
    assert "KeyError: a name that does not exist" in text
    assert "Hint: `sales` has the columns: region, revenue" in text
    assert "amount" not in text


@pytest.mark.parametrize(
    ("error", "summary"),
    [
        (
            "Traceback\n  File x\n    y\nKeyError: 'amount'\nHint: `s` has the columns: a",
            "KeyError: a name that does not exist\nHint: `s` has the columns: a",
        ),
        ("  File x\nZeroDivisionError: division by zero", "ZeroDivisionError: division by zero"),
        (
            "the code replaces your variable `s` with literal data",
            "the code replaces your variable `s` with literal data",
        ),
    ],
)
def test_failure_summary(error, summary):
    from jupyter_codegen.model.prompting import failure_summary

    assert failure_summary(error) == summary


def test_the_default_embedded_model_is_looked_up_until_found_then_once_a_session(
    shell, monkeypatch
):
    """``is_installed`` reads six packages' metadata (~3 ms): not on every prompt cell."""
    from jupyter_codegen.model.backends import gemini as gemini_backend
    from jupyter_codegen.model.backends import local

    session = session_for(shell)
    session.config.model = ""
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "JUPYTER_CODEGEN_MODEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(gemini_backend, "has_credentials", lambda: False)
    answers = iter([False, True])
    calls: list[int] = []

    def is_installed() -> bool:
        calls.append(1)
        return next(answers)

    monkeypatch.setattr(local, "is_installed", is_installed)
    with pytest.raises(BackendError, match="No model available"):
        session.choose_model()
    assert session.choose_model().model == "local"  # installed since: found
    assert session.choose_model().model == "local"
    assert len(calls) == 2


# --- intent checks (core/intent.py) through the loop ------------------------------------------


def test_a_result_under_another_name_goes_back_with_the_name_asked(shell, capsys):
    shell.user_ns["sales"] = __import__("pandas").DataFrame({"revenue": [120.0, 180.0, 160.0]})
    backend(shell).push(
        fence("count = int((sales['revenue'] > 150).sum())"),
        fence("n_high = int((sales['revenue'] > 150).sum())"),
    )
    gemini(shell, "Store the number of rows with revenue above 150 in `n_high` (an int).")
    assert shell.user_ns["n_high"] == 2
    out = capsys.readouterr().out
    assert "attempt 1 failed: The task asks for `n_high`, an int; the code left it undefined" in out
    assert "checked: n_high (int)" in out  # the status line says what was checked
    repair = backend(shell).requests[1].turns[-1].parts[0].text
    assert "`n_high`, an int; the code left it undefined" in repair


def test_a_matrix_where_one_number_was_asked_goes_back(shell, capsys):
    pd = __import__("pandas")
    shell.user_ns["df"] = pd.DataFrame({"a": [1.0, 2.0, 4.0], "b": [2.0, 4.1, 7.9]})
    backend(shell).push(fence("r = df.corr()"), fence("r = df['a'].corr(df['b'])"))
    gemini(shell, "Store the correlation of a and b in `r`, a number.")
    assert isinstance(shell.user_ns["r"], float)
    assert "the code made it a DataFrame" in capsys.readouterr().out


def test_code_writing_into_the_users_frame_is_sent_back_before_it_runs(shell, capsys):
    pd = __import__("pandas")
    sales = pd.DataFrame({"month": ["2024-01-01", "2024-02-01"], "revenue": [1.0, 2.0]})
    shell.user_ns["sales"] = sales
    backend(shell).push(
        fence("sales['month'] = pd.to_datetime(sales['month'])\nplt_data = sales.plot.bar()"),
        fence("import matplotlib\nmatplotlib.use('Agg')\nsales.plot.bar(x='month', y='revenue')"),
    )
    gemini(shell, "Plot the revenue per month from `sales` as a bar chart.")
    # Never ran: the frame is as it was.
    assert not pd.api.types.is_datetime64_any_dtype(shell.user_ns["sales"]["month"])
    assert "plt_data" not in shell.user_ns
    out = capsys.readouterr().out
    assert "The code changes `sales` in place" in out
    assert "checked: a chart" in out


def test_columns_of_two_tables_combined_without_a_join_go_back_before_running(shell, capsys):
    pd = __import__("pandas")
    shell.user_ns["orders"] = pd.DataFrame(
        {"customer_id": [2, 1, 2], "order_date": pd.to_datetime(["2024-03-01"] * 3)}
    )
    shell.user_ns["customers"] = pd.DataFrame(
        {"customer_id": [1, 2], "signup_date": pd.to_datetime(["2024-01-01", "2024-02-01"])}
    )
    backend(shell).push(
        fence('days = (orders["order_date"] - customers["signup_date"]).dt.days.mean()'),
        fence(
            'j = orders.merge(customers, on="customer_id")\n'
            'days = (j["order_date"] - j["signup_date"]).dt.days.mean()'
        ),
    )
    gemini(shell, "The average number of days from signup to order, in `days`.")
    # (unjoined, the pairs by row label gave (60 + 29) / 2 = 44.5 over two of the three orders)
    assert shell.user_ns["days"] == pytest.approx((29 + 60 + 29) / 3)
    out = capsys.readouterr().out
    assert "are columns of two different tables" in out
    repair = backend(shell).requests[1].turns[-1].parts[0].text
    assert 'orders.merge(customers, on="customer_id")' in repair


def test_failed_intent_checks_exhaust_the_fixes_like_any_failure(shell):
    backend(shell).push(fence("total = 3"), fence("total = 3"), fence("total = 3"))
    with pytest.raises(CodeFailedError, match="`answer_value`"):
        gemini(shell, "Save the answer as `answer_value`.")
    assert len(backend(shell).requests) == 3


def test_a_chart_function_defined_and_never_called_goes_back(shell, capsys):
    import matplotlib

    matplotlib.use("Agg")
    shell.user_ns["sales"] = __import__("pandas").DataFrame({"revenue": [1.0, 2.0]})
    backend(shell).push(
        fence(
            "import matplotlib.pyplot as plt\ndef plot():\n    plt.bar([0, 1], sales['revenue'])"
        ),
        fence("import matplotlib.pyplot as plt\nplt.bar([0, 1], sales['revenue'])"),
    )
    gemini(shell, "Plot the revenue from `sales` as a bar chart.")
    out = capsys.readouterr().out
    assert "the code ran but drew nothing" in out
    assert "checked: a chart" in out
    assert "drew nothing" in backend(shell).requests[1].turns[-1].parts[0].text
    __import__("matplotlib.pyplot").pyplot.close("all")


def test_a_printed_answer_without_the_number_asked_goes_back(shell, capsys):
    pd = __import__("pandas")
    shell.user_ns["sales"] = pd.DataFrame({"region": ["N", "S", "S"], "revenue": [5.0, 2.0, 4.0]})
    backend(shell).push(
        fence("t = sales.groupby('region')['revenue'].sum()\nprint(t.idxmax(), t.idxmax())"),
        fence("t = sales.groupby('region')['revenue'].sum()\nprint(t.idxmax(), t.max())"),
    )
    gemini(shell, "Which region has the highest total revenue? Print the region and its total.")
    out = capsys.readouterr().out
    assert "S 6.0" in out
    assert "the output 'S S' has none" in out
    assert "checked: a printed number" in out


def test_a_chart_drawn_wrong_goes_back_with_what_its_axes_show(shell, capsys, request):
    # The inline backend shows each figure and closes it: the check reads the Axes it showed.
    matplotlib = __import__("matplotlib")
    matplotlib.use("module://matplotlib_inline.backend_inline")
    request.addfinalizer(lambda: matplotlib.use("Agg"))
    pd = __import__("pandas")
    months = pd.date_range("2024-01-01", periods=24, freq="MS")
    shell.user_ns["sales"] = pd.DataFrame({"month": months, "revenue": range(24)})
    draw = "import matplotlib.pyplot as plt\nplt.bar({x}, sales['revenue'])\n{more}plt.show()"
    labels = "sales['month'].dt.strftime('%Y-%m')"
    backend(shell).push(
        fence(draw.format(x="sales['month']", more="")),
        fence(draw.format(x=labels, more="")),
        fence(draw.format(x=labels, more="plt.xticks(rotation=90)\n")),
    )
    gemini(shell, "Plot the total revenue per month from `sales` as a bar chart.")
    out = capsys.readouterr().out
    sent = [r.turns[-1].parts[0].text for r in backend(shell).requests[1:]]
    assert "3% as wide as the spacing" in sent[0]
    assert "24 x-axis labels overlap" in sent[1]
    assert "after 3 attempts" in out and "checked: a chart" in out
    assert not __import__("matplotlib.pyplot").pyplot.get_fignums()  # inline closed them


def test_a_repair_draws_on_a_fresh_figure_not_on_the_failed_attempts_axes(shell, capsys):
    # Agg keeps figures open and nothing calls plt.show(): the first attempt's vertical bars
    # would still be on the current Axes when the repaired plt.barh runs.
    plt = __import__("matplotlib.pyplot").pyplot
    plt.close("all")
    shell.user_ns["counts"] = {"shipped": 5, "pending": 3, "cancelled": 1}
    draw = "import matplotlib.pyplot as plt\nplt.{how}(list(counts), list(counts.values()))"
    backend(shell).push(fence(draw.format(how="bar")), fence(draw.format(how="barh")))
    gemini(shell, "Horizontal bar chart of `counts`.")
    out = capsys.readouterr().out
    sent = backend(shell).requests[1].turns[-1].parts[0].text
    assert "the chart draws them vertical" in sent
    assert "✓" in out and "checked: a chart" in out
    figures = [plt.figure(n) for n in plt.get_fignums()]
    assert len(figures) == 1  # the failed attempt's figure was closed
    (ax,) = figures[0].axes
    assert [c.orientation for c in ax.containers] == ["horizontal"]
    plt.close("all")
