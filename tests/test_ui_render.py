"""Rendering A2UI specs to ipywidgets: every control, output and layout, driven programmatically
(set values, click buttons), asserting on the bound functions' calls and on the outputs."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import ipywidgets as widgets
import matplotlib
import pytest
from matplotlib.figure import Figure
from ui_support import DASHBOARD, expr, messages, sales_frame, ui_shell  # noqa: F401

from jupyter_codegen.ui.exercise import exercise
from jupyter_codegen.ui.plots import plot_png
from jupyter_codegen.ui.render import Surface, SurfaceView
from jupyter_codegen.ui.spec import SpecError, check_spec, format_document
from jupyter_codegen.ui.tables import markdown_html, table_html

matplotlib.use("Agg")


def render(
    msgs: list[dict[str, Any]],
    functions: dict[str, Any] | None = None,
    namespace: dict[str, Any] | None = None,
) -> Surface:
    ns = {"sales": sales_frame()} if namespace is None else namespace
    spec = check_spec(msgs, namespace=ns, functions=functions or {})
    return Surface(spec, ns, functions or {})


def one(
    control: dict[str, Any], data: dict[str, Any] | None = None, path: str = "/x", **extra: Any
) -> Surface:
    """A surface with ``control`` and a Value showing the variable at ``path``."""
    components = [
        {"id": "root", "component": "Column", "children": [control["id"], "shown"]},
        control,
        {"id": "shown", "component": "Value", "value": {"path": path}},
    ]
    return render(messages(components, data), **extra)


def shown(surface: Surface) -> str:
    return str(surface.widget("shown").value)


# --- the dashboard ----------------------------------------------------------------------------


def test_dashboard_renders_and_updates_in_place() -> None:
    surface = render(copy.deepcopy(DASHBOARD))
    assert isinstance(surface.view, SurfaceView) and surface.view.surface is surface
    assert surface.errors == {}
    chart, total = surface.widget("chart"), surface.widget("total")
    assert isinstance(chart, widgets.Image)
    first = chart.value
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    north_total = total.value

    surface.widget("region").value = "South"
    assert surface.data["region"] == "South"
    assert surface.widget("chart") is chart  # the same widget, a new picture: no pile-up
    assert chart.value != first
    assert total.value != north_total
    south = chart.value

    surface.widget("months").value = (3, 4)
    assert surface.data["months"] == [3, 4]
    assert chart.value != south
    assert surface.errors == {}


def test_only_outputs_that_read_a_variable_are_recomputed() -> None:
    calls: list[tuple[str, int]] = []

    def report(region: str, n: int = 0) -> str:
        calls.append((region, n))
        return f"{region}:{n}"

    components = [
        {"id": "root", "component": "Column", "children": ["region", "n", "out"]},
        {"id": "region", "component": "Dropdown", "options": ["a", "b"], "value": {"path": "/r"}},
        {"id": "n", "component": "Slider", "min": 0, "max": 9, "value": {"path": "/n"}},
        {
            "id": "out",
            "component": "Text",
            "text": {"call": "report", "args": {"region": {"path": "/r"}}},
        },
    ]
    surface = render(messages(components, {"r": "a", "n": 1}), {"report": report})
    assert calls == [("a", 0)]
    surface.widget("n").value = 5  # `out` does not read n
    assert calls == [("a", 0)]
    surface.widget("region").value = "b"
    assert calls == [("a", 0), ("b", 0)]
    assert "b:0" in surface.widget("out").value


# --- every control ----------------------------------------------------------------------------


def test_int_and_float_sliders() -> None:
    surface = one({"id": "s", "component": "Slider", "label": "Year", "min": 2000, "max": 2024,
                   "value": {"path": "/x"}}, {"x": 2010})  # fmt: skip
    slider = surface.widget("s")
    assert isinstance(slider, widgets.IntSlider) and slider.value == 2010
    assert slider.description == "Year" and not slider.continuous_update
    slider.value = 2020
    assert surface.data["x"] == 2020 and "2020" in shown(surface)

    surface = one({"id": "s", "component": "Slider", "min": 0, "max": 1, "value": 0.5}, path="/s")
    slider = surface.widget("s")
    assert isinstance(slider, widgets.FloatSlider)
    assert surface.data["s"] == 0.5  # a literal value is bound to /<id>


def test_range_sliders_numbers_and_dates() -> None:
    surface = one({"id": "r", "component": "RangeSlider", "min": 0, "max": 10,
                   "value": {"path": "/x"}}, {"x": [2, 8]})  # fmt: skip
    rng = surface.widget("r")
    assert isinstance(rng, widgets.IntRangeSlider) and rng.value == (2, 8)
    rng.value = (3, 5)
    assert surface.data["x"] == [3, 5] and "[3, 5]" in shown(surface)

    surface = one(
        {
            "id": "r",
            "component": "RangeSlider",
            "options": expr("sorted(sales.date.unique())"),
            "value": {"path": "/x"},
        }
    )
    dates = surface.widget("r")
    assert isinstance(dates, widgets.SelectionRangeSlider)
    assert surface.data["x"] == [dates.options[0][1], dates.options[-1][1]]
    dates.index = (1, 2)
    assert surface.data["x"] == [dates.options[1][1], dates.options[2][1]]


def test_dropdown_with_options_from_the_data() -> None:
    surface = one({"id": "d", "component": "Dropdown", "label": "Region",
                   "options": expr("sorted(sales.region.unique())"), "value": {"path": "/x"}},
                  {"x": "South"})  # fmt: skip
    dropdown = surface.widget("d")
    assert isinstance(dropdown, widgets.Dropdown)
    assert [v for _, v in dropdown.options] == ["East", "North", "South"]
    assert dropdown.value == "South"
    dropdown.value = "East"
    assert surface.data["x"] == "East" and "East" in shown(surface)


def test_choice_picker_single_and_multiple() -> None:
    options = [{"label": "Red", "value": "r"}, {"label": "Green", "value": "g"}]
    surface = one({"id": "c", "component": "ChoicePicker", "options": options,
                   "value": {"path": "/x"}}, {"x": ["g"]})  # fmt: skip
    single = surface.widget("c")
    assert isinstance(single, widgets.Dropdown) and single.value == "g"
    single.value = "r"
    assert surface.data["x"] == ["r"]

    surface = one({"id": "c", "component": "ChoicePicker", "variant": "multipleSelection",
                   "options": options, "value": {"path": "/x"}}, {"x": []})  # fmt: skip
    multi = surface.widget("c")
    assert isinstance(multi, widgets.SelectMultiple)
    multi.value = ("r", "g")
    assert surface.data["x"] == ["r", "g"]


def test_checkbox() -> None:
    surface = one({"id": "c", "component": "CheckBox", "label": "Log scale",
                   "value": {"path": "/x"}}, {"x": False})  # fmt: skip
    box = surface.widget("c")
    assert isinstance(box, widgets.Checkbox) and box.description == "Log scale"
    box.value = True
    assert surface.data["x"] is True and "True" in shown(surface)


@pytest.mark.parametrize(
    ("variant", "cls", "value", "typed"),
    [
        (None, widgets.Text, "Oslo", "Bergen"),
        ("longText", widgets.Textarea, "a", "a\nb"),
        ("obscured", widgets.Password, "", "hunter2"),
        ("number", widgets.FloatText, 1.5, 2.5),
    ],
)
def test_text_fields(variant: str | None, cls: type, value: Any, typed: Any) -> None:
    control: dict[str, Any] = {"id": "t", "component": "TextField", "label": "City",
                               "value": {"path": "/x"}}  # fmt: skip
    if variant:
        control["variant"] = variant
    surface = one(control, {"x": value})
    field = surface.widget("t")
    assert isinstance(field, cls) and field.value == value
    field.value = typed
    assert surface.data["x"] == typed


def test_date_time_and_datetime_inputs() -> None:
    # min/max are bound: A2UI v0.9's schema rejects literal dates there (a oneOf of formats).
    surface = one({"id": "d", "component": "DateTimeInput", "enableDate": True,
                   "min": {"path": "/lo"}, "value": {"path": "/x"}},
                  {"x": "2024-03-01", "lo": "2024-01-01"})  # fmt: skip
    picker = surface.widget("d")
    assert isinstance(picker, widgets.DatePicker) and picker.value == dt.date(2024, 3, 1)
    assert picker.min == dt.date(2024, 1, 1)
    picker.value = dt.date(2024, 4, 2)
    assert surface.data["x"] == "2024-04-02" and "2024-04-02" in shown(surface)

    surface = one({"id": "d", "component": "DateTimeInput", "enableTime": True,
                   "value": {"path": "/x"}}, {"x": "09:30:00"})  # fmt: skip
    assert isinstance(surface.widget("d"), widgets.TimePicker)
    surface.widget("d").value = dt.time(10, 0)
    assert surface.data["x"] == "10:00:00"

    surface = one({"id": "d", "component": "DateTimeInput", "enableDate": True,
                   "enableTime": True, "value": {"path": "/x"}},
                  {"x": "2024-03-01T08:00:00"})  # fmt: skip
    assert isinstance(surface.widget("d"), widgets.NaiveDatetimePicker)
    assert surface.widget("d").value == dt.datetime(2024, 3, 1, 8)


def test_button_calls_the_registered_function_with_current_values() -> None:
    calls: list[dict[str, Any]] = []

    def forecast(city: str, days: int = 3) -> dict[str, Any]:
        calls.append({"city": city, "days": days})
        return {"city": city, "temp": 21}

    components = [
        {"id": "root", "component": "Column", "children": ["city", "go", "result"]},
        {"id": "city", "component": "TextField", "label": "City", "value": {"path": "/city"}},
        {
            "id": "go",
            "component": "Button",
            "child": "go_label",
            "variant": "primary",
            "action": {
                "functionCall": {"call": "forecast", "args": {"city": {"path": "/city"}, "days": 5}}
            },
        },
        {"id": "go_label", "component": "Text", "text": "Forecast"},
        {"id": "result", "component": "Table", "data": {"path": "/go"}},
    ]
    surface = render(messages(components, {"city": "Oslo"}), {"forecast": forecast})
    button = surface.widget("go")
    assert isinstance(button, widgets.Button)
    assert button.description == "Forecast" and button.button_style == "primary"
    assert calls == []
    surface.widget("city").value = "Bergen"
    button.click()
    assert calls == [{"city": "Bergen", "days": 5}]
    assert surface.data["go"] == {"city": "Bergen", "temp": 21}
    assert "Bergen" in surface.widget("result").value
    assert not button.disabled and button.description == "Forecast"


def test_button_event_is_recorded_or_runs_the_function_of_that_name() -> None:
    components = [
        {"id": "root", "component": "Row", "children": ["b"]},
        {
            "id": "b",
            "component": "Button",
            "child": "t",
            "action": {"event": {"name": "refresh", "context": {"n": {"path": "/n"}}}},
        },
        {"id": "t", "component": "Text", "text": "Refresh"},
    ]
    surface = render(messages(components, {"n": 2}))
    surface.click("b")
    assert surface.events == [("refresh", {"n": 2})]
    seen: list[int] = []
    surface = render(messages(components, {"n": 2}), {"refresh": lambda n: seen.append(n)})
    surface.click("b")
    assert seen == [2] and surface.events == []


# --- outputs and layouts ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["line", "bar", "barh", "scatter", "hist", "area", "pie"])
def test_plot_kinds(kind: str) -> None:
    data = expr("sales.groupby('month').revenue.sum().reset_index()")
    plot = {"id": "p", "component": "Plot", "kind": kind, "data": data, "title": "Revenue"}
    if kind in ("line", "bar", "barh", "area", "pie"):
        plot.update(x="month", y="revenue")
    surface = render(messages([{"id": "root", "component": "Column", "children": ["p"]}, plot]))
    assert surface.errors == {}
    assert surface.widget("p").value[:4] == b"\x89PNG"


def test_plot_of_lists_dicts_and_figures() -> None:
    assert plot_png([1, 3, 2])[:4] == b"\x89PNG"
    assert plot_png({"a": 1, "b": 2}, kind="bar")[:4] == b"\x89PNG"
    figure = Figure()
    figure.subplots().plot([1, 2])
    assert plot_png(figure)[:4] == b"\x89PNG"
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([1, 2])
    plot_png(ax)  # an Axes from pyplot: drawn, then closed so the cell does not show it again
    assert fig.number not in plt.get_fignums()


def test_plot_from_a_registered_function_returning_a_figure() -> None:
    def chart(n: int) -> Figure:
        figure = Figure()
        figure.subplots().plot(range(n))
        return figure

    components = [
        {"id": "root", "component": "Column", "children": ["n", "p"]},
        {"id": "n", "component": "Slider", "min": 2, "max": 10, "value": {"path": "/n"}},
        {"id": "p", "component": "Plot", "data": {"call": "chart", "args": {"n": {"path": "/n"}}}},
    ]
    surface = render(messages(components, {"n": 3}), {"chart": chart})
    before = surface.widget("p").value
    surface.widget("n").value = 9
    assert surface.widget("p").value != before


def test_tables_values_and_text_escape_html() -> None:
    frame = sales_frame().head(3)
    frame.loc[0, "region"] = "<script>alert(1)</script>"
    html = table_html(frame, "Top")
    assert "<script>" not in html and "&lt;script&gt;" in html and "Top" in html
    assert "1" in table_html([{"a": 1}]) and "<td>2</td>" in table_html({"k": 2})
    assert "<img" not in markdown_html('hi <img src=x onerror="alert(1)">')
    assert "<strong>bold</strong>" in markdown_html("**bold**")
    components = [
        {"id": "root", "component": "Column", "children": ["h", "v", "t"]},
        {"id": "h", "component": "Text", "text": "Title <b>x</b>", "variant": "h2"},
        {"id": "v", "component": "Value", "label": "Share", "value": 0.256, "format": ".1%"},
        {"id": "t", "component": "Table", "data": expr("sales.head(2)"), "maxRows": 1},
    ]
    surface = render(messages(components))
    assert surface.widget("h").value.startswith("<h2") and "&lt;b&gt;" in surface.widget("h").value
    assert "25.6%" in surface.widget("v").value and "Share" in surface.widget("v").value
    assert "<table" in surface.widget("t").value


def test_layouts() -> None:
    components = [
        {"id": "root", "component": "Column", "children": ["row", "tabs", "div", "card"]},
        {"id": "row", "component": "Row", "children": ["a", "b"], "justify": "spaceBetween"},
        {"id": "a", "component": "Text", "text": "A", "weight": 2},
        {"id": "b", "component": "Text", "text": "B"},
        {
            "id": "tabs",
            "component": "Tabs",
            "tabs": [{"title": "One", "child": "c"}, {"title": "Two", "child": "d"}],
        },
        {"id": "c", "component": "Text", "text": "C"},
        {"id": "d", "component": "Text", "text": "D"},
        {"id": "div", "component": "Divider"},
        {"id": "card", "component": "Card", "child": "e"},
        {"id": "e", "component": "Text", "text": "E"},
    ]
    surface = render(messages(components))
    root = surface.view.children[0]
    assert isinstance(root, widgets.VBox)
    row, tabs, divider, card = root.children
    assert isinstance(row, widgets.HBox) and row.layout.justify_content == "space-between"
    assert row.children[0].layout.flex == "2 1 0%"
    assert isinstance(tabs, widgets.Tab) and tabs.titles == ("One", "Two")
    assert isinstance(divider, widgets.HTML) and "<hr" in divider.value
    assert isinstance(card, widgets.Box) and card.layout.border


# --- errors and the busy state ----------------------------------------------------------------


def test_errors_show_in_the_widget_and_clear_when_fixed() -> None:
    components = [
        {"id": "root", "component": "Column", "children": ["col", "v"]},
        {
            "id": "col",
            "component": "Dropdown",
            "options": ["revenue", "nope"],
            "value": {"path": "/col"},
        },  # fmt: skip
        {"id": "v", "component": "Value", "value": expr("sales[col].sum()")},
    ]
    surface = render(messages(components, {"col": "revenue"}))
    box = surface.view.children[0].children[1]  # the Value's box: content, error line
    error_line = box.children[1]
    assert surface.errors == {} and error_line.layout.display == "none"
    surface.widget("col").value = "nope"
    assert "KeyError" in surface.errors["v"]
    assert error_line.layout.display == "" and "KeyError" in error_line.value
    surface.widget("col").value = "revenue"
    assert surface.errors == {} and error_line.layout.display == "none"
    assert [cid for cid, _ in surface.error_log] == ["v"]


def test_failing_button_shows_its_error_and_recovers() -> None:
    def boom() -> None:
        raise RuntimeError("service down")

    components = [
        {"id": "root", "component": "Row", "children": ["b"]},
        {
            "id": "b",
            "component": "Button",
            "child": "t",
            "action": {"functionCall": {"call": "boom", "args": {}}},
        },  # fmt: skip
        {"id": "t", "component": "Text", "text": "Go"},
    ]
    surface = render(messages(components), {"boom": boom})
    surface.click("b")
    assert "service down" in surface.errors["b"]
    assert "service down" in surface.status.value
    assert not surface.widget("b").disabled


def test_busy_state_while_a_callback_runs() -> None:
    seen: list[str] = []
    holder: dict[str, Surface] = {}

    def slow(n: int) -> int:
        if "s" in holder:
            seen.append(holder["s"].status.value)
            seen.append(holder["s"].widget("b").description)
        return n

    components = [
        {"id": "root", "component": "Column", "children": ["n", "v", "b"]},
        {"id": "n", "component": "Slider", "min": 0, "max": 5, "value": {"path": "/n"}},
        {"id": "v", "component": "Value", "value": {"call": "slow", "args": {"n": {"path": "/n"}}}},
        {
            "id": "b",
            "component": "Button",
            "child": "t",
            "action": {"functionCall": {"call": "slow", "args": {"n": 1}}},
        },  # fmt: skip
        {"id": "t", "component": "Text", "text": "Run"},
    ]
    surface = render(messages(components, {"n": 1}), {"slow": slow})
    holder["s"] = surface
    surface.widget("n").value = 2
    assert "⏳" in seen[0] and "updating v" in seen[0]
    seen.clear()
    surface.click("b")
    assert "⏳" in seen[0] and "running Run" in seen[0] and seen[1] == "Run …"
    assert surface.status.value == ""  # idle again


def test_set_value_updates_controls_and_outputs() -> None:
    surface = render(copy.deepcopy(DASHBOARD))
    surface.set_value("/region", "East")
    assert surface.widget("region").value == "East"
    assert surface.get_value("/region") == "East"


def test_exercise_leaves_a_surface_as_it_was() -> None:
    surface = render(copy.deepcopy(DASHBOARD))
    before = (copy.deepcopy(surface.data), surface.widget("chart").value)
    assert exercise(surface.controls()) == []
    assert surface.data == before[0]
    assert surface.widget("chart").value == before[1]
    assert surface.errors == {}


# --- render_a2ui in a shell -------------------------------------------------------------------


def test_render_a2ui_in_a_shell(ui_shell: Any) -> None:  # noqa: F811
    from jupyter_codegen.ui import render_a2ui

    surface = render_a2ui(format_document(DASHBOARD))
    assert surface.widget("region").value == "North"
    ui_shell.user_ns["sales"] = ui_shell.user_ns["sales"].assign(revenue=0.0)
    surface.widget("region").value = "South"  # expressions read the kernel's current data
    assert "0.0" in surface.widget("total").value
    with pytest.raises(SpecError, match="Unrecognized component type 'Chart'"):
        render_a2ui(format_document(DASHBOARD).replace('"Plot"', '"Chart"'))


def test_outputs_of_nothing_yet_show_a_dash_or_an_empty_chart() -> None:
    assert "—" in table_html(None) and "—" in value_html_of(None)
    assert plot_png(None)[:4] == b"\x89PNG"


def value_html_of(value: Any) -> str:
    from jupyter_codegen.ui.tables import value_html

    return value_html(value, "label")


def test_exercising_buttons_leaves_no_result_behind() -> None:
    components = [
        {"id": "root", "component": "Column", "children": ["b", "shown"]},
        {
            "id": "b",
            "component": "Button",
            "child": "t",
            "action": {"event": {"name": "ping", "context": {"n": 1}}},
        },  # fmt: skip
        {"id": "t", "component": "Text", "text": "Ping"},
        {"id": "shown", "component": "Table", "data": {"path": "/b"}},
    ]
    surface = render(messages(components))
    before = surface.widget("shown").value
    with surface.restoring_actions():
        assert exercise(surface.controls()) == []
        assert surface.events == [("ping", {"n": 1})] and surface.data["b"] == {"n": 1}
    assert surface.events == [] and "b" not in surface.data
    assert surface.widget("shown").value == before
