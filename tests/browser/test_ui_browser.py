"""A generated UI in a real browser: move the slider with the mouse, the plot redraws in place.

In JupyterLab (the extension runs the generated cell) and in Notebook 7 without the extension (the
kernel's fallback renders under the prompt cell). Screenshots before and after the move are saved
under tests/artifacts/ (ui_slider_before_<app>.png, ui_slider_after_<app>.png), besides the
fixture's own end-of-test screenshot.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from gemini_server import text
from labpage import Notebook
from test_fallback import NOTEBOOK7_ERRORS

from jupyter_codegen.ui.catalog import CATALOG_ID

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
SETUP = (
    "%load_ext jupyter_codegen\n"
    "import pandas as pd\n"
    "sales = pd.DataFrame({'month': list(range(1, 13)) * 2,\n"
    "                      'region': ['North'] * 12 + ['South'] * 12,\n"
    "                      'revenue': [100.0 + 10 * i for i in range(24)]})"
)
PROMPT = (
    "%%gemini --ui=spec\nA month slider and a bar chart of revenue up to that month, and the total."
)
SELECTED = "sales[sales.month <= month]"
SPEC = [
    {"version": "v0.9", "createSurface": {"surfaceId": "main", "catalogId": CATALOG_ID}},
    {
        "version": "v0.9",
        "updateComponents": {
            "surfaceId": "main",
            "components": [
                {"id": "root", "component": "Column", "children": ["month", "chart", "total"]},
                {
                    "id": "month",
                    "component": "Slider",
                    "label": "Up to month",
                    "min": 1,
                    "max": 12,
                    "value": {"path": "/month"},
                },
                {
                    "id": "chart",
                    "component": "Plot",
                    "kind": "bar",
                    "data": {
                        "call": "expr",
                        "args": {"expr": f"{SELECTED}.groupby('month').revenue.sum()"},
                    },
                    "title": "Revenue by month",
                },
                {
                    "id": "total",
                    "component": "Value",
                    "label": "Total",
                    "value": {"call": "expr", "args": {"expr": f"{SELECTED}.revenue.sum()"}},
                    "format": ",.0f",
                },
            ],
        },
    },
    {
        "version": "v0.9",
        "updateDataModel": {"surfaceId": "main", "path": "/", "value": {"month": 3}},
    },
]
SURFACE = ".jupyter-codegen-a2ui"


def _total(month: int) -> float:
    """The revenue of months 1 to ``month``, both regions (as SETUP builds ``sales``)."""
    return sum(100.0 + 10 * i for i in range(24) if i % 12 + 1 <= month)


def _image_src(page: Any) -> str:
    return str(page.locator(f"{SURFACE} img").first.get_attribute("src") or "")


@pytest.mark.parametrize(
    ("server_fixture", "app"),
    [("lab_server", "lab"), ("notebook_server_without_extension", "notebook7-fallback")],
)
def test_moving_the_slider_redraws_the_plot(
    page: Any, gemini: Any, request: pytest.FixtureRequest, server_fixture: str, app: str
) -> None:
    server = request.getfixturevalue(server_fixture)
    gemini.enqueue(text(json.dumps(SPEC)))
    nb = Notebook.write(page, server, f"ui-{app}.ipynb", [SETUP, PROMPT]).open()
    nb.run_all()
    nb.wait_all_idle()  # the UI was exercised once after its cell ran: it is back as it was
    surface = page.locator(SURFACE).first
    surface.wait_for(state="visible")
    page.locator(f"{SURFACE} img").first.wait_for(state="visible")
    page.wait_for_function(
        f"() => (document.querySelector('{SURFACE} img') || {{}}).naturalWidth > 0"
    )
    surface.scroll_into_view_if_needed()
    total = page.locator(f"{SURFACE} .widget-html-content", has_text="Total").first
    total.wait_for()
    assert page.locator(f"{SURFACE} .widget-readout").first.inner_text() == "3"
    assert "updating" not in surface.inner_text()
    assert f"{_total(3):,.0f}" in total.inner_text()
    before = _image_src(page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    surface.screenshot(path=str(ARTIFACTS / f"ui_slider_before_{app}.png"))

    # Drag the slider's handle to the right, as a user would.
    handle = page.locator(f"{SURFACE} .noUi-handle").first
    box = handle.bounding_box()
    track = page.locator(f"{SURFACE} .noUi-target").first.bounding_box()
    assert box is not None and track is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(track["x"] + track["width"] * 0.75, box["y"] + box["height"] / 2, steps=8)
    page.mouse.up()

    page.wait_for_function(
        "([sel, before]) => { const img = document.querySelector(sel + ' img');"
        " return img && img.src !== before && img.naturalWidth > 0; }",
        arg=[SURFACE, before],
    )
    readout = page.locator(f"{SURFACE} .widget-readout").first.inner_text()
    month = int(readout)
    assert month > 3
    expected = f"{_total(month):.0f}"
    page.wait_for_function(
        "([sel, want]) => Array.from(document.querySelectorAll(sel + ' .widget-html-content'))"
        ".some(e => e.innerText.replace(/,/g, '').includes(want))",
        arg=[SURFACE, expected],
    )
    surface.screenshot(path=str(ARTIFACTS / f"ui_slider_after_{app}.png"))
    assert _image_src(page) != before
    # Updated in place: one surface, one picture, however often the slider moves.
    assert page.locator(SURFACE).count() == 1
    assert page.locator(f"{SURFACE} img").count() == 1
    assert gemini.request_count == 1
    assert [e for e in page.console_errors if e not in NOTEBOOK7_ERRORS] == []
