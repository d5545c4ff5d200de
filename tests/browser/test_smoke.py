"""JupyterLab loads with the extension; its sidebar opens and shows the notebook's kernel."""

from __future__ import annotations

from typing import Any

from labpage import Notebook, open_sidebar

PANEL_ID = "jupyter-codegen-panel"


def test_lab_loads_and_sidebar_opens(page: Any, lab_server: Any) -> None:
    nb = Notebook.write(page, lab_server, "smoke.ipynb", ["1 + 1"]).open()
    panel = open_sidebar(page, PANEL_ID)
    panel.get_by_text("smoke.ipynb").wait_for()
    panel.locator("[data-codegen=status]").get_by_text("Python 3").wait_for()
    nb.shift_enter(0)
    assert "2" in nb.wait_executed(0)["outputs"][0]["data"]["text/plain"]
    assert page.console_errors == []
