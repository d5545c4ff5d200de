"""Generated code run as a cell of its own (kernel/cell_run.py): what it sees of the text is
what IPython's transformers would make of it, and it runs as ``run_cell`` runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from IPython.core.interactiveshell import InteractiveShell

from jupyter_codegen.kernel import cell_run

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"

PLAIN = [
    "print(sum(range(1, 11)))",
    "print(len(df.columns))\n",
    "x = 1\ny = x + 1\nprint(f'{y:,}')\n",
    "def f(a):\n    return a * 2\n\nresult = f(3)\n",
    "values = [1, 2, 3]\nvalues\n",
    "text = '''a\n\nb'''\n",
    "import math\nprint(math.pi)  # pi\n",
    "for i in range(3):\n    print(i)\nelse:\n    print('done')\n",
    "pwd = 3\n",
    "x = 1 != 2\n",
    "print('%d' % 3)\n",
]
IPYTHON_SYNTAX = [
    "%time x = 1",
    "%%time\nx = 1\n",
    "!echo hi",
    "files = !ls",
    "now = %pwd",
    "len?",
    "print(1)\nlen??\n",
    ">>> x = 1\n>>> x\n",
    "In [1]: x = 1\n",
    "  indented = 1\n",
    "\n\nx = 1\n",
    "/print 1",
    "x = 1\n... \n",
    "text = '''a\n   \nb'''\n",
    "await something()\n",
]


def _notebook_code() -> list[str]:
    """Every code cell of the shipped notebooks (prompt cells and the code under them)."""
    sources = []
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "code":
                source = cell["source"]
                sources.append("".join(source) if isinstance(source, list) else source)
    return sources


@pytest.fixture
def shell():
    sh = InteractiveShell.instance()
    sh.reset(new_session=False)
    return sh


@pytest.mark.parametrize("code", PLAIN + IPYTHON_SYNTAX + _notebook_code())
def test_the_text_it_runs_is_what_transform_cell_makes_of_it(shell, code):
    seen = cell_run._transformed(shell, code)
    assert seen is None or seen == shell.transform_cell(code)


@pytest.mark.parametrize("code", PLAIN)
def test_plain_python_skips_the_transformers(shell, code):
    assert cell_run._transformed(shell, code) == shell.transform_cell(code)


@pytest.mark.parametrize("code", IPYTHON_SYNTAX)
def test_what_may_hold_ipython_syntax_goes_through_run_cell(shell, code):
    assert cell_run._transformed(shell, code) is None


def test_a_one_line_cell_still_gets_automagic(shell):
    assert cell_run._transformed(shell, "pwd") == "get_ipython().run_line_magic('pwd', '')\n"


def test_the_shells_own_post_transformers_still_apply(shell):
    def upper(lines):
        return [line.replace("hello", "HELLO") for line in lines]

    shell.input_transformers_post.append(upper)
    try:
        result = cell_run.run_as_cell(shell, "word = 'hello'\n")
    finally:
        shell.input_transformers_post.remove(upper)
    assert result.success and shell.user_ns["word"] == "HELLO"


def test_a_custom_static_transformer_sends_the_code_through_run_cell(shell):
    shell.input_transformer_manager.cleanup_transforms.append(lambda lines: lines)
    try:
        assert cell_run._transformed(shell, "x = 1\n") is None
    finally:
        shell.input_transformer_manager.cleanup_transforms.pop()


def test_it_runs_as_run_cell_does(shell, capsys):
    events: list[str] = []
    handlers = {
        name: (lambda *args, name=name: events.append(name))
        for name in ("pre_execute", "pre_run_cell", "post_execute", "post_run_cell")
    }
    for name, handler in handlers.items():
        shell.events.register(name, handler)
    try:
        shown = cell_run.run_as_cell(shell, "a = 40\na + 2\n")
        failed = cell_run.run_as_cell(shell, "b = 1\nraise ValueError('no good')\n")
        broken = cell_run.run_as_cell(shell, "c = (\n")
        magic = cell_run.run_as_cell(shell, "%time d = 5")
    finally:
        for name, handler in handlers.items():
            shell.events.unregister(name, handler)
    assert shown.success and shown.result == 42 and shell.user_ns["_"] == 42
    assert isinstance(failed.error_in_exec, ValueError) and shell.user_ns["b"] == 1
    assert isinstance(broken.error_before_exec, SyntaxError)
    assert magic.success and shell.user_ns["d"] == 5
    assert events == ["pre_execute", "pre_run_cell", "post_execute", "post_run_cell"] * 4
    out = capsys.readouterr()
    assert "42" in out.out and "no good" in (out.out + out.err)


# --- the text rule (kernel/cell_run.plain_python), which the policy uses too -----------------

_SNIPPETS = [
    "x = 1", "print(x)", "  y = 2", "%time f()", "!ls", "x?", "??x", ">>> a = 1", "... b",
    "In [1]: q", "   ...: r", ",f a", ";f a", "/f a", "a = (1\n / 2)", "s = '%d' % 3",
    "if a != b:\n    pass", "def f():\n    return 1", "# why?", "x = !ls", "t = %who",
    "%%bash\nls", "\tz = 1", '"""doc\n>>> x\n"""', "x = y \\\n  + 1", "await h()", "",
    "...", "a = 1\r...", "b = 2\r>>> c = 3", "d = 4\x0c/f e", "   ", "\t", "x = 1 != 2",
    "t = '%Y' % d", "a =   %pwd", "b = \\\n  !ls", "s = '''\n   \n'''", "f(x)?",
    "g(1)  # ok?", "lst[0] = x", "u = {'a': 1}\nu", "v = 2\n",
]  # fmt: skip


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(_SNIPPETS), min_size=1, max_size=5))
def test_code_taken_as_plain_python_is_what_ipython_runs(snippets: list[str]) -> None:
    """The policy and the run skip IPython's transformers only for code they give back as it
    is: otherwise the policy would check other code than the code that runs."""
    from IPython.core.inputtransformer2 import TransformerManager

    code = "\n".join(snippets)
    if not cell_run.plain_python(code):
        return
    try:
        transformed = TransformerManager().transform_cell(code)
    except SyntaxError:  # the policy then rejects it either way
        return
    assert transformed == code + ("" if code.endswith("\n") else "\n")


def test_ipython_syntax_goes_through_the_transformers() -> None:
    for code in ("!ls", "x = !ls", "%time f()", "x?", ">>> a = 1", "  y = 2", "/f a", "In [1]: q"):
        assert not cell_run.plain_python(code), code
    assert cell_run.plain_python("total = sales['revenue'].sum()\nprint(f'{total:.1%}')")
