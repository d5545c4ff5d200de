"""A registered function's call written as JSON text is sent back, not counted as code."""

from __future__ import annotations

import pytest

from jupyter_codegen.functions.json_calls import json_call_problem


@pytest.mark.parametrize(
    "code",
    [
        '{"name": "fx_rate", "arguments": {"currency": "EUR"}}',
        '{"name": "fx_rate", "parameters": {"currency": "EUR"}}\n',
        '[{"name": "fx_rate", "arguments": {"currency": "EUR"}}, {"name": "fx_rate", "args": {}}]',
        '{"function": "fx_rate", "input": {"currency": "EUR"}}',
    ],
)
def test_a_json_call_is_a_problem(code: str) -> None:
    problem = json_call_problem(code, ["fx_rate"])
    assert problem is not None and "`fx_rate` written as JSON" in problem


@pytest.mark.parametrize(
    ("code", "registered"),
    [
        ('{"name": "fx_rate", "arguments": {"currency": "EUR"}}', ["other"]),  # not registered
        ("{'name': 'Ann', 'age': 3}", ["Ann"]),  # a dict the user may want shown
        ('rate = {"name": "fx_rate", "arguments": {}}', ["fx_rate"]),  # an assignment is code
        ('fx_rate("EUR")', ["fx_rate"]),
        ("{", ["fx_rate"]),
    ],
)
def test_anything_else_is_not(code: str, registered: list[str]) -> None:
    assert json_call_problem(code, registered) is None
