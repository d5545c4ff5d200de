"""Without the extension (Notebook 7 with jupyter-codegen disabled) the magic's fallback runs:
the code runs under the prompt cell and set_next_input inserts it below."""

from __future__ import annotations

from typing import Any

from labpage import Notebook, output_text
from test_generated_cells import SETUP, code_reply


def test_notebook7_without_extension_falls_back(
    page: Any, notebook_server_without_extension: Any, gemini: Any
) -> None:
    gemini.enqueue(code_reply("print('fallback ran', 6 * 7)"))
    server = notebook_server_without_extension
    nb = Notebook.write(page, server, "fallback.ipynb", [SETUP, "%%gemini\nPrint 6 times 7."])
    nb.open()
    assert page.evaluate("window.jupyterapp.hasPlugin('jupyter-codegen:plugin')") is False
    nb.shift_enter(0)
    nb.wait_executed(0)
    nb.shift_enter(1)
    prompt = nb.wait_output(1, "fallback ran 42")
    nb.wait("(panel) => panel.content.model.sharedModel.cells.length === 4")
    cells = nb.wait_all_idle()
    assert "fallback ran 42" in output_text(prompt)
    assert cells[2]["source"].startswith("print('fallback ran', 6 * 7)")
    assert cells[2]["outputs"] == [] and "jupyter_codegen" not in cells[2]["metadata"]
    assert gemini.request_count == 1
