"""A registered function's stub copied into generated code is dropped, and so is a stand-in."""

from __future__ import annotations

import pytest

from jupyter_codegen.functions.copied_stubs import drop_copied_stubs

STUB = 'def fx_rate(currency: str) -> float:\n    """The rate from USD to currency."""\n'


@pytest.mark.parametrize(
    "body",
    [
        '    """The rate."""\n',
        "    ...\n",
        "    pass\n",
        '    """Doc."""\n    ...\n',
        # a stand-in with made-up rates: the user's function is the one the prompt means
        "    if currency == 'EUR':\n        return 0.85\n    return 1.0\n",
    ],
)
def test_a_copied_stub_or_a_stand_in_is_dropped(body: str) -> None:
    code = f"import pandas as pd\n@functools.cache\ndef fx_rate(currency: str) -> float:\n{body}"
    code += "total = sales['revenue'].sum() * fx_rate('EUR')\n"
    assert drop_copied_stubs(code, ["fx_rate"]) == (
        "import pandas as pd\ntotal = sales['revenue'].sum() * fx_rate('EUR')\n"
    )


@pytest.mark.parametrize(
    ("code", "registered"),
    [
        ("fx_rate = lambda currency: 0.85\nprint(fx_rate('EUR'))\n", ["fx_rate"]),  # policy's
        (STUB + "print(1)\n", ["other"]),  # not a registered name: the user's own def
        (STUB + "print(1)\n", []),
        ("def fx_rate(:\n", ["fx_rate"]),  # does not parse: the checks say so
        ("if True:\n    def fx_rate(c):\n        ...\n", ["fx_rate"]),  # not top level
    ],
)
def test_anything_else_is_left_as_it_is(code: str, registered: list[str]) -> None:
    assert drop_copied_stubs(code, registered) == code
