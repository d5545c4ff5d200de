"""Notebook 7: with the extension, generated cells as in JupyterLab; without it (jupyter-codegen
disabled) the magic's fallback: the code runs under the prompt cell, set_next_input inserts it."""

from __future__ import annotations

from typing import Any

from labpage import Notebook, output_text
from test_generated_cells import SETUP, code_reply

#: Notebook 7.6.5 logs this on every page load, with or without jupyter-codegen (checked with the
#: extension disabled): an upstream settings-registry error, not ours.
NOTEBOOK7_ERRORS = {"Cannot read properties of undefined (reading 'schema')"}


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
    assert [e for e in page.console_errors if e not in NOTEBOOK7_ERRORS] == []


def test_notebook7_with_extension_inserts_and_runs_generated_cell(
    page: Any, notebook_server: Any, gemini: Any
) -> None:
    gemini.enqueue(code_reply("print('notebook seven', 7 * 6)"))
    nb = Notebook.write(page, notebook_server, "nb7.ipynb", [SETUP, "%%gemini\nPrint 7 times 6."])
    nb.open()
    nb.shift_enter(0)
    nb.wait_executed(0)
    nb.shift_enter(1)
    gen = nb.wait_output(2, "notebook seven 42")
    cells = nb.wait_all_idle()
    assert gen["metadata"]["jupyter_codegen"]["prompt_cell_id"] == "cell-1"
    assert "notebook seven 42" not in output_text(cells[1])
    page.locator(".jp-codegen-badge").first.wait_for()
    assert gemini.request_count == 1
    assert [e for e in page.console_errors if e not in NOTEBOOK7_ERRORS] == []
