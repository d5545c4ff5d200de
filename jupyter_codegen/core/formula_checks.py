"""Formulas a small model gets half right, checked in the code before it runs.

With the loan-payment definition in front of it (prompts/local/formulas.md), the embedded
1.5B still divided the yearly rate by 12 and raised it to the number of *years* (a 30-year
mortgage's payment came out 9051.25 instead of 1580.17, in code mode and in --answer alike).
The check is narrow: the prompt asks for a monthly loan payment over a stated number of
years, and the code makes the rate monthly while nothing makes the periods monthly.
"""

from __future__ import annotations

import ast
import re

from jupyter_codegen.core.parsed import Code, parsed
from jupyter_codegen.core.patterns import Gated

_LOAN = Gated(
    re.compile(r"\b(?:mortgage|loan|repays?|annuity|amorti[sz])", re.I),
    "mortgage loan repay annuit amorti",
)
_MONTHLY = re.compile(r"\bmonth(?:ly|s)?\b", re.IGNORECASE)
_YEARS = re.compile(r"\b(\d{1,2})[-\s]years?\b", re.IGNORECASE)


def loan_years(prompt: str) -> int | None:
    """The years of a monthly loan payment the prompt asks for ("a 250,000 mortgage ... over
    30 years", "monthly payment"), when it states one number of years."""
    if not (_LOAN.search(prompt) and _MONTHLY.search(prompt)):
        return None
    years = {int(m.group(1)) for m in _YEARS.finditer(prompt)}
    return years.pop() if len(years) == 1 else None


def check_loan_periods(years: int | None, code: Code) -> str | None:
    """The repair message when the code divides a rate by 12 and counts the payments in years:
    no ``* 12`` anywhere and no ``years * 12`` written out (360)."""
    if years is None:
        return None
    tree = parsed(code)
    if tree is None:
        return None
    binops = [node for node in ast.walk(tree) if isinstance(node, ast.BinOp)]
    monthly_rate = any(isinstance(op.op, ast.Div) and _is(op.right, 12) for op in binops)
    monthly_periods = any(
        isinstance(op.op, ast.Mult) and (_is(op.left, 12) or _is(op.right, 12)) for op in binops
    ) or any(_is(node, years * 12) for node in ast.walk(tree))
    if not monthly_rate or monthly_periods:
        return None
    return (
        f"The code makes the rate monthly (/ 12) but counts the payments in years: over "
        f"{years} years there are n = {years} * 12 = {years * 12} monthly payments. Use "
        "n = years * 12 in payment = principal * r / (1 - (1 + r) ** -n)."
    )


def _is(node: ast.AST, number: int) -> bool:
    return (
        isinstance(node, ast.Constant) and type(node.value) in (int, float) and node.value == number
    )
