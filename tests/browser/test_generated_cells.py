"""Linked generated cells in JupyterLab: inserted below the prompt and run there, exactly once,
pinned, repaired, edits kept."""

from __future__ import annotations

import json
from typing import Any

from gemini_server import text
from labpage import Notebook, output_text

SETUP = (
    "%load_ext jupyter_codegen\n"
    "import pandas as pd\n"
    "sales = pd.DataFrame({'month': [1, 2, 3], 'revenue': [10.0, 20.5, 30.0]})"
)
COUNTER = "runs = globals().get('runs', 0) + 1\nprint('runs', runs)"
RAN_ALREADY = "[jupyter-codegen] this code already ran just now"


def code_reply(code: str) -> Any:
    return text("Sure.\n```python\n", code, "\n```\n")


def generated(nb: Notebook) -> list[dict[str, Any]]:
    return [c for c in nb.cells() if "jupyter_codegen" in c["metadata"]]


def test_prompt_inserts_generated_cell_below_and_runs_it(
    page: Any, lab_server: Any, gemini: Any
) -> None:
    gemini.enqueue(code_reply("total = sales['revenue'].sum()\nprint('total revenue', total)"))
    nb = Notebook.write(
        page, lab_server, "insert.ipynb", [SETUP, "%%gemini\nPrint the total `revenue` of sales."]
    ).open()
    nb.shift_enter(0)
    nb.wait_executed(0)
    nb.shift_enter(1)  # the last cell: JupyterLab adds an empty cell below and selects it
    nb.wait("""(panel) => panel.content.model.sharedModel.cells.length === 4""")
    gen = nb.wait_output(2, "total revenue 60.5")
    cells = nb.cells()
    assert gen["metadata"]["jupyter_codegen"]["prompt_cell_id"] == "cell-1"
    assert gen["source"].startswith("total = sales")
    assert nb.wait_executed(2)["execution_count"] is not None
    assert "✓ gemini-3.8-flash" in output_text(nb.wait_executed(1))  # its status line
    assert "total revenue 60.5" not in output_text(cells[1])
    # The selection stayed on the empty cell the user was moved to.
    active = nb.eval("(panel) => panel.content.activeCell.model.id")
    assert active == cells[3]["id"] and cells[3]["source"] == ""
    assert gemini.request_count == 1
    assert page.console_errors == []


def test_run_all_restart_and_shift_enter_twice_run_generated_code_exactly_once(
    page: Any, lab_server: Any, gemini: Any
) -> None:
    gemini.enqueue(code_reply(COUNTER))
    nb = Notebook.write(
        page,
        lab_server,
        "once.ipynb",
        [SETUP, "%%gemini\nCount the runs in `runs` and print it.", "print('after', runs)"],
    ).open()

    # Run All on a prompt with no generated cell yet: the cell below it must run after the
    # new generated cell (it uses `runs`), so the kernel defers it and it runs again after.
    nb.run_all()
    nb.wait_output(3, "after 1")
    cells = nb.wait_all_idle()
    assert [c["source"] for c in cells][3] == "print('after', runs)"
    assert output_text(cells[2]).strip() == "runs 1"
    assert gemini.request_count == 1

    # Run All again: the generated cell is pinned and queued by Run All; it runs once.
    nb.run_all()
    nb.wait_output(3, "after 2")
    cells = nb.wait_all_idle()
    assert output_text(cells[2]).strip() == "runs 2"
    assert len(cells) == 4 and gemini.request_count == 1

    # Restart and Run All: a fresh kernel, the linked cell's code, no model request.
    nb.restart_and_run_all()
    nb.wait_output(3, "after 1")
    cells = nb.wait_all_idle()
    assert output_text(cells[2]).strip() == "runs 1"
    assert gemini.request_count == 1

    # Shift-Enter on the prompt, Shift-Enter again on the generated cell right below, and once
    # more on the cell after it. The second press lands before or after `place` reaches the
    # extension (a race a user's timing decides): either way the code runs once.
    nb.shift_enter(1)
    nb.shift_enter()
    nb.shift_enter()
    nb.wait_output(3, "after 2")
    cells = nb.wait_all_idle()
    assert "runs 3" not in output_text(cells[2])
    assert "runs 2" in output_text(cells[2]) or RAN_ALREADY in output_text(cells[2])
    assert "pinned" in output_text(cells[1])
    assert gemini.request_count == 1
    assert len(cells) == 5 and cells[4]["source"] == ""  # Shift-Enter on the last cell adds one

    # The second press after the placed run ended: one line, and the run's output stays above.
    nb.shift_enter(1)
    nb.wait_output(2, "runs 3")
    nb.wait_all_idle()
    nb.shift_enter(2)
    nb.wait_output(2, RAN_ALREADY)
    cells = nb.wait_all_idle()
    lines = output_text(cells[2]).splitlines()
    assert len(lines) == 2 and lines[0] == "runs 3" and lines[1].startswith(RAN_ALREADY)
    # Run on its own again, it is an ordinary cell.
    nb.shift_enter(2)
    nb.wait_output(2, "runs 4")
    assert page.console_errors == []


def _set_source(nb: Notebook, cell_id: str, source: str) -> None:
    """Change a cell's source as the editor does (through the shared model)."""
    nb.eval(
        """(panel, [id, source]) => panel.content.model.sharedModel.cells
             .find(c => c.getId() === id).setSource(source)""",
        [cell_id, source],
    )


def test_edited_generated_cell_is_pinned_and_kept_when_regenerated(
    page: Any, lab_server: Any, gemini: Any
) -> None:
    gemini.enqueue(code_reply("print('first version')"))
    nb = Notebook.write(
        page, lab_server, "edited.ipynb", [SETUP, "%%gemini\nPrint a short greeting."]
    ).open()
    nb.shift_enter(0)
    nb.wait_executed(0)
    nb.shift_enter(1)
    gen_id = nb.wait_output(2, "first version")["id"]

    # The user edits the generated cell: the badge says so, and the edit is the pinned answer.
    _set_source(nb, gen_id, "print('my edit')")
    page.locator('[data-codegen-state="edited"]').wait_for()
    nb.shift_enter(1)
    nb.wait_output(gen_id, "my edit")
    nb.wait_all_idle()
    assert nb.cell(gen_id)["source"] == "print('my edit')"
    assert gemini.request_count == 1

    # Regenerate (the badge's button): a new cell below the prompt; the edit stays, superseded.
    gemini.enqueue(code_reply("print('second version')"))
    page.locator('[data-codegen-action="regenerate"]').first.click()
    nb.wait("(panel) => panel.content.model.sharedModel.cells.length === 5")
    nb.wait_output(2, "second version")
    cells = nb.wait_all_idle()
    assert cells[2]["id"] != gen_id and cells[3]["id"] == gen_id
    assert cells[3]["source"] == "print('my edit')"
    assert cells[3]["metadata"]["jupyter_codegen"]["superseded"] is True
    assert cells[2]["metadata"]["jupyter_codegen"]["prompt_cell_id"] == "cell-1"
    page.locator('[data-codegen-state="superseded"]').wait_for()
    assert gemini.request_count == 2
    assert page.console_errors == []


def test_failing_generated_cell_is_repaired_in_place(
    page: Any, lab_server: Any, gemini: Any
) -> None:
    gemini.enqueue(
        code_reply("avg = sales['revenu'].mean()\nprint('avg', avg)"),
        code_reply("avg = sales['revenue'].mean()\nprint('avg', round(avg, 2))"),
    )
    nb = Notebook.write(
        page, lab_server, "repair.ipynb", [SETUP, "%%gemini\nPrint the average revenue."]
    ).open()
    nb.shift_enter(0)
    nb.wait_executed(0)
    nb.shift_enter(1)
    nb.wait_output(2, "avg 20.17")
    cells = nb.wait_all_idle()
    gen = cells[2]
    # The fix replaced the cell's code and ran in the same execution: one run, no error left.
    assert gen["source"].startswith("avg = sales['revenue'].mean()")
    assert gen["metadata"]["jupyter_codegen"]["attempts"] == 2
    assert gen["metadata"]["jupyter_codegen"]["source"] == "repaired"
    assert "attempt 1 failed: KeyError" in output_text(gen)
    assert not [o for o in gen["outputs"] if o["output_type"] == "error"]
    assert len(cells) == 4 and gemini.request_count == 2
    assert "KeyError" in json.dumps(gemini.requests[1].body)
    page.locator(".jp-codegen-badge").get_by_text("repaired after 2 attempts").wait_for()
    assert page.console_errors == []


def test_deleting_prompt_or_generated_cells_breaks_nothing(
    page: Any, lab_server: Any, gemini: Any
) -> None:
    # One reply: the pin store keeps the generated code once it ran in the generated cell, so the
    # prompt re-inserts it without asking the model again.
    gemini.enqueue(code_reply("print('hello once')"))
    nb = Notebook.write(page, lab_server, "delete.ipynb", [SETUP, "%%gemini\nSay hello once."])
    nb.open()
    nb.shift_enter(0)
    nb.wait_executed(0)
    nb.shift_enter(1)
    first = nb.wait_output(2, "hello once")["id"]
    nb.wait_all_idle()

    # Without its generated cell the prompt inserts its code again.
    nb.eval("(panel) => panel.content.model.sharedModel.deleteCell(2)")
    nb.shift_enter(1)
    nb.wait(
        """(panel) => { const c = panel.content.model.sharedModel.cells[2];
             return c && c.getMetadata('jupyter_codegen') && c.getOutputs().length > 0; }"""
    )
    cells = nb.wait_all_idle()
    assert cells[2]["id"] != first and "hello once" in output_text(cells[2])
    assert gemini.request_count == 1

    # Without its prompt the generated cell is an ordinary cell.
    nb.eval("(panel) => panel.content.model.sharedModel.deleteCell(1)")
    page.get_by_text("its prompt cell was deleted").wait_for()
    before = nb.cell(1)["execution_count"]
    nb.shift_enter(1)
    nb.wait(
        """(panel, before) => { const c = panel.content.model.sharedModel.cells[1];
             return c.execution_count !== null && c.execution_count !== before
               && c.executionState === 'idle'; }""",
        before,
    )
    cell = nb.cell(1)
    assert output_text(cell).strip() == "hello once"
    assert not [o for o in cell["outputs"] if o["output_type"] == "error"]
    assert gemini.request_count == 1  # an ordinary cell: no model call
    assert page.console_errors == []
