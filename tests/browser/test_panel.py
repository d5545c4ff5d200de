"""The Codegen sidebar: it connects to the notebook's kernel, chats through the kernel's engine
(same context as a prompt cell), inserts the code it gets; and the dark theme."""

from __future__ import annotations

import json
from typing import Any

from gemini_server import text
from labpage import Notebook, ask_the_sidebar, open_sidebar
from test_generated_cells import SETUP

PANEL_ID = "jupyter-codegen-panel"
CODE = "print('from chat', len(sales))"


def test_panel_chats_and_inserts_code(page: Any, lab_server: Any, gemini: Any) -> None:
    gemini.enqueue(text("Count the rows:\n```python\n", CODE, "\n```\n"))
    nb = Notebook.write(page, lab_server, "panel.ipynb", [SETUP]).open()
    nb.shift_enter(0)  # adds an empty cell below and selects it
    nb.wait_executed(0)
    panel, reply = ask_the_sidebar(page, PANEL_ID, "How many rows does sales have?")
    assert CODE in reply.inner_text()
    reply.locator("[data-codegen-action=insert-run]").click()

    # Inserted below the active (empty) cell, selected, run in the kernel.
    nb.wait("(panel) => panel.content.model.sharedModel.cells.length === 3")
    inserted = nb.wait_output(2, "from chat 3")
    assert inserted["source"] == CODE
    assert nb.eval("(panel) => panel.content.activeCellIndex") == 2

    # The same engine and context as a prompt cell: the request saw the live DataFrame.
    body = json.dumps(gemini.requests[0].body)
    assert "How many rows" in body and "revenue" in body
    panel.locator("[data-codegen=history]").get_by_text("How many rows").first.wait_for()
    panel.locator("[data-codegen=status]").get_by_text("gemini-3.8-flash").first.wait_for()
    assert page.console_errors == []


def test_dark_theme(page: Any, lab_server: Any, gemini: Any) -> None:
    """Badge and sidebar in JupyterLab Dark (look at the screenshot)."""
    gemini.enqueue(text("```python\n", "print('dark', 1 + 1)", "\n```\n"))
    nb = Notebook.write(
        page, lab_server, "dark.ipynb", [SETUP, "%%gemini\nPrint one plus one."]
    ).open()
    nb.command("apputils:change-theme", {"theme": "JupyterLab Dark"})
    try:
        page.locator('body[data-jp-theme-name="JupyterLab Dark"]').wait_for(state="attached")
        nb.shift_enter(0)
        nb.wait_executed(0)
        nb.shift_enter(1)
        nb.wait_output(2, "dark 2")
        nb.wait_all_idle()
        panel = open_sidebar(page, PANEL_ID)
        panel.locator("[data-codegen=history]").get_by_text("Print one plus one").first.wait_for()
        page.locator(".jp-codegen-badge").first.wait_for()
        background = page.evaluate(
            """() => getComputedStyle(document.querySelector('.jp-codegen-panel'))
                 .backgroundColor"""
        )
        red = int(background.split("(")[1].split(",")[0])
        assert red < 100, background  # a dark background, from the theme's variables
        page.screenshot(path=str(_artifact("test_dark_theme_panel.png")))
        assert page.console_errors == []
    finally:
        nb.command("apputils:change-theme", {"theme": "JupyterLab Light"})
        page.locator('body[data-jp-theme-name="JupyterLab Light"]').wait_for(state="attached")


def _artifact(name: str) -> Any:
    from conftest import ARTIFACTS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / name
