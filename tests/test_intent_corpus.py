"""The intent checks never fire on a right answer. Over the quality benchmark's hand-written
correct solutions (benchmarks/quality_tasks.py: each run in a real shell, then judged as the
loop judges a generated cell), and over the prompts of notebooks/ with their saved generated
cells. (The test suite's own prompts are held by the suite: a check that fired on one of them
would turn its expected ✓ into a repair.)"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import nbformat
import pytest
from IPython.utils.capture import capture_output

from jupyter_codegen.core.chart_checks import check_charts
from jupyter_codegen.core.intent import intent_for
from jupyter_codegen.core.intent_checks import (
    check_code,
    check_drawn,
    check_frame_writes,
    check_namespace,
    check_printed,
)
from jupyter_codegen.core.join_checks import check_row_pairing
from jupyter_codegen.kernel.executor import run_code
from jupyter_codegen.notebook.cells import is_prompt_cell, linked_cell
from jupyter_codegen.session import session_for

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import quality_tasks  # noqa: E402

pytest.importorskip("matplotlib").use("Agg")


def test_no_check_fires_on_a_right_solution_of_the_quality_set(shell) -> None:
    fired: dict[str, str] = {}
    named = 0
    import matplotlib.pyplot as plt

    for task in quality_tasks.TASKS:
        plt.close("all")  # each task draws on a fresh figure, as in the benchmark
        assert shell.run_cell(quality_tasks.SETUP).success
        ns = shell.user_ns
        items = [(n, v) for n, v in ns.items() if not n.startswith("_")]
        frames = [n for n, v in items if type(v).__name__ == "DataFrame"]
        intent = intent_for(task.prompt, items, session_for(shell).functions.names())
        named += bool(intent.names)
        problem = None
        if "--answer" not in task.flags:
            problem = (
                check_code(intent, task.solution)
                or check_frame_writes(intent, task.solution, frames)
                or check_row_pairing(task.solution, ns)
            )
        if problem is None:
            # run as the loop runs generated code: what it printed, whether it drew
            with capture_output(display=False):
                outcome = run_code(shell, task.solution)
            assert outcome.ok, (task.name, outcome.error_line)
            problem = (
                check_namespace(intent, shell.user_ns)
                or check_printed(intent, outcome.printed)
                or check_drawn(intent, task.solution, outcome.drew)
                or check_charts(intent, outcome.figures)
            )
        if problem is not None:
            fired[task.name] = problem
    assert fired == {}
    # The set exercises the checks: many of its prompts name a result.
    assert named >= 10, named


def _bound_by(code: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
    return names


_NOTEBOOKS = sorted(p for p in (ROOT / "notebooks").glob("*.ipynb") if ".out." not in p.name)


@pytest.mark.parametrize("path", _NOTEBOOKS, ids=lambda p: p.name)
def test_no_check_fires_on_the_notebooks_saved_answers(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    bound: set[str] = set()
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if not is_prompt_cell(cell.source):
            python = "\n".join(ln for ln in cell.source.splitlines() if not ln.startswith("%"))
            bound |= _bound_by(python)
            continue
        first, _, prompt = cell.source.partition("\n")
        intent = intent_for(prompt, [(n, None) for n in bound])
        answer = linked_cell(nb.cells, index)
        if answer is None:
            # Nothing saved to judge: the prompt must ask for nothing the checks would hold.
            assert not intent.names, (path.name, prompt)
            continue
        code = answer.source
        if "--ui" not in first and "--answer" not in first:
            assert check_code(intent, code) is None, (path.name, prompt)
        assert check_frame_writes(intent, code, ["sales"]) is None, (path.name, prompt)
        assert {e.name for e in intent.names} <= _bound_by(code), (path.name, prompt)
        shown = "".join(
            o.get("text", "") or str(o.get("data", {}).get("text/plain", ""))
            for o in answer.get("outputs", [])
        )
        if shown:
            assert check_printed(intent, shown) is None, (path.name, prompt, shown[:200])
