"""A2UI specs: the published catalog, validation (good and bad specs, clear errors), reading
model replies, the document in the generated cell, and the decoding schema."""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
import pytest
from ui_support import DASHBOARD, expr, messages, sales_frame

from jupyter_codegen.modes.ui_spec import EXAMPLE
from jupyter_codegen.ui import catalog as catalog_module
from jupyter_codegen.ui.catalog import (
    CATALOG_ID,
    build_catalog,
    catalog_for,
    published_catalog,
    published_document,
)
from jupyter_codegen.ui.decoding import response_schema
from jupyter_codegen.ui.spec import (
    SpecError,
    cell_code,
    check_spec,
    document_from_cell,
    format_document,
    is_spec_cell,
    normalize,
    read_messages,
)

NS = {"sales": sales_frame()}


def weather(city: str, days: int = 3) -> dict[str, Any]:
    """Forecast for a city."""
    return {"city": city, "days": days}


def check(msgs: list[dict[str, Any]], **kw: Any) -> Any:
    kw.setdefault("namespace", NS)
    return check_spec(msgs, **kw)


# --- the catalog ------------------------------------------------------------------------------


def test_published_catalog_is_generated_from_the_models() -> None:
    assert build_catalog().to_json() == published_document()


def test_catalog_components_and_functions() -> None:
    catalog = published_catalog()
    assert catalog.catalog_id == CATALOG_ID
    assert catalog.protocol_version in ("0.9", "v0.9")
    controls = {"Slider", "RangeSlider", "Dropdown", "ChoicePicker", "CheckBox", "TextField"}
    controls |= {"DateTimeInput", "Button"}
    outputs = {"Plot", "Table", "Value", "Text"}
    layouts = {"Row", "Column", "Tabs", "Card", "Divider"}
    assert set(catalog.components) == controls | outputs | layouts
    assert set(catalog.functions) == {"expr"}


def test_registered_functions_become_catalog_functions() -> None:
    catalog = catalog_for({"weather": weather})
    assert set(catalog.functions) == {"expr", "weather"}
    args = catalog.validation_schema["functions"]["weather"]["properties"]["args"]
    assert set(args["properties"]) == {"city", "days"}
    assert args["required"] == ["city"]
    assert catalog_for({"weather": weather}) is catalog  # cached


# --- good specs -------------------------------------------------------------------------------


def test_dashboard_validates() -> None:
    spec = check(DASHBOARD)
    assert spec.surface_id == "main"
    assert list(spec.components)[0] == "root"
    assert spec.data == {"region": "North", "months": [1, 12]}


def test_prompt_example_validates() -> None:
    check(copy.deepcopy(EXAMPLE))


def test_every_control_output_and_layout_validates() -> None:
    components = [
        {"id": "root", "component": "Tabs", "tabs": [{"title": "A", "child": "a"}]},
        {"id": "a", "component": "Column", "children": ["row", "card", "div", "table"]},
        {"id": "row", "component": "Row", "children": ["s", "r", "d", "c", "cb", "t", "dt"]},
        {"id": "s", "component": "Slider", "min": 0, "max": 10, "value": {"path": "/n"}},
        {"id": "r", "component": "RangeSlider", "min": 0, "max": 10, "value": [2, 5]},
        {"id": "d", "component": "Dropdown", "options": ["a", "b"], "value": {"path": "/d"}},
        {
            "id": "c",
            "component": "ChoicePicker",
            "options": [{"label": "A", "value": "a"}],
            "value": {"path": "/c"},
        },
        {"id": "cb", "component": "CheckBox", "label": "On", "value": {"path": "/on"}},
        {"id": "t", "component": "TextField", "label": "Name", "value": {"path": "/name"}},
        {"id": "dt", "component": "DateTimeInput", "enableDate": True, "value": {"path": "/day"}},
        {"id": "card", "component": "Card", "child": "go"},
        {
            "id": "go",
            "component": "Button",
            "child": "go_text",
            "action": {"functionCall": {"call": "weather", "args": {"city": {"path": "/name"}}}},
        },
        {"id": "go_text", "component": "Text", "text": "Go"},
        {"id": "div", "component": "Divider"},
        {"id": "table", "component": "Table", "data": {"path": "/go"}, "maxRows": 5},
    ]
    check(messages(components, {"n": 3}), functions={"weather": weather})


# --- bad specs: one clear line each ----------------------------------------------------------


def _dashboard() -> list[dict[str, Any]]:
    return copy.deepcopy(DASHBOARD)


def _components(msgs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return msgs[1]["updateComponents"]["components"]


def _by_id(msgs: list[dict[str, Any]], cid: str) -> dict[str, Any]:
    return next(c for c in _components(msgs) if c["id"] == cid)


def _set(cid: str, **props: Any) -> Any:
    def edit(msgs: list[dict[str, Any]]) -> None:
        _by_id(msgs, cid).update(props)

    return edit


def _drop(cid: str, prop: str) -> Any:
    def edit(msgs: list[dict[str, Any]]) -> None:
        del _by_id(msgs, cid)[prop]

    return edit


BAD = {
    "unknown component": (_set("chart", component="Chart"), "Unrecognized component type 'Chart'"),
    "missing property": (_drop("months", "value"), "'value' is a required property"),
    "extra property": (_set("chart", colour="red"), "colour"),
    "bad enum": (_set("chart", kind="pie3d"), "pie3d"),
    "dangling child": (
        _set("controls", children=["region", "nowhere"]),
        "non-existent component 'nowhere'",
    ),
    "unreachable": (_set("root", children=["title", "controls", "chart"]), "not reachable"),
    "unknown function": (
        _set("total", value={"call": "total_of", "args": {}}),
        "total_of",
    ),
    "lambda": (_set("total", value=expr("sales.revenue.apply(lambda x: x)")), "lambda"),
    "writer method": (
        _set("total", value=expr("sales.to_csv('out.csv')")),
        "`.to_csv()` is not allowed",
    ),
    "private attribute": (_set("total", value=expr("sales.__class__")), "private"),
    "unknown name": (
        _set("total", value=expr("salez.revenue.sum()")),
        "unknown name `salez`",
    ),
    "not an expression": (_set("total", value=expr("x = 1")), "not a Python expression"),
    "unbound path": (_set("total", value={"path": "/nothing"}), "'/nothing' is not in the data"),
    "control bound to a call": (
        _set("region", value=expr("'North'")),
        "a control's value must be a literal or a data path",
    ),
    "template children": (
        _set("controls", children={"componentId": "region", "path": "/items"}),
        "template children are not supported",
    ),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_spec_gets_one_clear_error(name: str) -> None:
    edit, expected = BAD[name]
    msgs = _dashboard()
    edit(msgs)
    with pytest.raises(SpecError) as info:
        check(msgs)
    message = str(info.value)
    assert expected in message
    assert "\n" not in message


def test_module_in_the_kernel_is_not_data() -> None:
    import os

    msgs = _dashboard()
    _set("total", value=expr("os.sep"))(msgs)
    with pytest.raises(SpecError, match="not data"):
        check(msgs, namespace={**NS, "os": os})


def test_registered_function_argument_names_are_checked() -> None:
    msgs = _dashboard()
    _set("total", value={"call": "weather", "args": {"town": "Oslo"}})(msgs)
    with pytest.raises(SpecError, match="town"):
        check(msgs, functions={"weather": weather})


def test_several_surfaces_and_delete_are_refused() -> None:
    two = _dashboard() + [
        {"version": "v0.9", "createSurface": {"surfaceId": "b", "catalogId": CATALOG_ID}}
    ]
    with pytest.raises(SpecError, match="several surfaces"):
        check(two)
    deleting = _dashboard() + [{"version": "v0.9", "deleteSurface": {"surfaceId": "main"}}]
    with pytest.raises(SpecError, match="deleteSurface"):
        check(deleting)


# --- reading replies --------------------------------------------------------------------------


def test_read_plain_fenced_tagged_and_sloppy_json() -> None:
    text = json.dumps(DASHBOARD)
    assert read_messages(text) == DASHBOARD
    assert read_messages(f"Here it is:\n```json\n{text}\n```\nEnjoy.") == DASHBOARD
    assert read_messages(f"<a2ui-json>{text}</a2ui-json>") == DASHBOARD
    assert read_messages('[{"createSurface": {"surfaceId": "m",},},]') == [
        {"createSurface": {"surfaceId": "m"}}
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", "empty reply"), ("I cannot do that.", "not a JSON UI spec"), ("[1, 2]", "objects")],
)
def test_unreadable_replies(text: str, expected: str) -> None:
    with pytest.raises(SpecError, match=expected):
        read_messages(text)


def test_normalize_completes_the_envelope() -> None:
    bare = {
        "components": _components(_dashboard()),
        "dataModel": {"region": "North", "months": [1, 12]},
    }
    msgs = normalize(read_messages(json.dumps(bare)))
    assert msgs[0] == {
        "version": "v0.9",
        "createSurface": {"surfaceId": "main", "catalogId": CATALOG_ID},
    }
    assert all(m["version"] == "v0.9" for m in msgs)
    assert msgs[1]["updateComponents"]["surfaceId"] == "main"
    check(msgs)
    # A wrong catalog id is replaced; the surface id the model chose is kept.
    other = normalize(
        [{"createSurface": {"surfaceId": "dash", "catalogId": "basic"}}, *_dashboard()[1:]]
    )
    assert other[0]["createSurface"] == {"surfaceId": "dash", "catalogId": CATALOG_ID}
    assert other[1]["updateComponents"]["surfaceId"] == "main"  # as the model wrote it


# --- the generated cell -----------------------------------------------------------------------


def test_document_is_compact_json() -> None:
    text = format_document(DASHBOARD)
    assert json.loads(text) == DASHBOARD
    lines = text.splitlines()
    assert len(lines) == len(_components(DASHBOARD)) + 6  # one component per line


@pytest.mark.parametrize(
    "document",
    [
        format_document(DASHBOARD),
        'tricky """ quotes and a trailing backslash \\',
        '\'\'\'\n""")\nimport os\nos.system(\'x\')\n("""',
    ],
)
def test_cell_code_keeps_the_document_as_data(document: str) -> None:
    code = cell_code(document)
    assert is_spec_cell(code)
    assert document_from_cell(code).strip("\n") == document.strip("\n")
    compile(code, "<cell>", "exec")


@pytest.mark.parametrize(
    "code",
    [
        'from jupyter_codegen.ui import render_a2ui\nrender_a2ui("[]")\nimport os\n',
        'from jupyter_codegen.ui import render_a2ui as r\nr("[]")\n',
        'from jupyter_codegen.ui import render_a2ui\nrender_a2ui(open("x").read())\n',
        'from jupyter_codegen.ui import render_a2ui\nrender_a2ui("[]", extra=1)\n',
        'from jupyter_codegen import ui\nui.render_a2ui("[]")\n',
        "render_a2ui('[]')\n",
        "not python (\n",
    ],
)
def test_edited_cells_are_not_trusted(code: str) -> None:
    assert not is_spec_cell(code)


# --- the decoding schema ----------------------------------------------------------------------


def test_response_schema_is_valid_and_accepts_good_specs() -> None:
    schema = response_schema(catalog_for({"weather": weather}).validation_schema)
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(DASHBOARD, schema)
    jsonschema.validate(EXAMPLE, schema)
    text = json.dumps(schema)
    for unsupported in ('"const"', '"oneOf"', '"unevaluatedProperties"', '"if"', '"allOf"'):
        assert unsupported not in text
    bad = copy.deepcopy(DASHBOARD)
    _set("chart", component="Chart")(bad)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def test_response_schema_converts_to_a_llama_grammar() -> None:
    grammar_module = pytest.importorskip("llama_cpp.llama_grammar")
    schema = response_schema(published_catalog().validation_schema)
    grammar = grammar_module.json_schema_to_gbnf(json.dumps(schema))
    assert "ComponentPlot" in grammar and "root ::=" in grammar


def test_catalog_module_regenerates_the_document(tmp_path: Any) -> None:
    target = catalog_module.write_document(tmp_path / "catalog.json")
    assert json.loads(target.read_text()) == published_document()
