"""Linked generated cells in JupyterLab: inserted below the prompt and run there, exactly once,
pinned, repaired, edits kept."""

from __future__ import annotations

from typing import Any

from gemini_server import text
from labpage import Notebook, output_text

SETUP = (
    "%load_ext jupyter_codegen\n"
    "import pandas as pd\n"
    "sales = pd.DataFrame({'month': [1, 2, 3], 'revenue': [10.0, 20.5, 30.0]})"
)
COUNTER = "runs = globals().get('runs', 0) + 1\nprint('runs', runs)"


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
    assert "running in the cell below" in output_text(nb.wait_executed(1))
    assert "total revenue 60.5" not in output_text(cells[1])
    # The selection stayed on the empty cell the user was moved to.
    active = nb.eval("(panel) => panel.content.activeCell.model.id")
    assert active == cells[3]["id"] and cells[3]["source"] == ""
    assert gemini.request_count == 1
    assert page.console_errors == []
