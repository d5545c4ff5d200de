"""``%%gemini --ui``: both ways end to end on a real InteractiveShell with the scripted backend
(generation, checks, exercise, repair, pins, the choice of way by policy)."""

from __future__ import annotations

import json
from typing import Any

import ipywidgets as widgets
import pytest
from ui_support import DASHBOARD, expr, messages, scripted, ui_shell  # noqa: F401

from jupyter_codegen.errors import CodeFailedError
from jupyter_codegen.notebook.frontend import Placement
from jupyter_codegen.session import session_for
from jupyter_codegen.ui.exercise import live_widgets
from jupyter_codegen.ui.render import SurfaceView
from jupyter_codegen.ui.spec import document_from_cell, is_spec_cell


def fence(code: str) -> str:
    return f"```python\n{code}\n```\n"


def gemini(sh: Any, prompt: str, line: str = "--ui") -> Any:
    return sh.run_cell_magic("gemini", line, prompt)


@pytest.fixture
def inserted(ui_shell: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:  # noqa: F811
    cells: list[str] = []
    monkeypatch.setattr(ui_shell, "set_next_input", lambda text, replace=False: cells.append(text))
    return cells


def surfaces() -> list[Any]:
    return [w.surface for w in live_widgets().values() if isinstance(w, SurfaceView)]


# --- code mode --------------------------------------------------------------------------------

#: The embedded model's habit: an observe handler that expects the value, not the change dict.
WRONG_HANDLER = """\
import ipywidgets as widgets
from IPython.display import display
month = widgets.IntSlider(min=1, max=12, description="Month")
out = widgets.Output()
def show(m):
    with out:
        out.clear_output(wait=True)
        print(sales[sales.month == m + 0].revenue.sum())
month.observe(show, "value")
display(widgets.VBox([month, out]))
"""
RIGHT_HANDLER = WRONG_HANDLER.replace("def show(m):", "def show(change):\n    m = change['new']")


def test_code_mode_exercises_controls_and_repairs_a_wrong_handler(
    ui_shell: Any,  # noqa: F811
    inserted: list[str],
) -> None:
    scripted(ui_shell).push(fence(WRONG_HANDLER), fence(RIGHT_HANDLER))
    gemini(ui_shell, "a month slider showing revenue", "--ui=code")
    first, repair = scripted(ui_shell).requests
    assert first.mode == "ui" and first.response_schema is None
    assert "interactive_output" in first.system and 'change["new"]' in first.system
    error = repair.turns[-1].parts[0].text
    assert "changing IntSlider 'Month' from 1 to 2" in error
    assert "TypeError" in error and "m + 0" in error  # the failing line of the generated code
    assert "change['new']" in error  # the hint
    assert inserted[-1].startswith("import ipywidgets")
    assert "change['new']" in inserted[-1]
    slider = ui_shell.user_ns["month"]
    assert isinstance(slider, widgets.IntSlider) and slider.value == 1  # left as it started
    slider.value = 3  # works now


def test_code_mode_closes_the_widgets_of_a_failed_attempt(ui_shell: Any) -> None:  # noqa: F811
    scripted(ui_shell).push(fence(WRONG_HANDLER), fence(RIGHT_HANDLER))
    before = set(live_widgets())
    gemini(ui_shell, "a month slider", "--ui=code")
    sliders = [
        w
        for key, w in live_widgets().items()
        if key not in before and isinstance(w, widgets.IntSlider)
    ]
    assert len(sliders) == 1  # the broken UI's slider was closed, the repaired one is live


def test_code_mode_requires_widgets(ui_shell: Any) -> None:  # noqa: F811
    scripted(ui_shell).push(
        fence("print(sales.revenue.sum())"),
        fence(
            "import ipywidgets as widgets\nfrom IPython.display import display\n"
            "display(widgets.Checkbox(description='On'))"
        ),  # fmt: skip
    )
    gemini(ui_shell, "a checkbox", "--ui=code")
    assert (
        "displayed no interactive widgets" in scripted(ui_shell).requests[1].turns[-1].parts[0].text
    )


def test_code_mode_pinned_rerun_makes_no_model_call(ui_shell: Any) -> None:  # noqa: F811
    scripted(ui_shell).push(fence(RIGHT_HANDLER))
    gemini(ui_shell, "a month slider", "--ui=code")
    gemini(ui_shell, "a month slider", "--ui=code")
    assert len(scripted(ui_shell).requests) == 1


def test_code_mode_still_failing_says_why(ui_shell: Any) -> None:  # noqa: F811
    scripted(ui_shell).push(*(fence(WRONG_HANDLER) for _ in range(3)))
    with pytest.raises(CodeFailedError, match="Exercising the interface failed"):
        gemini(ui_shell, "a month slider", "--ui=code")


# --- spec mode --------------------------------------------------------------------------------


def test_spec_mode_renders_a_validated_spec_as_the_generated_cell(
    ui_shell: Any,  # noqa: F811
    inserted: list[str],
) -> None:
    scripted(ui_shell).push(json.dumps(DASHBOARD))
    gemini(ui_shell, "region dropdown, month range and a chart for `sales`", "--ui=spec")
    (request,) = scripted(ui_shell).requests
    assert request.mode == "ui_spec"
    assert request.response_schema is not None and request.response_schema["type"] == "array"
    assert "Dropdown(" in request.system and "Plot(" in request.system  # the catalog listing
    assert "sales: pandas.DataFrame" in request.turns[0].parts[0].text
    cell = inserted[-1]
    assert is_spec_cell(cell)
    assert json.loads(document_from_cell(cell) or "") == DASHBOARD
    surface = surfaces()[-1]
    assert surface.errors == {}
    chart = surface.widget("chart").value
    surface.widget("region").value = "East"
    assert surface.data["region"] == "East" and surface.widget("chart").value != chart


def test_spec_mode_bad_spec_gets_one_repair_round_with_the_error(ui_shell: Any) -> None:  # noqa: F811
    bad = json.dumps(DASHBOARD).replace('"Plot"', '"Chart"')
    scripted(ui_shell).push(bad, json.dumps(DASHBOARD))
    gemini(ui_shell, "dashboard", "--ui=spec")
    first, repair = scripted(ui_shell).requests
    assert repair.mode == "ui_spec" and repair.response_schema == first.response_schema
    assert repair.turns[1].role == "model" and repair.turns[1].parts[0].text == bad
    assert "Unrecognized component type 'Chart'" in repair.turns[-1].parts[0].text
    assert surfaces()[-1].errors == {}


def test_spec_mode_gives_up_after_one_repair(ui_shell: Any) -> None:  # noqa: F811
    bad = json.dumps(DASHBOARD).replace('"Plot"', '"Chart"')
    scripted(ui_shell).push(bad, bad, bad)
    with pytest.raises(CodeFailedError, match="Unrecognized component type 'Chart'"):
        gemini(ui_shell, "dashboard", "--ui=spec --max-fixes 3")
    assert len(scripted(ui_shell).requests) == 2


def test_spec_mode_reply_that_is_not_json_is_repaired(ui_shell: Any) -> None:  # noqa: F811
    scripted(ui_shell).push("Sure! I would use a slider.", json.dumps(DASHBOARD))
    gemini(ui_shell, "dashboard", "--ui=spec")
    assert "not a JSON UI spec" in scripted(ui_shell).requests[1].turns[-1].parts[0].text


def test_spec_mode_binding_that_fails_when_exercised_is_repaired(ui_shell: Any) -> None:  # noqa: F811
    def spec(column_expr: str) -> str:
        return json.dumps(
            messages(
                [
                    {"id": "root", "component": "Column", "children": ["col", "v"]},
                    {
                        "id": "col",
                        "component": "Dropdown",
                        "options": ["revenue", "month"],
                        "value": {"path": "/col"},
                    },  # fmt: skip
                    {"id": "v", "component": "Value", "value": expr(column_expr)},
                ],
                {"col": "revenue"},
            )
        )

    broken = spec("sales[col].sum() if col == 'revenue' else sales.nope.sum()")
    scripted(ui_shell).push(broken, spec("sales[col].sum()"))
    gemini(ui_shell, "a column picker with the total", "--ui=spec")
    error = scripted(ui_shell).requests[1].turns[-1].parts[0].text
    assert "a binding failed" in error and "component 'v' (Value)" in error and "nope" in error


def test_spec_mode_pinned_rerun_makes_no_model_call(ui_shell: Any) -> None:  # noqa: F811
    scripted(ui_shell).push(json.dumps(DASHBOARD))
    gemini(ui_shell, "dashboard", "--ui=spec")
    count = len(surfaces())
    gemini(ui_shell, "dashboard", "--ui=spec")
    assert len(scripted(ui_shell).requests) == 1
    assert len(surfaces()) == count + 1


def test_ui_kind_follows_the_policy(ui_shell: Any) -> None:  # noqa: F811
    scripted(ui_shell).push(json.dumps(DASHBOARD), fence(RIGHT_HANDLER))
    gemini(ui_shell, "dashboard", "--ui --policy strict")  # strict: declarative, allowed
    gemini(ui_shell, "a month slider", "--ui")
    spec_request, code_request = scripted(ui_shell).requests
    assert spec_request.mode == "ui_spec" and code_request.mode == "ui"


def test_code_and_spec_answers_are_pinned_apart(ui_shell: Any) -> None:  # noqa: F811
    scripted(ui_shell).push(fence(RIGHT_HANDLER), json.dumps(DASHBOARD))
    gemini(ui_shell, "same words", "--ui=code")
    gemini(ui_shell, "same words", "--ui=spec")
    assert [r.mode for r in scripted(ui_shell).requests] == ["ui", "ui_spec"]


def test_registered_functions_are_offered_and_bound(ui_shell: Any) -> None:  # noqa: F811
    calls: list[str] = []

    def total_for(region: str) -> float:
        """Total revenue of one region."""
        calls.append(region)
        return 42.0

    session_for(ui_shell).functions.add(total_for)
    spec = messages(
        [
            {"id": "root", "component": "Column", "children": ["r", "v"]},
            {
                "id": "r",
                "component": "Dropdown",
                "options": ["North", "East"],
                "value": {"path": "/r"},
            },  # fmt: skip
            {
                "id": "v",
                "component": "Value",
                "value": {"call": "total_for", "args": {"region": {"path": "/r"}}},
            },  # fmt: skip
        ],
        {"r": "North"},
    )
    scripted(ui_shell).push(json.dumps(spec))
    gemini(ui_shell, "total per region", "--ui=spec")
    request = scripted(ui_shell).requests[0]
    assert "total_for(region: str) -> float: Total revenue of one region." in request.system
    assert "total_for" in json.dumps(request.response_schema)
    assert calls[:1] == ["North"] and "East" in calls  # rendered, then exercised
    assert "42" in surfaces()[-1].widget("v").value


# --- a frontend that runs the generated cell itself -------------------------------------------


class PlacingFrontend:
    def __init__(self) -> None:
        self.placed: list[Placement] = []

    def place(self, placement: Placement) -> bool:
        self.placed.append(placement)
        return True


def test_placed_cell_is_exercised_when_the_frontend_runs_it(ui_shell: Any, capsys: Any) -> None:  # noqa: F811
    frontend = PlacingFrontend()
    session_for(ui_shell).frontend = frontend
    scripted(ui_shell).push(fence(WRONG_HANDLER))
    gemini(ui_shell, "a month slider", "--ui=code")
    (placement,) = frontend.placed
    displayed: list[Any] = []
    ui_shell.display_pub.publish = lambda data, **kw: displayed.append(data)  # type: ignore[method-assign]
    try:
        ui_shell.run_cell(placement.code)
    finally:
        del ui_shell.display_pub.publish
    notes = [
        d.get("text/plain", "") for d in displayed if "%%gemini --ui" in d.get("text/plain", "")
    ]
    assert notes and "Exercising the interface failed" in notes[0] and "--regenerate" in notes[0]


def test_registered_function_arguments_are_checked_and_converted(ui_shell: Any) -> None:  # noqa: F811
    seen: list[Any] = []

    def months_of(n: int) -> list[int]:
        """The first n months."""
        seen.append(n)
        return list(range(1, n + 1))

    session_for(ui_shell).functions.add(months_of)

    def spec(n: Any) -> str:
        return json.dumps(
            messages(
                [
                    {"id": "root", "component": "Column", "children": ["v"]},
                    {
                        "id": "v",
                        "component": "Value",
                        "value": {"call": "months_of", "args": {"n": n}},
                    },  # fmt: skip
                ]
            )
        )

    scripted(ui_shell).push(spec("three"), spec(3.0))
    gemini(ui_shell, "the first months", "--ui=spec")
    error = scripted(ui_shell).requests[1].turns[-1].parts[0].text
    assert "component 'v' (Value)" in error and "n" in error
    assert seen == [3] and isinstance(seen[0], int)  # 3.0 arrived as the int it declares


def test_code_mode_samples_no_candidates_even_where_sampling_is_cheap(
    ui_shell: Any,  # noqa: F811
) -> None:
    """Widgets built in a copy of the kernel print and bind alike whether they work or not:
    one candidate, exercised live (core/selection.py samples only for code mode)."""
    from jupyter_codegen.model.backends.scripted import LOCAL_LIKE

    scripted(ui_shell).capabilities = LOCAL_LIKE
    scripted(ui_shell).push(fence(RIGHT_HANDLER))
    gemini(ui_shell, "a month slider", "--ui=code")
    assert len(scripted(ui_shell).requests) == 1
