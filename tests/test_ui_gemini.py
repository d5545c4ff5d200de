"""``%%gemini --ui`` with the real google-genai SDK against the local Gemini REST server: both
ways, the structured-output request of the declarative way, and repair over HTTP."""

from __future__ import annotations

import json
from typing import Any

import pytest
from gemini_server import GeminiTestServer, text
from ui_support import DASHBOARD, ui_shell  # noqa: F401

from jupyter_codegen.config import DEFAULT_GEMINI_MODEL
from jupyter_codegen.session import session_for
from jupyter_codegen.ui.exercise import live_widgets
from jupyter_codegen.ui.render import SurfaceView

WRONG = """\
import ipywidgets as widgets
from IPython.display import display
year = widgets.IntSlider(min=2023, max=2024, description="Year")
out = widgets.Output()
def show(y):
    with out:
        out.clear_output(wait=True)
        print(sales[sales.year == y + 0].revenue.sum())
year.observe(show, "value")
display(widgets.VBox([year, out]))
"""
RIGHT = """\
import ipywidgets as widgets
from IPython.display import display

year = widgets.IntSlider(min=2023, max=2024, description="Year", continuous_update=False)

def show(year):
    print(sales[sales.year == year].revenue.sum())

out = widgets.interactive_output(show, {"year": year})
display(widgets.VBox([year, out]))
"""


@pytest.fixture
def gemini_ui(ui_shell: Any, gemini_env: GeminiTestServer) -> Any:  # noqa: F811
    session = session_for(ui_shell)
    session.config.model = DEFAULT_GEMINI_MODEL
    session.backends.clear()
    return ui_shell


def fenced(code: str) -> str:
    return f"Here is the interface.\n```python\n{code}```\n"


def test_code_mode_over_http_repairs_after_the_exercise(
    gemini_ui: Any, gemini_env: GeminiTestServer
) -> None:
    gemini_env.enqueue(text(fenced(WRONG), chunks=3), text(fenced(RIGHT)))
    gemini_ui.run_cell_magic("gemini", "--ui=code", "a year slider with the total revenue")
    first, second = gemini_env.requests
    assert first.stream and "ipywidgets 8" in first.system_text
    assert first.get("generationConfig", "responseJsonSchema") is None
    assert "Task (build an interactive ipywidgets interface)" in first.last_user_text
    repair = second.last_user_text
    assert "Exercising the interface failed" in repair and "TypeError" in repair
    assert [c["role"] for c in second.contents] == ["user", "model", "user"]
    assert isinstance(gemini_ui.user_ns["year"].value, int)


def test_spec_mode_asks_for_structured_output(gemini_ui: Any, gemini_env: GeminiTestServer) -> None:
    gemini_env.enqueue(text(json.dumps(DASHBOARD), chunks=5))
    gemini_ui.run_cell_magic("gemini", "--ui=spec", "a region dashboard for `sales`")
    (request,) = gemini_env.requests
    config = request.get("generationConfig")
    assert request.get("generationConfig", "responseMimeType") == "application/json"
    schema = request.get("generationConfig", "responseJsonSchema")
    assert schema["type"] == "array" and "ComponentPlot" in schema["$defs"], config
    assert not request.function_declarations  # functions are bound in the spec, not called
    assert "A2UI v0.9" in request.system_text and "Plot(" in request.system_text
    surfaces = [w.surface for w in live_widgets().values() if isinstance(w, SurfaceView)]
    assert surfaces and surfaces[-1].errors == {}
    assert surfaces[-1].widget("chart").value[:4] == b"\x89PNG"


def test_spec_mode_repair_over_http_keeps_the_schema(
    gemini_ui: Any, gemini_env: GeminiTestServer
) -> None:
    bad = json.dumps(DASHBOARD).replace('"RangeSlider"', '"DoubleSlider"')
    gemini_env.enqueue(text(bad), text(json.dumps(DASHBOARD)))
    gemini_ui.run_cell_magic("gemini", "--ui=spec", "a region dashboard for `sales`")
    first, second = gemini_env.requests
    assert second.get("generationConfig", "responseJsonSchema") == first.get(
        "generationConfig", "responseJsonSchema"
    )
    assert "Unrecognized component type 'DoubleSlider'" in second.last_user_text
    assert second.contents[1]["parts"][0]["text"] == bad


def test_strict_policy_picks_the_declarative_way(
    gemini_ui: Any, gemini_env: GeminiTestServer
) -> None:
    gemini_env.enqueue(text(json.dumps(DASHBOARD)))
    gemini_ui.run_cell_magic("gemini", "--ui --policy strict", "a region dashboard for `sales`")
    (request,) = gemini_env.requests
    assert request.get("generationConfig", "responseMimeType") == "application/json"
