"""MCP servers in JupyterLab: the sidebar lists each server bound in the kernel, its state and
its tools, and a prompt cell's loop over the tools runs in the generated cell (one request)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from gemini_server import text
from labpage import Notebook, open_sidebar
from test_panel import PANEL_ID

ROOT = Path(__file__).resolve().parents[2]
STATIONS = ROOT / "notebooks" / "weather_stations_server.py"
RULES = json.loads((ROOT / "notebooks" / "mcp_rules.json").read_text())
PROMPT = (
    "For every station of the `weather` server, average its daily temperature over days 1 to 7 "
    "and print the warmest station and its average."
)


def test_the_sidebar_lists_mcp_servers_and_a_loop_over_their_tools_runs(
    page: Any, lab_server: Any, gemini: Any
) -> None:
    loop = next(rule["reply"] for rule in RULES if rule["contains"] in PROMPT)
    gemini.enqueue(text(loop))
    nb = Notebook.write(
        page,
        lab_server,
        "mcp_panel.ipynb",
        [
            "%load_ext jupyter_codegen",
            f"%gemini mcp add weather -- {sys.executable} {STATIONS}",
            f"%%gemini\n{PROMPT}",
        ],
    ).open()
    nb.shift_enter(0)
    nb.shift_enter(1)
    nb.wait_output(1, "weather")
    panel = open_sidebar(page, PANEL_ID)
    server = panel.locator("[data-codegen=mcp] [data-codegen-mcp=weather]")
    server.get_by_text("weather.daily_temperature(station: str, day: int) -> float").wait_for()
    assert server.get_attribute("data-codegen-mcp-state") == "running"
    assert str(STATIONS) in server.inner_text()
    assert "weather.delete_station(station: str) -> bool" in server.inner_text()

    nb.shift_enter(2)
    gen = nb.wait_output(3, "Warmest: lima")
    assert gen["metadata"]["jupyter_codegen"]["prompt_cell_id"] == nb.cells()[2]["id"]
    assert gemini.request_count == 1
    # The request described the tools as stubs; the server object is not a variable.
    body = json.dumps(gemini.requests[0].body)
    assert "weather.daily_temperature(station: str, day: int) -> float" in body
    panel.locator("[data-codegen=history]").get_by_text("For every station").first.wait_for()
    server.scroll_into_view_if_needed()  # for the screenshot
    assert page.console_errors == []
