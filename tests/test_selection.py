"""Execution-verified candidates (core/selection.py) through the magic, on a real
InteractiveShell with a scripted backend that claims cheap sampling as the embedded model does.
Each candidate runs in a real fork (kernel/candidates.py); in a real kernel:
tests/test_candidates_kernel.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jupyter_codegen.errors import CodegenError, UsageError
from jupyter_codegen.kernel.candidates import can_isolate
from jupyter_codegen.model.backends.scripted import LOCAL_LIKE, ScriptedBackend
from jupyter_codegen.session import session_for

pytestmark = pytest.mark.skipif(not can_isolate(), reason="needs os.fork (POSIX)")


def fence(code: str) -> str:
    return f"```python\n{code}\n```\n"


@pytest.fixture
def cheap(shell) -> ScriptedBackend:
    backend: ScriptedBackend = session_for(shell).backends["scripted"]  # type: ignore[assignment]
    backend.capabilities = LOCAL_LIKE
    # One candidate is the default (measured: config.AUTO_CANDIDATES); these tests opt in as a
    # user would, with c.Codegen.candidates.
    session_for(shell).config.candidates = 3
    return backend


def gemini(shell, prompt: str, line: str = "") -> None:
    shell.run_cell_magic("gemini", line, prompt)


def test_the_result_most_candidates_agree_on_wins(shell, cheap, capsys):
    shell.user_ns["revenue"] = [120.0, 180.0, 160.0]
    cheap.push(
        fence("total = max(revenue)"),  # greedy, runs, wrong
        fence("total = sum(revenue)"),
        fence("total = float(sum(x for x in revenue))"),
    )
    gemini(shell, "Store the total of `revenue` in `total`, a number.")
    assert shell.user_ns["total"] == 460.0
    out = capsys.readouterr().out
    assert "2 of 3 candidates agree" in out and "checked: total (float)" in out
    assert [r.temperature for r in cheap.requests] == [None, 0.7, 0.7]
    assert len({r.seed for r in cheap.requests[1:]}) == 2  # two different draws


def test_a_candidate_in_another_order_than_asked_is_dropped_in_its_copy(shell, cheap, capsys):
    shell.user_ns["ids"] = [3, 1, 2]
    cheap.push(
        fence("out = sorted(ids, reverse=True)"),  # greedy: runs, in the wrong order
        fence("out = sorted(ids)[::-1]"),  # agrees with it, and is as wrong
        fence("out = sorted(ids)"),
    )
    gemini(shell, "Put the values of `ids` in a list `out`, smallest first.")
    assert shell.user_ns["out"] == [1, 2, 3]
    assert len(cheap.requests) == 3  # chosen among the candidates, no repair
    out = capsys.readouterr().out
    assert "1 of 3 candidates passed the checks · checked: out (list, ascending)" in out


def test_sampling_stops_once_a_majority_agrees(shell, cheap, capsys):
    shell.user_ns["revenue"] = [1.0, 2.0]
    cheap.push(fence("total = sum(revenue)"), fence("total = revenue[0] + revenue[1]"))
    gemini(shell, "Store the total of `revenue` in `total`.")
    assert len(cheap.requests) == 2  # the third was never asked for
    assert "2 of 2 candidates agree" in capsys.readouterr().out


def test_nothing_a_losing_candidate_does_reaches_the_kernel_notebook_or_pins(shell, cheap, capsys):
    shell.user_ns["log"] = []
    shell.user_ns["values"] = [1, 2, 3]
    loser = (
        "log.append(len(values))\nleak = 1\nprint('LOSER-PRINT')\n"
        "from IPython.display import display\ndisplay('LOSER-DISPLAY')\n"
        "raise ValueError('wrong')"
    )
    cheap.push(fence(loser), fence("n_total = sum(values)"), fence("n_total = sum(values)"))
    gemini(shell, "Store the sum of `values` in `n_total`.")
    ns = shell.user_ns
    assert ns["n_total"] == 6 and ns["log"] == [] and "leak" not in ns
    out = capsys.readouterr().out
    assert "LOSER" not in out
    session = session_for(shell)
    (entry,) = session.history.entries
    assert entry.code is not None and "loser" not in entry.code
    session.pins.flush()
    pinned = [json.loads(p.read_text())["code"] for p in session.pins.root.glob("*.json")]
    assert pinned == ["n_total = sum(values)\n"]


def test_a_candidate_that_needs_confirmation_is_never_run_in_a_copy(
    shell, cheap, tmp_path: Path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    shell.user_ns["values"] = [1, 2]
    cheap.push(
        fence("n_total = sum(values)"),
        fence("open('written.txt', 'w').write('x')\nn_total = sum(values)"),
        fence("n_total = sum(values) * 1"),
    )
    gemini(shell, "Store the sum of `values` in `n_total`.")
    assert not (tmp_path / "written.txt").exists()
    assert shell.user_ns["n_total"] == 3
    assert "2 of 3 candidates agree" in capsys.readouterr().out


def test_greedy_code_that_needs_confirmation_is_asked_as_always(
    shell, cheap, tmp_path: Path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JUPYTER_CODEGEN_CONFIRM", "auto-no")
    cheap.push(fence("open('written.txt', 'w').write('x')"))
    with pytest.raises(CodegenError):
        gemini(shell, "Write x to a file.")
    assert len(cheap.requests) == 1 and not (tmp_path / "written.txt").exists()


def test_one_candidate_by_flag_or_by_default_and_more_only_when_asked(shell, cheap):
    cheap.push(fence("a = 1"))
    gemini(shell, "Store 1 in `a`.", "--candidates 1")
    assert len(cheap.requests) == 1
    session_for(shell).config.candidates = 0  # nothing configured: one, on every backend
    cheap.push(fence("b = 2"))
    gemini(shell, "Store 2 in `b`.")
    assert len(cheap.requests) == 2
    cheap.capabilities = ScriptedBackend().capabilities  # what Gemini declares
    cheap.push(fence("c = 3"))
    gemini(shell, "Store 3 in `c`.")
    assert len(cheap.requests) == 3
    cheap.push(fence("d = 4"), fence("d = 4"))
    gemini(shell, "Store 4 in `d`.", "--candidates 3")  # opt-in
    assert len(cheap.requests) == 5


def test_without_fork_one_candidate(shell, cheap, monkeypatch):
    monkeypatch.setenv("JUPYTER_CODEGEN_NO_FORK", "1")
    cheap.push(fence("a = 1"))
    gemini(shell, "Store 1 in `a`.")
    assert len(cheap.requests) == 1 and shell.user_ns["a"] == 1


def test_a_bad_candidates_flag_is_one_line(shell, cheap):
    with pytest.raises(UsageError, match="--candidates takes 1 to 9"):
        gemini(shell, "anything", "--candidates 0")
    assert cheap.requests == []


def test_when_every_candidate_fails_the_greedy_one_is_run_and_repaired(shell, cheap, capsys):
    cheap.push(
        fence("y = undefined_a"),
        fence("y = undefined_b"),
        fence("y = undefined_c"),
        fence("y = 42"),  # the repair
    )
    gemini(shell, "Make y.")
    assert shell.user_ns["y"] == 42
    assert "attempt 1 failed: NameError: name 'undefined_a'" in capsys.readouterr().out


def test_the_status_line_says_when_candidates_disagree(shell, cheap, capsys):
    cheap.push(fence("v = 1"), fence("v = 2"), fence("v = 3"))
    gemini(shell, "Store a number in `v`.")
    assert shell.user_ns["v"] == 1  # no majority: the greedy one
    assert "3 candidates, no two agree" in capsys.readouterr().out
