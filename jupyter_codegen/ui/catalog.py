"""The A2UI catalog that ``%%gemini --ui=spec`` renders: A2UI v0.9 basic components plus a few
notebook components, defined with the A2UI SDK's own types and published as ``catalog.json``.

A2UI (Agent-to-User Interface, https://a2ui.org) is the declarative UI protocol: the model sends
JSON messages (``createSurface``, ``updateComponents``, ``updateDataModel``) naming components
from a *catalog*; the renderer builds them from its own trusted widgets and never runs code from
the model. This catalog is the contract between the model and :mod:`jupyter_codegen.ui.render`:

- from the A2UI v0.9 basic catalog, unchanged: ``Text`` (markdown), ``Row``, ``Column``,
  ``Card``, ``Tabs``, ``Divider``, ``Button``, ``TextField``, ``CheckBox``, ``ChoicePicker``,
  ``Slider``, ``DateTimeInput``;
- notebook components: ``Dropdown`` (options from the data), ``RangeSlider``, ``Plot``,
  ``Table``, ``Value``;
- functions: ``expr`` (a restricted Python expression over named variables, see
  :mod:`jupyter_codegen.ui.expr`) and, added per kernel, every registered function.

``catalog.json`` next to this file is the published catalog document (a JSON Schema); it is what
validation loads. ``python -m jupyter_codegen.ui.catalog`` regenerates it from the models below,
and a test checks that the two agree.
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from a2ui.core.basic_catalog.v0_9.components import (
    BUTTON_COMPONENT_API,
    CARD_COMPONENT_API,
    CHECK_BOX_COMPONENT_API,
    CHOICE_PICKER_COMPONENT_API,
    COLUMN_COMPONENT_API,
    DATE_TIME_INPUT_COMPONENT_API,
    DIVIDER_COMPONENT_API,
    ROW_COMPONENT_API,
    SLIDER_COMPONENT_API,
    TABS_COMPONENT_API,
    TEXT_COMPONENT_API,
    TEXT_FIELD_COMPONENT_API,
    CatalogComponentCommon,
)
from a2ui.core.catalog import Catalog, FunctionApi, ModelComponentApi
from a2ui.core.schema.v0_9.common_types import DynamicString, DynamicValue, StrictBaseModel
from pydantic import ConfigDict, Field, create_model

#: The A2UI protocol version of the messages (``"version": "v0.9"``).
PROTOCOL_VERSION = "v0.9"
#: This catalog's id (``createSurface.catalogId``).
CATALOG_ID = "https://github.com/jupyter-codegen/jupyter-codegen/a2ui/v0_9/notebook_catalog.json"
#: The published catalog document, in the package.
CATALOG_FILE = "catalog.json"
#: The name of the catalog function that evaluates a restricted expression.
EXPR_FUNCTION = "expr"

# --- notebook components ----------------------------------------------------------------------


class DropdownComponent(CatalogComponentCommon):
    """A single choice from a list of options; the options may come from the data."""

    component: Literal["Dropdown"] = "Dropdown"
    model_config = ConfigDict(extra="forbid")
    label: DynamicString | None = Field(default=None, description="The label of the dropdown.")
    options: DynamicValue = Field(
        ...,
        description=(
            "The choices: a list of strings or numbers, or a function call that returns one "
            '(e.g. {"call": "expr", "args": {"expr": "sorted(sales.region.unique())"}}).'
        ),
    )
    value: DynamicValue = Field(
        ..., description="The selected option; bind it to the data model with a path."
    )


class RangeSliderComponent(CatalogComponentCommon):
    """A slider with two handles selecting a range [low, high] of numbers, or of options such as
    dates when ``options`` is given."""

    component: Literal["RangeSlider"] = "RangeSlider"
    model_config = ConfigDict(extra="forbid")
    label: DynamicString | None = Field(default=None, description="The label of the slider.")
    min: float | None = Field(default=None, description="The minimum value (numeric range).")
    max: float | None = Field(default=None, description="The maximum value (numeric range).")
    step: float | None = Field(default=None, description="The step (numeric range).")
    options: DynamicValue | None = Field(
        default=None,
        description=(
            "Ordered options to select a range of (e.g. ISO dates), a list or a function call "
            "returning one; replaces min/max."
        ),
    )
    value: DynamicValue = Field(
        ...,
        description="The selected range as a two-element list [low, high]; bind it with a path.",
    )


class PlotComponent(CatalogComponentCommon):
    """A chart of data computed in the kernel, redrawn in place when its inputs change."""

    component: Literal["Plot"] = "Plot"
    model_config = ConfigDict(extra="forbid")
    data: DynamicValue = Field(
        ...,
        description=(
            "What to plot: a function call returning a DataFrame, Series, dict or list (or a "
            "matplotlib Figure from a registered function)."
        ),
    )
    kind: Literal["line", "bar", "barh", "scatter", "hist", "area", "pie"] | None = Field(
        default=None, description="The chart type.", json_schema_extra={"default": "line"}
    )
    x: str | None = Field(default=None, description="The column for the x axis.")
    y: str | list[str] | None = Field(default=None, description="The column(s) to plot.")
    title: DynamicString | None = Field(default=None, description="The chart title.")
    xlabel: str | None = Field(default=None, description="The x axis label.")
    ylabel: str | None = Field(default=None, description="The y axis label.")


class TableComponent(CatalogComponentCommon):
    """A table of a DataFrame, Series, list of records or dict computed in the kernel."""

    component: Literal["Table"] = "Table"
    model_config = ConfigDict(extra="forbid")
    data: DynamicValue = Field(..., description="What to show: usually a function call.")
    label: DynamicString | None = Field(default=None, description="A caption above the table.")
    max_rows: int | None = Field(
        default=None,
        alias="maxRows",
        ge=1,
        le=500,
        description="Most rows shown.",
        json_schema_extra={"default": 20},
    )


class ValueComponent(CatalogComponentCommon):
    """One computed value (a number, a string), shown large with a label."""

    component: Literal["Value"] = "Value"
    model_config = ConfigDict(extra="forbid")
    label: DynamicString | None = Field(default=None, description="What the value is.")
    value: DynamicValue = Field(..., description="The value: usually a function call.")
    format: str | None = Field(
        default=None,
        pattern=r"^[^{}]{0,20}$",
        description="A Python format spec for numbers, e.g. ',.2f' or '.1%'.",
    )


class ExprArgs(StrictBaseModel):
    model_config = ConfigDict(populate_by_name=True)
    expr: str = Field(
        ...,
        description=(
            "A Python expression over named variables: the data model's top-level keys (the "
            "controls' values) and the kernel's variables, e.g. "
            "\"sales[sales.region == region].groupby('month').revenue.sum()\". No assignments, "
            "imports, lambdas or private (_) attributes; only data methods are callable."
        ),
    )


#: Components taken unchanged from the A2UI v0.9 basic catalog.
BASIC_COMPONENTS = (
    TEXT_COMPONENT_API,
    ROW_COMPONENT_API,
    COLUMN_COMPONENT_API,
    CARD_COMPONENT_API,
    TABS_COMPONENT_API,
    DIVIDER_COMPONENT_API,
    BUTTON_COMPONENT_API,
    TEXT_FIELD_COMPONENT_API,
    CHECK_BOX_COMPONENT_API,
    CHOICE_PICKER_COMPONENT_API,
    SLIDER_COMPONENT_API,
    DATE_TIME_INPUT_COMPONENT_API,
)
NOTEBOOK_COMPONENTS = (
    DropdownComponent,
    RangeSliderComponent,
    PlotComponent,
    TableComponent,
    ValueComponent,
)


def expr_function() -> FunctionApi:
    return FunctionApi(
        name=EXPR_FUNCTION,
        schema=ExprArgs,
        return_type="any",
        description="Evaluates a restricted Python expression over named variables in the kernel.",
    )


def build_catalog() -> Catalog[Any, Any]:
    """The catalog from the models in this module (what ``catalog.json`` is generated from)."""
    components: list[Any] = [*BASIC_COMPONENTS]
    components.extend(ModelComponentApi(model) for model in NOTEBOOK_COMPONENTS)
    return Catalog(
        catalog_id=CATALOG_ID,
        protocol_version=PROTOCOL_VERSION,
        components=components,
        functions=[expr_function()],
        schema_dialect="https://json-schema.org/draft/2020-12/schema",
        schema_id=CATALOG_ID,
        title="jupyter-codegen notebook catalog",
        description=(
            "A2UI v0.9 basic components (Text, Row, Column, Card, Tabs, Divider, Button, "
            "TextField, CheckBox, ChoicePicker, Slider, DateTimeInput) plus notebook components "
            "(Dropdown, RangeSlider, Plot, Table, Value), rendered with ipywidgets in the kernel."
        ),
        common_types_uri="https://a2ui.org/specification/v0_9/common_types.json",
        union_defs={"anyComponent": None, "anyFunction": None},
    )


@functools.cache
def published_document() -> dict[str, Any]:
    """The published catalog document (``catalog.json`` in the package)."""
    text = resources.files("jupyter_codegen.ui").joinpath(CATALOG_FILE).read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


@functools.cache
def published_catalog() -> Catalog[Any, Any]:
    """The catalog as validation uses it: loaded from the published document."""
    return Catalog.from_json(published_document())


# --- registered functions as catalog functions ------------------------------------------------


def _function_api(name: str, fn: Callable[..., Any]) -> FunctionApi:
    """A registered function as an A2UI catalog function: each parameter takes a dynamic value
    (a literal, a data-model path or another call)."""
    fields: dict[str, Any] = {}
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        params = ()  # type: ignore[assignment]
    for param in params:
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        required = param.default is inspect.Parameter.empty
        fields[param.name] = (DynamicValue, ...) if required else (DynamicValue | None, None)
    model = create_model(f"{name}_args", __base__=StrictBaseModel, **fields)
    doc = (inspect.getdoc(fn) or "").strip().splitlines()
    return FunctionApi(
        name=name,
        schema=model,
        return_type="any",
        description=doc[0] if doc else f"The registered function {name}.",
    )


def catalog_for(functions: Mapping[str, Callable[..., Any]]) -> Catalog[Any, Any]:
    """The published catalog with ``functions`` (the kernel's registered functions) added as
    catalog functions."""
    if not functions:
        return published_catalog()
    # Keyed by the functions themselves (a checking wrapper is made anew for every request).
    items = tuple(sorted((n, getattr(fn, "__wrapped__", fn)) for n, fn in functions.items()))
    try:
        return _catalog_with(items)
    except TypeError:  # an unhashable callable: build it uncached
        return _catalog_with.__wrapped__(items)


@functools.lru_cache(maxsize=16)
def _catalog_with(items: tuple[tuple[str, Callable[..., Any]], ...]) -> Catalog[Any, Any]:
    base = published_catalog()
    extra = [_function_api(name, fn) for name, fn in items if name != EXPR_FUNCTION]
    derived: Any = base.copy_with(functions=[*base.functions.values(), *extra])
    return derived


def write_document(path: Path | None = None) -> Path:
    """Regenerate ``catalog.json`` from the models (``python -m jupyter_codegen.ui.catalog``)."""
    target = path or Path(__file__).with_name(CATALOG_FILE)
    target.write_text(json.dumps(build_catalog().to_json(), indent=1) + "\n", encoding="utf-8")
    return target


if __name__ == "__main__":
    print(f"wrote {write_document()}")
