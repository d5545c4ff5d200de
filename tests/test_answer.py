"""%%gemini --answer: the compute-then-answer loop, on a real InteractiveShell.

The scripted backend drives the loop's cases; the real google-genai SDK against the local Gemini
REST server checks the multi-turn conversation (and --sandbox's executableCode parts) on the wire.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from gemini_server import GeminiTestServer, executable_code, rules_responder, text
from shells import fresh_cache

from jupyter_codegen.errors import PolicyError, UsageError
from jupyter_codegen.model.backends.base import TextPart
from jupyter_codegen.model.backends.scripted import LOCAL_LIKE, ScriptedBackend
from jupyter_codegen.modes.answer import (
    ANSWER_RULE,
    FINAL_MARK,
    NoAnswerError,
    Observation,
    Step,
    combine,
    flag_unsupported,
    parse_move,
    split_cell,
    unsupported_figures,
)
from jupyter_codegen.notebook.frontend import (
    METADATA_KEY,
    MIME_TYPE,
    LinkedCell,
    Placement,
    code_hash,
)
from jupyter_codegen.notebook.pins import prompt_hash
from jupyter_codegen.notebook.runner import run_notebook
from jupyter_codegen.session import session_for

GEMINI = "gemini-3.8-flash"
NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def backend(sh) -> ScriptedBackend:
    return session_for(sh).backends["scripted"]  # type: ignore[return-value]


def step(code: str, note: str = "Computing.") -> str:
    return f"{note}\n```python\n{code}\n```\n"


def final(answer: str) -> str:
    return f"{FINAL_MARK}\n{answer}\n"


def answer(sh, prompt: str, line: str = ""):
    return sh.run_cell_magic("gemini", f"--answer {line}".strip(), prompt)


def turn_text(turn) -> str:
    return "".join(p.text for p in turn.parts if isinstance(p, TextPart))


def told_after_step_one(sh, prompt: str, *replies: str) -> str:
    """Answer ``prompt`` on ``replies``; what the model was told after the first step."""
    backend(sh).push(*replies)
    answer(sh, prompt)
    return turn_text(backend(sh).requests[1].turns[-1])


@pytest.fixture
def inserted(shell, monkeypatch):
    calls: list[str] = []
    monkeypatch.setattr(shell, "set_next_input", lambda text, replace=False: calls.append(text))
    return calls


# --- the loop --------------------------------------------------------------------------------


def test_multi_step_then_answer(shell, capsys, inserted):
    shell.user_ns["loan"] = 200_000
    backend(shell).push(
        step("rate = 0.04 / 12\nn = 20 * 12\nprint('monthly rate', rate, 'months', n)"),
        step(
            "payment = loan * rate / (1 - (1 + rate) ** -n)\nprint('payment', round(payment, 2))",
            "Now the annuity formula.",
        ),
        final("The monthly payment is **1,211.96** per month, $P = \\frac{rL}{1-(1+r)^{-n}}$."),
    )
    answer(shell, "What monthly payment repays `loan` at 4% over 20 years?")
    out = capsys.readouterr().out
    # Step outputs reach the cell as for any cell, and the model saw them.
    assert "payment 1211.96" in out
    assert "1,211.96" in out and "⚠" not in out
    # Step variables land in the user's namespace.
    assert round(shell.user_ns["payment"], 2) == 1211.96
    requests = backend(shell).requests
    assert [r.mode for r in requests] == ["answer"] * 3
    assert "payment 1211.96" in turn_text(requests[2].turns[-1])
    assert requests[2].turns[-2].role == "model"  # the model sees its own step
    assert "monthly rate" in turn_text(requests[1].turns[-1])
    assert "loan: int = 200000" in turn_text(requests[0].turns[0])
    assert FINAL_MARK in requests[0].system
    # One combined generated cell: both steps, then the answer as comments.
    cell = inserted[-1]
    assert cell.index("rate = 0.04 / 12") < cell.index("payment = loan")
    assert "# Step 2: Now the annuity formula." in cell
    assert f"{ANSWER_RULE} (scripted)" in cell and "# The monthly payment is **1,211.96**" in cell
    entry = session_for(shell).history.entries[-1]
    assert (entry.mode, entry.status, entry.attempts) == ("answer", "ok", 2)


def test_error_then_recovery(shell, capsys, inserted):
    shell.user_ns["prices"] = [3.5, 4.0, 2.5]
    backend(shell).push(
        step("avg = sum(prices) / len(price)"),
        step("avg = sum(prices) / len(prices)\nprint('average', avg)"),
        final("The average price is 3.33."),
    )
    outcome = answer(shell, "Average of `prices`?")
    out = capsys.readouterr().out
    assert "✗ step 1 failed: NameError" in out
    follow = turn_text(backend(shell).requests[1].turns[-1])
    assert "Step 1 failed" in follow and "NameError" in follow and "len(price)" in follow
    assert "were not kept" in follow
    assert outcome is None  # the magic returns nothing
    cell = inserted[-1]
    assert "len(price)" not in cell  # only clean steps are kept
    assert cell.startswith("# Step 1: Computing.\navg = sum(prices) / len(prices)")
    assert "3.33" in out and "⚠" not in out  # 3.333... rounds to the answer's 3.33


def test_max_steps_reached_then_answer_without_code(shell, capsys):
    backend(shell).push(
        step("a = 1\nprint(a * 11)"),
        step("b = 2\nprint(b * 11)"),
        final("a·11 = 11 and b·11 = 22."),
    )
    answer(shell, "Compute two things.", "--max-steps 2")
    requests = backend(shell).requests
    assert len(requests) == 3
    last = turn_text(requests[2].turns[-1])
    assert "No steps left" in last and "No code" in last
    assert "More" not in last
    assert "at most 2 steps" in requests[0].system
    assert "a·11 = 11 and b·11 = 22." in capsys.readouterr().out
    assert shell.user_ns["b"] == 2


def test_code_after_the_last_step_is_not_run_and_no_answer_raises(shell, inserted):
    backend(shell).push(step("x = 1\nprint(x)"), step("ran_too_many = True"))
    with pytest.raises(NoAnswerError, match="no final answer after 1 step"):
        answer(shell, "Something.", "--max-steps 1")
    assert "ran_too_many" not in shell.user_ns
    assert shell.user_ns["x"] == 1  # what ran stays
    assert inserted == []  # nothing pinned or inserted without an answer
    assert session_for(shell).history.entries[-1].status == "no answer"


def test_empty_reply_is_no_final_answer(shell):
    backend(shell).push(step("y = 2\nprint(y)"), "")
    with pytest.raises(NoAnswerError, match="gave no final answer after 1 step"):
        answer(shell, "Something else.")


def test_unsupported_number_is_flagged(shell, capsys):
    shell.user_ns["sales"] = [120, 80, 100]
    backend(shell).push(
        step("total = sum(sales)\nprint('total', total)"),
        final("Total sales are 300, up 12.7% on last year."),
    )
    outcome_out = answer(shell, "Total `sales`?")
    assert outcome_out is None
    out = capsys.readouterr().out
    assert "12.7%⚠" in out
    # A figure no step showed is no ✓.
    assert "⚠ scripted · answered after 1 step(s) · 1 figure(s) in no step's output" in out
    assert "Not found in any step's output: 12.7%" in out
    assert "300⚠" not in out


def test_answer_without_marker_and_local_style_prompts(shell, capsys):
    backend(shell).capabilities = LOCAL_LIKE
    backend(shell).push(
        "```python\nprint('rows:', 3)\n```",
        "The table has 3 rows.",
    )
    answer(shell, "How many rows?")
    requests = backend(shell).requests
    assert "prints the numbers the answer needs" in turn_text(requests[0].turns[-1])
    assert "one or two sentences" in turn_text(requests[1].turns[-1])
    assert "rows: 3" in turn_text(requests[1].turns[-1])
    assert "The table has 3 rows." in capsys.readouterr().out


def test_a_small_model_starts_afresh_after_a_failed_step_told_why_not_shown_its_code(shell):
    backend(shell).capabilities = LOCAL_LIKE
    shell.user_ns["orders"] = pd.DataFrame({"customer_id": [1, 2], "amount": [5.0, 7.0]})
    backend(shell).push(
        "```python\nprint(orders['segment'].nunique())\n```",
        "```python\nprint('total:', orders['amount'].sum())\n```",
        "The total is 12.0.",
    )
    answer(shell, "What is the total amount in `orders`?")
    first, retry, last = backend(shell).requests
    sent = turn_text(retry.turns[-1])
    # One user turn after the few-shot ones: the question, why it failed, the columns.
    assert len(retry.turns) == len(first.turns)
    assert "An earlier attempt failed:" in sent and "KeyError" in sent
    assert "Hint: `orders` has the columns: customer_id, amount" in sent
    assert "orders['segment']" not in sent
    # After a step that ran, the conversation goes on as before.
    assert "total: 12.0" in turn_text(last.turns[-1])


def test_a_failed_step_of_any_model_gets_the_error_hints(shell):
    shell.user_ns["orders"] = pd.DataFrame({"customer_id": [1, 2], "amount": [5.0, 7.0]})
    sent = told_after_step_one(
        shell,
        "What is the total amount in `orders`?",
        step("print(orders['segment'].nunique())"),
        step("print(orders['amount'].sum())"),
        final("12.0"),
    )
    assert "Hint: `orders` has the columns: customer_id, amount" in sent


def test_a_failed_step_that_never_read_a_frame_the_prompt_names_is_told_the_join(shell):
    # The 1.5B asked `orders` for a segment column three times over; the segment is in
    # `customers`, which the prompt names and the step never read.
    shell.user_ns["orders"] = pd.DataFrame({"customer_id": [1, 2], "amount": [5.0, 7.0]})
    shell.user_ns["customers"] = pd.DataFrame({"customer_id": [1, 2], "segment": ["A", "B"]})
    sent = told_after_step_one(
        shell,
        "Average amount in `orders` for segment A (see `customers`)?",
        step('print(orders[orders["segment"] == "A"]["amount"].mean())'),
        step(
            'j = orders.merge(customers, on="customer_id")\n'
            'print(j[j.segment == "A"].amount.mean())'
        ),
        final("5.0"),
    )
    assert "the code never reads `customers`" in sent
    assert "Join on it: orders.merge(customers, on='customer_id')" in sent


def test_a_step_counting_a_monthly_loan_in_years_is_sent_back_not_run(shell):
    sent = told_after_step_one(
        shell,
        "What monthly payment repays a 20,000 loan at 5% a year over 4 years?",
        step("r = 0.05 / 12\npayment = 20000 * r / (1 - (1 + r) ** -4)\nprint(payment)"),
        step("r, n = 0.05 / 12, 4 * 12\npayment = 20000 * r / (1 - (1 + r) ** -n)\nprint(payment)"),
        final("About 460.59 a month."),
    )
    assert "Not run: The code makes the rate monthly (/ 12)" in sent
    assert "n = 4 * 12 = 48 monthly payments" in sent
    assert round(shell.user_ns["payment"], 2) == 460.59


def test_a_step_pairing_two_tables_by_row_label_is_sent_back_not_run(shell):
    import pandas as pd

    shell.user_ns["orders"] = pd.DataFrame({"customer_id": [2, 2, 1], "amount": [5.0, 7.0, 1.0]})
    shell.user_ns["customers"] = pd.DataFrame({"customer_id": [1, 2], "discount": [0.5, 0.1]})
    sent = told_after_step_one(
        shell,
        "What do the orders in `orders` add up to after each customer's discount in `customers`?",
        step('net = (orders["amount"] * (1 - customers["discount"])).sum()\nprint(net)'),
        step(
            'j = orders.merge(customers, on="customer_id")\n'
            'net = (j["amount"] * (1 - j["discount"])).sum()\nprint(net)'
        ),
        final("11.3."),
    )
    assert "Not run: `orders['amount']` and `customers['discount']` are columns" in sent
    assert shell.user_ns["net"] == pytest.approx(5 * 0.9 + 7 * 0.9 + 1 * 0.5)


def test_an_answer_no_step_computed_is_no_tick(shell, capsys):
    backend(shell).push(step("print(undefined_name)"), step("print(undefined_name)"), final("4."))
    answer(shell, "What is 2 + 2?", "--max-steps 2")
    out = capsys.readouterr().out
    assert "⚠ No step ran cleanly" in out
    assert "⚠ scripted · answered after 2 step(s) · no step computed it" in out


def test_local_step_budget_is_shorter(shell):
    backend(shell).capabilities = LOCAL_LIKE
    backend(shell).push(*(step(f"v{i} = {i}") for i in range(4)))
    with pytest.raises(NoAnswerError, match="after 3 step"):
        answer(shell, "Loop forever.")
    assert "v3" not in shell.user_ns


def test_observation_is_bounded_and_redacted(shell):
    backend(shell).push(
        step("print('x' * 10000)\nprint('key AIzaSyA1234567890abcdefghijklmnopqrstu')"),
        final("Done."),
    )
    answer(shell, "Print a lot.")
    sent = turn_text(backend(shell).requests[1].turns[-1])
    assert len(sent) < 3500
    assert "characters left out" in sent
    assert "AIza" not in sent and "<redacted>" in sent


def test_displayed_values_and_last_expression_are_observed(shell, capsys):
    backend(shell).push(
        step("from IPython.display import display\ndisplay({'shown': 41})\n6 * 7"),
        final("It is 42."),
    )
    answer(shell, "Six times seven?")
    sent = turn_text(backend(shell).requests[1].turns[-1])
    assert "{'shown': 41}" in sent
    assert "Value of the last expression:\n42" in sent
    assert sent.count("{'shown': 41}") == 1  # recorded once, not once per display path
    assert "42" in capsys.readouterr().out


def test_answer_without_any_step_says_it_is_not_computed(shell, capsys):
    backend(shell).push(final("It is probably 42."))
    answer(shell, "Guess.")
    out = capsys.readouterr().out
    assert "this answer is not computed" in out and "42⚠" in out


def test_step_over_the_time_limit_is_an_observation(shell):
    backend(shell).push(step("while True:\n    pass"), step("print('quick', 5 * 5)"), final("25."))
    answer(shell, "Spin.", "--timeout 0.1")
    sent = turn_text(backend(shell).requests[1].turns[-1])
    assert "Step 1 failed" in sent and "time limit" in sent
    assert len(backend(shell).requests) == 3


def test_interrupted_step_stops_the_loop(shell):
    shell.user_ns["keep"] = 1
    backend(shell).push(step("partial = 1\nraise KeyboardInterrupt"), final("never"))
    with pytest.raises(Exception, match="Interrupted: step 1 was stopped"):
        answer(shell, "Stop me.")
    assert "partial" not in shell.user_ns and shell.user_ns["keep"] == 1  # rolled back
    assert len(backend(shell).requests) == 1


def test_quiet_hides_steps_not_the_answer(shell, capsys):
    backend(shell).push(step("print('seven', 7 * 1)"), final("Seven: 7."))
    answer(shell, "Seven?", "--quiet")
    out = capsys.readouterr().out
    assert "Step 1" not in out and "seven 7" in out and "Seven: 7." in out


def test_blocked_step_is_not_run(shell, tmp_path):
    target = tmp_path / "keep"
    target.mkdir()
    backend(shell).push(step(f"import shutil\nshutil.rmtree({str(target)!r})"))
    with pytest.raises(PolicyError, match="step 1 was not run"):
        answer(shell, "Clean up.")
    assert target.exists()


def test_literal_rebinding_is_sent_back_not_run(shell):
    shell.user_ns["prices"] = [10, 20]
    backend(shell).push(
        step("prices = [1, 2, 3]\nprint(max(prices))"),
        step("print('max', max(prices))"),
        final("The maximum price is 20."),
    )
    answer(shell, "Max of `prices`?")
    assert shell.user_ns["prices"] == [10, 20]
    assert "replaces your variable `prices`" in turn_text(backend(shell).requests[1].turns[-1])


def test_a_step_printing_a_row_number_as_the_answer_is_sent_back_not_run(shell, capsys):
    import pandas as pd

    months = pd.date_range("2024-01-01", periods=3, freq="MS")
    shell.user_ns["sales"] = pd.DataFrame({"month": months, "revenue": [5.0, 9.0, 2.0]})
    backend(shell).push(
        step('best = sales["revenue"].idxmax()\nprint("Best month:", best)'),
        step('best = sales.loc[sales["revenue"].idxmax()]\nprint(best["month"], best["revenue"])'),
        final("February 2024, with 9.0."),
    )
    answer(shell, "Which month had the highest revenue in `sales`, and how much was it?")
    sent = turn_text(backend(shell).requests[1].turns[-1])
    assert "Not run: `sales['revenue'].idxmax()` is a row number" in sent
    assert "Best month: 1" not in capsys.readouterr().out  # the first step never ran
    assert "best" in shell.user_ns and shell.user_ns["best"]["revenue"] == 9.0


def test_step_needing_confirmation_is_not_run(shell, tmp_path):
    target = tmp_path / "out.txt"
    backend(shell).push(
        step(f"open({str(target)!r}, 'w').write('x')\nprint('wrote')"),
        step("print('in memory', 2 * 21)"),
        final("42, computed without writing a file."),
    )
    answer(shell, "Write and compute.")
    assert not target.exists()
    sent = turn_text(backend(shell).requests[1].turns[-1])
    assert "Not run: Needs your confirmation" in sent


# --- pinning ---------------------------------------------------------------------------------


def test_pinned_replay_makes_no_model_call(shell, capsys, inserted):
    shell.user_ns["nums"] = [1, 2, 3, 4]
    backend(shell).push(
        step("total = sum(nums)\nprint('total', total)"),
        final("The total is 10, over 4 numbers; the mean is 2.5."),
    )
    answer(shell, "Total and mean of `nums`?")
    capsys.readouterr()
    inserted.clear()
    shell.user_ns.pop("total")
    answer(shell, "Total and mean of `nums`?")
    out = capsys.readouterr().out
    assert len(backend(shell).requests) == 2  # none for the replay
    assert shell.user_ns["total"] == 10  # the pinned code ran again
    assert "total 10" in out and "The total is 10" in out and "pinned answer" in out
    assert inserted == []  # no second insertion
    # The mean was never printed: still flagged on replay.
    assert "2.5⚠" in out
    assert session_for(shell).history.entries[-1].source == "pinned"


def test_pinned_replay_flags_numbers_that_changed(shell, capsys):
    shell.user_ns["nums"] = [1, 2, 3, 4]
    backend(shell).push(step("print('total', sum(nums))"), final("The total is 10."))
    answer(shell, "Total of `nums`?")
    shell.user_ns["nums"] = [5, 6]
    capsys.readouterr()
    answer(shell, "Total of `nums`?")
    out = capsys.readouterr().out
    assert "total 11" in out
    assert "10⚠" in out and "the data may have changed" in out


def test_regenerate_asks_again(shell):
    backend(shell).push(step("print(1)"), final("One: 1."), step("print(2)"), final("Two: 2."))
    answer(shell, "Pick.")
    answer(shell, "Pick.", "--regenerate")
    assert len(backend(shell).requests) == 4


def test_pinned_code_failing_today_goes_back_to_the_model(shell, capsys):
    shell.user_ns["data"] = {"a": 1}
    backend(shell).push(step("print('a is', data['a'])"), final("a is 1."))
    answer(shell, "What is a in `data`?")
    shell.user_ns["data"] = {"A": 1}
    backend(shell).push(step("print('A is', data['A'])"), final("A is 1."))
    answer(shell, "What is a in `data`?")
    out = capsys.readouterr().out
    assert "pinned code fails on today's data: KeyError" in out
    repair = backend(shell).requests[2]
    assert "data['a']" in turn_text(repair.turns[1])  # the pinned code, as the model's step
    assert "KeyError" in turn_text(repair.turns[2])
    assert session_for(shell).history.entries[-1].source == "repaired"


def test_edited_linked_cell_is_the_pinned_answer(shell, capsys):
    session = session_for(shell)
    edited = "n = 6 * 7\nprint('n', n)\n" + f"{ANSWER_RULE} (me) ----\n# n is 42.\n"
    session.link.hint("p1", LinkedCell("p1", "g1", edited, edited=True), is_next=True)
    answer(shell, "Anything.")
    out = capsys.readouterr().out
    assert "n 42" in out and "n is 42." in out and "⚠" not in out
    assert backend(shell).requests == []


def test_linked_cell_for_another_prompt_is_not_used(shell):
    session = session_for(shell)
    cell = f"print(1)\n{ANSWER_RULE} ----\n# 1.\n"
    old_hash = prompt_hash("Old prompt.", "answer")
    session.link.hint("p1", LinkedCell("p1", "g1", cell, prompt_hash=old_hash), is_next=True)
    backend(shell).push(step("print(2)"), final("Two: 2."))
    answer(shell, "New prompt.")
    assert len(backend(shell).requests) == 2


class RecordingFrontend:
    """A frontend that takes every placement (as the JupyterLab extension does)."""

    def __init__(self) -> None:
        self.placed: list[Placement] = []

    def place(self, placement: Placement) -> bool:
        self.placed.append(placement)
        return True


def test_frontend_writes_the_combined_cell_without_running_it(shell):
    session = session_for(shell)
    session.frontend = frontend = RecordingFrontend()
    stale = LinkedCell("p1", "g1", "print(0)\n", prompt_hash="another prompt")
    session.link.hint("p1", stale, is_next=True)
    backend(shell).push(
        step("runs = globals().get('runs', 0) + 1\nprint('n', 6 * 7)"), final("n is 42.")
    )
    answer(shell, "What is n?")
    (placement,) = frontend.placed
    assert placement.run is False  # the steps already ran under the prompt cell
    assert (placement.prompt_cell_id, placement.update_cell_id) == ("p1", "g1")
    assert placement.meta.mode == "answer" and placement.meta.attempts == 1
    assert placement.meta.code_hash == code_hash(placement.code)
    assert "print('n', 6 * 7)" in placement.code and "# n is 42." in placement.code
    # Run All reaches the generated cell straight after: it does not run a second time.
    shell.run_cell(placement.code)
    assert shell.user_ns["runs"] == 1


def test_runner_regenerate_hint_asks_the_model_again(shell):
    session = session_for(shell)
    cell = f"print(1)\n{ANSWER_RULE} ----\n# 1.\n"
    linked = LinkedCell("p1", "g1", cell, prompt_hash=prompt_hash("Pick.", "answer"))
    session.link.hint("p1", linked, is_next=True, regenerate=True)
    backend(shell).push(step("print(2)"), final("Two: 2."))
    answer(shell, "Pick.")
    assert len(backend(shell).requests) == 2


# --- flags -----------------------------------------------------------------------------------


def test_sandbox_is_rejected_for_other_backends(shell):
    with pytest.raises(UsageError, match="--sandbox uses Gemini's code execution") as info:
        answer(shell, "Anything.", "--sandbox")
    assert "\n" not in str(info.value)
    assert backend(shell).requests == []


def test_bad_flag_combinations(shell):
    with pytest.raises(UsageError, match="--max-steps must be 1 or more"):
        answer(shell, "x", "--max-steps 0")
    with pytest.raises(UsageError, match="drop --no-run"):
        answer(shell, "x", "--no-run")
    with pytest.raises(UsageError, match="drop --confirm"):
        answer(shell, "x", "--confirm")
    with pytest.raises(UsageError, match="Choose one of --answer and --ui"):
        answer(shell, "x", "--ui")


# --- pieces ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "kind", "text"),
    [
        ("FINAL ANSWER:\nIt is 4.", "answer", "It is 4."),
        ("**Final answer:** It is 4.", "answer", "It is 4."),
        ("Let me compute.\n```python\nprint(2 + 2)\n```", "step", "Let me compute."),
        ("```python\nprint(1)\n```\nFINAL ANSWER: 1", "step", ""),
        ("The answer is 4.", "answer", "The answer is 4."),
        ("After the step:\nFINAL ANSWER: 4 apples", "answer", "4 apples"),
        ("   ", "nothing", ""),
    ],
)
def test_parse_move(reply, kind, text):
    move = parse_move(reply)
    assert (move.kind, move.text) == (kind, text)


@pytest.mark.parametrize(
    ("answer_text", "evidence", "flagged"),
    [
        ("It is 1,234.57.", "1234.5678", []),
        ("It is 1,234.58.", "1234.5678", ["1,234.58"]),
        ("Growth was 12.5 %.", "growth 0.125", []),
        ("Revenue fell by 3.2%.", "change -3.2", []),
        ("About 1.2 million users.", "users 1234567", []),
        ("There are 3 regions and 7 steps.", "", []),
        ("The year 2024 had 12 months.", "2024", ["12"]),
        ("Column `col_2024` has 14.", "14", []),
        ("$$P = 1{,}211.96$$ per month", "1211.9617", []),
        ("$$P = 1{,}300$$", "1211.96", ["1{,}300"]),
        ("Exactly 1.5e3 units.", "1500", []),
        ("A third is 0.333.", "Fraction(1, 3)", []),
        ("0.17 * 2340", "What is 17% of 2340?", []),
        ("Half: 0.5, a quarter: 0.26", "1/2 and 1 / 4", ["0.26"]),
    ],
)
def test_unsupported_figures(answer_text, evidence, flagged):
    assert [f.text for f in unsupported_figures(answer_text, [evidence])] == flagged


def test_flag_marks_outside_math_only():
    answer_text = "Pay 1,300 a month: $P = 1{,}300$."
    figures = unsupported_figures(answer_text, ["1211.96"])
    assert flag_unsupported(answer_text, figures) == "Pay 1,300⚠ a month: $P = 1{,}300$."


def test_combine_and_split_round_trip():
    ok = Observation(output="3\n")
    bad = Observation(error="NameError: x")
    steps = [
        Step(1, "x = 1 +", "", bad),
        Step(2, "x = 3\nprint(x)", "Set x.", ok),
        Step(3, "y = x * 2", "", ok),
    ]
    cell = combine(steps, "x is **3**.\n\nAnd y is 6.", "m", sandbox=False)
    assert cell.startswith("# Step 1: Set x.\nx = 3\nprint(x)\n\n# Step 2\ny = x * 2\n")
    code, kept = split_cell(cell)
    assert kept == "x is **3**.\n\nAnd y is 6."
    assert ANSWER_RULE not in code and code.endswith("y = x * 2\n")
    assert split_cell("print(1)\n") == ("print(1)\n", None)


# --- the real SDK against the local Gemini REST server ---------------------------------------


@pytest.fixture
def gemini_shell(shell, gemini_env: GeminiTestServer):
    session = session_for(shell)
    session.config.model = GEMINI
    session.backends.clear()
    return shell


def test_gemini_multi_turn_over_http(gemini_shell, gemini_env, capsys):
    gemini_shell.user_ns["sales"] = {"north": [100, 130], "south": [80, 90]}
    gemini_env.enqueue(
        text(
            "First the growth per region.\n```python\n",
            "growth = {r: (v[1] - v[0]) / v[0] for r, v in sales.items()}\nprint(growth)\n```\n",
        ),
        text(
            "```python\nbest = max(growth, key=growth.get)\n",
            "print('fastest', best, round(growth[best] * 100, 1), '%')\n```",
        ),
        text(f"{FINAL_MARK}\n**North** grew fastest, by 30.0 % quarter over quarter."),
    )
    answer(gemini_shell, "Which region grew fastest in `sales`, and by how much?")
    out = capsys.readouterr().out
    assert "fastest north 30.0 %" in out
    assert "North** grew fastest, by 30.0 %" in out and "⚠" not in out
    assert gemini_shell.user_ns["best"] == "north"
    assert gemini_env.request_count == 3
    last = gemini_env.requests[2]
    roles = [c["role"] for c in last.contents]
    assert roles == ["user", "model", "user", "model", "user"]
    assert "fastest north 30.0 %" in last.last_user_text
    assert "'north': 0.3" in json.dumps(last.contents[2])
    assert FINAL_MARK in last.system_text
    assert all(not req.tools for req in gemini_env.requests)  # no sandbox unless asked


def test_gemini_sandbox_executable_code(gemini_shell, gemini_env, capsys, inserted):
    gemini_env.enqueue(
        executable_code(
            "from fractions import Fraction\nprint(Fraction(1, 3) + Fraction(1, 6))",
            "1/2\n",
            text_after=f"{FINAL_MARK}\n$\\frac13 + \\frac16 = \\frac12$, i.e. 0.5 exactly.",
        )
    )
    answer(gemini_shell, "What is 1/3 + 1/6?", "--sandbox")
    out = capsys.readouterr().out
    assert "Google's servers" in out and "without access to this kernel" in out
    assert "Step 1 · on Google's servers (no kernel access)" in out
    assert "i.e. 0.5 exactly" in out  # the printed 1/2 supports 0.5: not flagged
    request = gemini_env.requests[0]
    assert any("codeExecution" in tool or "code_execution" in tool for tool in request.tools)
    assert "no access to the user's Jupyter kernel" in request.system_text
    assert "Fraction" not in gemini_shell.user_ns  # nothing ran in the kernel
    cell = inserted[-1]
    assert cell.startswith("# Ran by Gemini's code execution on Google's servers")
    assert "# 1/2" in cell
    # Replay: the stored answer, no request, nothing run here.
    capsys.readouterr()
    answer(gemini_shell, "What is 1/3 + 1/6?", "--sandbox")
    assert gemini_env.request_count == 1
    assert "i.e. 0.5 exactly" in capsys.readouterr().out
    assert "Fraction" not in gemini_shell.user_ns


def test_gemini_sandbox_and_kernel_pins_are_separate(gemini_shell, gemini_env):
    gemini_env.enqueue(
        executable_code("print(2 + 2)", "4\n", text_after=f"{FINAL_MARK}\nIt is 4."),
        text("```python\nprint(2 + 2)\n```"),
        text(f"{FINAL_MARK}\nIt is 4."),
    )
    answer(gemini_shell, "2 + 2?", "--sandbox")
    answer(gemini_shell, "2 + 2?")
    assert gemini_env.request_count == 3


# --- the example notebook, headless in a real kernel -----------------------------------------


def _texts(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        parts.append(out.get("text", ""))
        parts.append(out.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


@pytest.mark.kernel
def test_example_notebook_runs_headless_and_replays_pinned(gemini_env, tmp_path, monkeypatch):
    fresh_cache(monkeypatch, tmp_path / "cache")
    monkeypatch.delenv("JUPYTER_CODEGEN_MODEL", raising=False)
    rules = json.loads((NOTEBOOKS / "answers_rules.json").read_text(encoding="utf-8"))
    gemini_env.responder = rules_responder(rules)
    path = tmp_path / "answers.ipynb"
    shutil.copy(NOTEBOOKS / "answers.ipynb", path)
    report = run_notebook(path, progress=lambda line: None)
    assert report.failures == []
    assert (report.prompts, report.generated) == (3, 3)
    assert gemini_env.request_count == 7
    nb = nbformat.read(tmp_path / "answers.out.ipynb", as_version=4)
    prompts = [i for i, c in enumerate(nb.cells) if c.source.startswith("%%gemini --answer")]
    answers = {
        "total revenue in `sales` is **619.0**": "total revenue: 619.0",
        "North region made **270.0**": "North total revenue: 270.0",
        "17 % of 2340 is **397.8**": "17% of 2340 = 397.80",
    }
    for i, (said, printed) in zip(prompts, answers.items(), strict=True):
        prompt, generated = nb.cells[i], nb.cells[i + 1]
        assert said in _texts(prompt) and "⚠" not in _texts(prompt)
        # The step blocks (code and what the model saw) stay with the prompt cell...
        steps = [
            o for o in prompt.outputs if "<details>" in o.get("data", {}).get("text/markdown", "")
        ]
        assert steps and printed in steps[-1].data["text/markdown"]
        # ... the steps' own output moves under the generated cell, the combined code.
        assert printed in _texts(generated) and printed not in _texts(prompt)
        assert generated.metadata[METADATA_KEY]["mode"] == "answer"
        assert "# ---- answer" in generated.source and said in generated.source
    assert nb.cells[prompts[1] + 1].source.startswith("# Step 1: First the North rows.")
    assert "# Step 2: Now their total." in nb.cells[prompts[1] + 1].source
    history = _texts(nb.cells[prompts[-1] + 3])  # %gemini history lists the runs
    assert history.count(" answer ") == 3 and "What is 17% of 2340?" in history
    # Run the saved notebook again: every answer is pinned, no request is made.
    again = run_notebook(
        tmp_path / "answers.out.ipynb", tmp_path / "again.ipynb", progress=lambda line: None
    )
    assert (again.failures, again.pinned, gemini_env.request_count) == ([], 3, 7)
    nb2 = nbformat.read(tmp_path / "again.ipynb", as_version=4)
    assert len(nb2.cells) == len(nb.cells)
    assert "pinned answer" in _texts(nb2.cells[prompts[0]])
    assert "total revenue: 619.0" in _texts(nb2.cells[prompts[0] + 1])
    records = [
        o.data[MIME_TYPE] for o in nb2.cells[prompts[0]].outputs if MIME_TYPE in o.get("data", {})
    ]
    assert records and records[0]["source"] == "pinned"


# --- intent checks (core/intent.py) in the answer loop ---------------------------------------


def test_an_answer_that_skips_the_named_result_is_sent_back_once(shell, capsys, inserted):
    shell.user_ns["values"] = [120, 180, 160]
    backend(shell).push(
        step("count = sum(v > 150 for v in values)\nprint(count)"),
        final("Two values are above 150."),
        step("n_high = sum(v > 150 for v in values)\nprint(n_high)"),
        final("Two values are above 150 (stored in n_high)."),
    )
    answer(shell, "How many of `values` are above 150? Store the count in `n_high` (an int).")
    assert shell.user_ns["n_high"] == 2
    told = turn_text(backend(shell).requests[2].turns[-1])
    assert "`n_high`, an int; the code left it undefined" in told
    assert "checked: n_high (int)" in capsys.readouterr().out


def test_an_answer_still_without_the_named_result_says_so(shell, capsys, inserted):
    shell.user_ns["values"] = [1, 2]
    backend(shell).push(
        step("print(sum(values))"), final("The sum is 3."), final("The sum is 3, as said.")
    )
    answer(shell, "Sum `values` and store it in `total_sum`.")
    out = capsys.readouterr().out
    assert "⚠ scripted · answered after 1 step(s) · not computed: total_sum" in out
    assert len(backend(shell).requests) == 3  # told once, not argued with
