"""Formulas checked in the code before it runs (core/formula_checks.py); through the magic:
the loan prompts of the quality set."""

from __future__ import annotations

import pytest

from jupyter_codegen.core.formula_checks import check_loan_periods, loan_years
from jupyter_codegen.core.intent import read_intent
from jupyter_codegen.core.intent_checks import check_code


@pytest.mark.parametrize(
    ("prompt", "years"),
    [
        ("Monthly payment on a 250,000 mortgage at 6.5% annual interest over 30 years?", 30),
        ("What monthly payment repays a 20,000 loan at 5% a year over 4 years?", 4),
        ("Monthly installment of a 10-year loan of 5000 at 3%", 10),
        ("Yearly payment on a loan over 10 years at 4%", None),  # not monthly
        ("Compound 1000 monthly at 5% for 10 years", None),  # no loan
        ("Monthly payment on a loan over 5 years, then 10 years at a new rate", None),  # two
    ],
)
def test_a_monthly_loan_payment_names_its_years(prompt: str, years: int | None) -> None:
    assert loan_years(prompt) == years
    assert read_intent(prompt).loan_years == years


def test_a_monthly_rate_with_payments_counted_in_years_is_sent_back() -> None:
    wrong = [
        # the 1.5B's code on the quality set, in code mode and in --answer
        "annual_rate = 6.5 / 100 / 12\nn_years = 30\nprincipal = 250000\n"
        "payment = principal * annual_rate / (1 - (1 + annual_rate) ** -n_years)",
        "r = 0.05 / 12\npayment = 20000 * r / (1 - (1 + r) ** -4)",
    ]
    for code in wrong:
        problem = check_loan_periods(30, code)
        assert problem is not None and "n = 30 * 12 = 360 monthly payments" in problem, code
    right = [
        "r, n = 0.065 / 12, 30 * 12\npayment = 250_000 * r / (1 - (1 + r) ** -n)",
        "r = 0.065 / 12\npayment = 250_000 * r / (1 - (1 + r) ** -360)",
        "r = 0.065 / 12\nn = 12 * 30\npayment = 250_000 * r / (1 - (1 + r) ** -n)",
        "import numpy_financial as npf\npayment = -npf.pmt(0.065 / 12, 30 * 12, 250_000)",
        "payment = 250_000 * 0.065 / (1 - 1.065 ** -30)",  # yearly: not this check's business
        "payment = (",  # does not parse: the run's SyntaxError says so
    ]
    for code in right:
        assert check_loan_periods(30, code) is None, code
    assert check_loan_periods(None, wrong[0]) is None


def test_the_loan_check_is_one_of_the_code_checks() -> None:
    intent = read_intent("Monthly payment on a 250,000 mortgage over 30 years? Store it in `p`.")
    problem = check_code(intent, "r = 0.065 / 12\np = 250_000 * r / (1 - (1 + r) ** -30)")
    assert problem is not None and "monthly payments" in problem
