"""Textbook formulas for a small model (model/formulas.py, prompts/local/formulas.md): shown
under "Formulas:" when the task names one, to backends with compact prompts only."""

from __future__ import annotations

import re

import pytest

from jupyter_codegen.model.backends.scripted import LOCAL_LIKE, ScriptedBackend
from jupyter_codegen.model.formulas import formulas_for, load_formulas, parse_formulas
from jupyter_codegen.session import session_for


def backend(sh) -> ScriptedBackend:
    return session_for(sh).backends["scripted"]  # type: ignore[return-value]


def sent(sh) -> str:
    turn = backend(sh).requests[-1].turns[-1]
    return "\n".join(getattr(part, "text", "") for part in turn.parts)


@pytest.mark.parametrize(
    ("task", "defines"),
    [
        ("What's the CAGR of revenue from 2015 to 2024?", "CAGR"),
        ("compound annual growth rate of `annual`", "CAGR"),
        ("NPV of `flows` at 8%", "NPV"),
        ("Monthly payment on a 250,000 mortgage over 30 years", "Loan payment"),
        ("10,000 at 4.5% compounded monthly for 10 years", "Compound interest"),
        ("the maximum drawdown of `prices`", "Maximum drawdown"),
        ("By what percent did `prices` change from the first day to the last?", "Percent change"),
        ("What's the standard error of the mean amount?", "Standard error"),
        ("population standard deviation of revenue", "Population standard deviation"),
    ],
)
def test_a_task_that_names_a_formula_gets_its_definition(task, defines):
    assert any(note.startswith(defines) for note in formulas_for(task))


@pytest.mark.parametrize(
    "task",
    [
        "Plot the total revenue per month from `sales` as a bar chart.",
        "Which region has the highest total revenue in `sales`? Print the region and its total.",
        "Count the words in each review's text in `reviews`.",
        "Net revenue per customer segment",  # "net" alone is no NPV
    ],
)
def test_a_task_that_names_no_formula_gets_none(task):
    assert formulas_for(task) == []


def test_the_net_present_value_is_not_also_a_plain_present_value():
    notes = formulas_for("What is the net present value of `cash_flows` at 8%?")
    assert [n.split(":")[0] for n in notes] == ["NPV at rate r"]


def test_every_note_is_one_line_and_the_file_parses():
    formulas = load_formulas()
    assert len(formulas) >= 15
    assert all("\n" not in f.note and len(f.note) < 300 for f in formulas)


def test_a_bad_pattern_or_an_empty_note_fails_when_the_file_is_read():
    with pytest.raises(re.error):
        parse_formulas("### (unclosed\nA note.\n")
    with pytest.raises(ValueError, match="no note"):
        parse_formulas("### cagr\n\n### npv\nNPV: ...\n")


def test_a_compact_backend_sees_the_formula_under_the_context_and_gemini_does_not(shell):
    backend(shell).push("```python\nprint(1)\n```")
    shell.run_cell_magic("gemini", "", "What's the CAGR of `annual` revenue?")
    assert "Formulas:" not in sent(shell)

    backend(shell).capabilities = LOCAL_LIKE
    backend(shell).push("```python\nprint(1)\n```")
    shell.run_cell_magic("gemini", "--regenerate", "What's the CAGR of `annual` revenue?")
    text = sent(shell)
    assert "Formulas:\n- CAGR: (last_value / first_value) ** (1 / years) - 1" in text
    assert text.index("Formulas:") < text.index("Task:")


def test_gemini_context_shows_the_formulas_a_small_model_would_get(shell, capsys):
    backend(shell).capabilities = LOCAL_LIKE
    shell.run_line_magic("gemini", "context What's the NPV of these flows at 8%?")
    assert "Formulas:\n- NPV at rate r:" in capsys.readouterr().out
