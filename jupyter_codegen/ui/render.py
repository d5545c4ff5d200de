"""Render a checked A2UI spec (:class:`~jupyter_codegen.ui.spec.UISpec`) to live ipywidgets.

No code from the model runs here: each component becomes a widget built by this module, and the
spec's dynamic values are resolved by :meth:`Surface.resolve` — a literal as it is, a
``{"path": "/x"}`` from the surface's data model, a ``{"call": ...}`` by calling a registered
function or evaluating an ``expr`` with the restricted evaluator (:mod:`jupyter_codegen.ui.expr`).

Controls write their value to the data model (at their ``value`` path, or ``/<id>`` when the
value is a literal); every output that reads that key is recomputed. A button runs its action
(a registered function, or an ``event`` recorded in :attr:`Surface.events`), stores the result
under the button's id and recomputes all outputs (the action may have changed kernel state).

Outputs update in place: a plot is one ``Image`` widget whose PNG is replaced, a table or value
one ``HTML`` widget, so nothing piles up and the widget state a notebook saves shows the last
render. While outputs recompute, the status line under the surface says so (a busy state for
long callbacks); an output or action that fails shows its error in place, in the widget, and
keeps it in :attr:`Surface.errors`. The PNG and the HTML themselves are drawn by
:mod:`jupyter_codegen.ui.plots` and :mod:`jupyter_codegen.ui.tables`.
"""

from __future__ import annotations

import copy
import html
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets

from jupyter_codegen.ui import widget_values as wv
from jupyter_codegen.ui.catalog import EXPR_FUNCTION
from jupyter_codegen.ui.expr import ExprError, Expression, compile_expr
from jupyter_codegen.ui.plots import plot_png
from jupyter_codegen.ui.spec import (
    Binding,
    UISpec,
    binding_of,
    get_path,
    set_path,
    top_key,
    value_path,
)
from jupyter_codegen.ui.tables import markdown_html, table_html, value_html

_ERROR_STYLE = (
    "color:#b00020;background:#fdecea;border-left:3px solid #b00020;padding:4px 8px;"
    "font-family:var(--jp-code-font-family,monospace);font-size:12px;white-space:pre-wrap"
)


class SurfaceView(widgets.VBox):
    """The top-level widget of a rendered surface; ``surface`` is its :class:`Surface`."""

    surface: Surface


@dataclass
class _Output:
    """An output component: its content widget, its error line, and what it reads."""

    cid: str
    kind: str
    component: dict[str, Any]
    content: widgets.Widget
    error: widgets.HTML
    binding: Binding
    box: widgets.Widget


@dataclass
class _Control:
    cid: str
    kind: str
    widget: widgets.Widget
    path: str
    to_model: Callable[[Any], Any]
    to_widget: Callable[[Any], Any]


class Surface:
    """One rendered A2UI surface: its widgets, data model and bindings.

    ``namespace`` is the kernel's user namespace (read when expressions evaluate, so they see
    current data); ``functions`` the registered functions by name; ``hidden`` names that
    expressions must not see (IPython's own).
    """

    def __init__(
        self,
        spec: UISpec,
        namespace: Mapping[str, Any] | None = None,
        functions: Mapping[str, Callable[..., Any]] | None = None,
        hidden: Mapping[str, Any] | None = None,
    ) -> None:
        self.spec = spec
        self.namespace: Mapping[str, Any] = namespace if namespace is not None else {}
        self.functions: dict[str, Callable[..., Any]] = dict(functions or {})
        self.hidden = set(hidden or ())
        self.data: dict[str, Any] = copy.deepcopy(spec.data)
        #: The last error of each component that failed (component id -> message).
        self.errors: dict[str, str] = {}
        #: Every error so far, in order, also those fixed since (component id, message).
        self.error_log: list[tuple[str, str]] = []
        #: Button events without a registered function of that name: (name, context).
        self.events: list[tuple[str, dict[str, Any]]] = []
        self._expressions: dict[str, Expression] = {}
        self._controls: dict[str, _Control] = {}
        self._outputs: dict[str, _Output] = {}
        self._component_errors: dict[str, widgets.HTML] = {}
        self._built: dict[str, widgets.Widget] = {}
        self._updating = False
        self.status = widgets.HTML(value="", layout=widgets.Layout(min_height="1.4em"))
        root = self._build("root", ())
        self.view = SurfaceView(children=[root, self.status])
        self.view.surface = self
        self.view.add_class("jupyter-codegen-a2ui")
        self.refresh()

    # --- the public surface ------------------------------------------------------------------

    def widget(self, cid: str) -> widgets.Widget:
        """The widget of component ``cid`` (a control, a button, or an output's content)."""
        if cid in self._controls:
            return self._controls[cid].widget
        if cid in self._outputs:
            return self._outputs[cid].content
        found = self._built.get(cid)
        if found is None:
            raise KeyError(f"no component {cid!r} in this surface")
        return found

    def controls(self) -> list[widgets.Widget]:
        """The surface's controls and buttons, in document order."""
        return [
            self._built[cid]
            for cid, c in self.spec.components.items()
            if cid in self._built and (cid in self._controls or c["component"] == "Button")
        ]

    @contextmanager
    def restoring_actions(self) -> Iterator[None]:
        """Undo what clicking buttons left in the surface (their results, recorded events)
        when the block ends, and recompute what read them: for exercising the surface."""
        buttons = [c for c, v in self.spec.components.items() if v["component"] == "Button"]
        missing = object()
        saved = {cid: self.data.get(cid, missing) for cid in buttons}
        events = len(self.events)
        try:
            yield
        finally:
            for cid, value in saved.items():
                if value is missing:
                    self.data.pop(cid, None)
                else:
                    self.data[cid] = value
            del self.events[events:]
            if buttons:
                self.refresh(set(buttons))

    def get_value(self, path: str) -> Any:
        """The data model's value at ``path`` (``/region``)."""
        return get_path(self.data, path)

    def set_value(self, path: str, value: Any) -> None:
        """Set a data-model value, update the controls bound to it and recompute what reads it."""
        set_path(self.data, path, value)
        for control in self._controls.values():
            if control.path == path:
                with self._quiet():
                    control.widget.value = control.to_widget(value)
        self.refresh({top_key(path)})

    def refresh(self, keys: set[str] | None = None) -> None:
        """Recompute the outputs that read any of ``keys`` (all outputs when None)."""
        targets = [
            o
            for o in self._outputs.values()
            if keys is None or (o.binding.keys | o.binding.names) & keys
        ]
        if not targets:
            return
        with self._busy("updating " + ", ".join(o.cid for o in targets)):
            for output in targets:
                self._update(output)

    def resolve(self, value: Any) -> Any:
        """The current value of a dynamic value: literal, ``{"path"}`` or ``{"call"}``."""
        if isinstance(value, dict):
            if "path" in value and len(value) == 1:
                return get_path(self.data, str(value["path"]))
            if "call" in value:
                return self.call(str(value["call"]), value.get("args") or {})
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        return value

    def call(self, name: str, args: Mapping[str, Any]) -> Any:
        """Run a catalog function: ``expr`` or a registered function (arguments resolved)."""
        if name == EXPR_FUNCTION:
            return self._expression(str(args.get("expr", ""))).evaluate(
                _Variables(self.data, self.namespace, self.hidden), self.functions
            )
        fn = self.functions.get(name)
        if fn is None:
            raise ExprError(f"the function '{name}' is not registered")
        return fn(**{k: self.resolve(v) for k, v in args.items()})

    def click(self, cid: str) -> None:
        """Click the button ``cid`` (as the user would)."""
        button = self.widget(cid)
        assert isinstance(button, widgets.Button), f"{cid!r} is not a button"
        button.click()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.view._repr_mimebundle_(**kwargs)

    # --- building ---------------------------------------------------------------------------

    def _build(self, cid: str, parents: tuple[str, ...]) -> widgets.Widget:
        if cid in parents:
            return self._error_widget(cid, f"'{cid}' contains itself")
        component = self.spec.components.get(cid)
        if component is None:
            return self._error_widget(cid, f"no component '{cid}'")
        kind = component["component"]
        builder = getattr(self, f"_build_{kind}", None)
        try:
            if builder is None:
                raise ExprError(f"the component type {kind} cannot be rendered here")
            widget: widgets.Widget = builder(cid, component, (*parents, cid))
        except Exception as exc:
            widget = self._error_widget(cid, _describe(exc))
        weight = component.get("weight")
        if isinstance(weight, int | float) and hasattr(widget, "layout"):
            widget.layout.flex = f"{weight} 1 0%"
        self._built[cid] = widget
        return widget

    def _children(self, component: dict[str, Any], parents: tuple[str, ...]) -> list[Any]:
        return [self._build(str(child), parents) for child in component.get("children", [])]

    def _build_Row(self, cid: str, c: dict[str, Any], parents: tuple[str, ...]) -> Any:
        layout = widgets.Layout(
            flex_flow="row wrap",
            align_items=_FLEX.get(c.get("align", "stretch"), "stretch"),
            justify_content=_FLEX.get(c.get("justify", "start"), "flex-start"),
            grid_gap="8px",
        )
        return widgets.HBox(self._children(c, parents), layout=layout)

    def _build_Column(self, cid: str, c: dict[str, Any], parents: tuple[str, ...]) -> Any:
        layout = widgets.Layout(
            align_items=_FLEX.get(c.get("align", "stretch"), "stretch"),
            justify_content=_FLEX.get(c.get("justify", "start"), "flex-start"),
            grid_gap="6px",
        )
        return widgets.VBox(self._children(c, parents), layout=layout)

    def _build_Card(self, cid: str, c: dict[str, Any], parents: tuple[str, ...]) -> Any:
        layout = widgets.Layout(border="1px solid #d0d0d0", padding="8px", margin="4px 0")
        return widgets.Box([self._build(str(c["child"]), parents)], layout=layout)

    def _build_Tabs(self, cid: str, c: dict[str, Any], parents: tuple[str, ...]) -> Any:
        children = [self._build(str(tab["child"]), parents) for tab in c["tabs"]]
        titles = [str(self.resolve(tab["title"])) for tab in c["tabs"]]
        return widgets.Tab(children=children, titles=titles)

    def _build_Divider(self, cid: str, c: dict[str, Any], parents: tuple[str, ...]) -> Any:
        if c.get("axis") == "vertical":
            return widgets.HTML('<div style="border-left:1px solid #d0d0d0;height:100%"></div>')
        return widgets.HTML('<hr style="margin:4px 0">')

    # controls

    def _label(self, c: dict[str, Any]) -> str:
        label = c.get("label")
        return "" if label is None else str(self.resolve(label))

    def _initial(self, c: dict[str, Any], default: Any) -> tuple[str, Any]:
        """The control's data path and its starting value (the data model's, else the
        literal in the spec, else ``default``)."""
        path = value_path(c)
        value = get_path(self.data, path)
        if value is None and not isinstance(c.get("value"), dict):
            value = c.get("value")
        return path, default if value is None else value

    def _control(
        self,
        cid: str,
        kind: str,
        widget: widgets.Widget,
        path: str,
        to_model: Callable[[Any], Any] = lambda v: v,
        to_widget: Callable[[Any], Any] = lambda v: v,
    ) -> widgets.Widget:
        control = _Control(cid, kind, widget, path, to_model, to_widget)
        self._controls[cid] = control
        set_path(self.data, path, to_model(widget.value))
        widget.observe(lambda change: self._on_control(control, change), names="value")
        return widget

    def _on_control(self, control: _Control, change: Any) -> None:
        if self._updating:
            return
        set_path(self.data, control.path, control.to_model(change["new"]))
        self.refresh({top_key(control.path)})

    def _build_Slider(self, cid: str, c: dict[str, Any], parents: tuple[str, ...]) -> Any:
        low, high = float(c.get("min", 0)), float(c["max"])
        path, value = self._initial(c, low)
        integral = all(float(v).is_integer() for v in (low, high, value)) and high - low >= 2
        common = {"description": self._label(c), "continuous_update": False, "style": _STYLE}
        if integral:
            w = widgets.IntSlider(value=int(value), min=int(low), max=int(high), **common)
        else:
            step = (high - low) / 100 or 0.01
            w = widgets.FloatSlider(value=float(value), min=low, max=high, step=step, **common)
        return self._control(cid, "Slider", w, path)

    def _build_RangeSlider(self, cid: str, c: dict[str, Any], parents: tuple[str, ...]) -> Any:
        common = {"description": self._label(c), "continuous_update": False, "style": _STYLE}
        if c.get("options") is not None:
            options = wv.options(self.resolve(c["options"]))
            values = [v for _, v in options]
            if not values:
                raise ExprError("the range has no options")
            path, value = self._initial(c, [values[0], values[-1]])
            lo, hi = wv.pair(value, values[0], values[-1])
            index = (wv.index(values, lo, 0), wv.index(values, hi, len(values) - 1))
            w = widgets.SelectionRangeSlider(options=options, index=index, **common)
            return self._control(cid, "RangeSlider", w, path, list, tuple)
        low, high = float(c.get("min", 0) or 0), float(c.get("max", 100) or 0)
        path, value = self._initial(c, [low, high])
        lo, hi = wv.pair(value, low, high)
        step = c.get("step")
        if all(float(v).is_integer() for v in (low, high, lo, hi)) and (step or 1) >= 1:
            w = widgets.IntRangeSlider(
                value=(int(lo), int(hi)), min=int(low), max=int(high), step=int(step or 1), **common
            )
        else:
            w = widgets.FloatRangeSlider(
                value=(float(lo), float(hi)),
                min=low,
                max=high,
                step=float(step or (high - low) / 100 or 0.01),
                **common,
            )
        return self._control(cid, "RangeSlider", w, path, list, tuple)

    def _build_Dropdown(self, cid: str, c: dict[str, Any], parents: tuple[str, ...]) -> Any:
        options = wv.options(self.resolve(c["options"]))
        values = [v for _, v in options]
        path, value = self._initial(c, values[0] if values else None)
        if value not in values:
            value = values[0] if values else None
        w = widgets.Dropdown(options=options, value=value, description=self._label(c), style=_STYLE)
        return self._control(cid, "Dropdown", w, path)

    def _build_ChoicePicker(self, cid: str, c: dict[str, Any], parents: tuple[str, ...]) -> Any:
        options = [(str(self.resolve(o["label"])), str(o["value"])) for o in c["options"]]
        values = [v for _, v in options]
        path, value = self._initial(c, [])
        chosen = [v for v in (value if isinstance(value, list) else [value]) if v in values]
        label = self._label(c)
        if c.get("variant") == "multipleSelection":
            w = widgets.SelectMultiple(
                options=options, value=tuple(chosen), description=label, style=_STYLE
            )
            return self._control(cid, "ChoicePicker", w, path, list, tuple)
        first = chosen[0] if chosen else (values[0] if values else None)
        w = widgets.Dropdown(options=options, value=first, description=label, style=_STYLE)
        return self._control(
            cid, "ChoicePicker", w, path, lambda v: [] if v is None else [v], wv.first
        )

    def _build_CheckBox(self, cid: str, c: dict[str, Any], parents: tuple[str, ...]) -> Any:
        path, value = self._initial(c, False)
        w = widgets.Checkbox(value=bool(value), description=self._label(c), indent=False)
        return self._control(cid, "CheckBox", w, path)

    def _build_TextField(self, cid: str, c: dict[str, Any], parents: tuple[str, ...]) -> Any:
        variant = c.get("variant", "shortText")
        common = {"description": self._label(c), "style": _STYLE, "continuous_update": False}
        if variant == "number":
            path, value = self._initial(c, 0)
            w = widgets.FloatText(value=float(value or 0), **common)
            return self._control(cid, "TextField", w, path)
        path, value = self._initial(c, "")
        cls = {"longText": widgets.Textarea, "obscured": widgets.Password}.get(
            variant, widgets.Text
        )
        return self._control(cid, "TextField", cls(value=str(value), **common), path)

    def _build_DateTimeInput(self, cid: str, c: dict[str, Any], parents: tuple[str, ...]) -> Any:
        common = {"description": self._label(c), "style": _STYLE}
        enable_date, enable_time = c.get("enableDate", False), c.get("enableTime", False)
        path, value = self._initial(c, "")
        if enable_time and not enable_date:
            w: Any = widgets.TimePicker(value=wv.parse_time(value), **common)
            return self._control(cid, "DateTimeInput", w, path, wv.iso, wv.parse_time)
        if enable_time:
            w = widgets.NaiveDatetimePicker(value=wv.parse_datetime(value), **common)
            return self._control(cid, "DateTimeInput", w, path, wv.iso, wv.parse_datetime)
        w = widgets.DatePicker(value=wv.parse_date(value), **common)
        low, high = self.resolve(c.get("min")), self.resolve(c.get("max"))
        if low:
            w.min = wv.parse_date(low)
        if high:
            w.max = wv.parse_date(high)
        return self._control(cid, "DateTimeInput", w, path, wv.iso, wv.parse_date)

    def _build_Button(self, cid: str, c: dict[str, Any], parents: tuple[str, ...]) -> Any:
        child = self.spec.components.get(str(c["child"]), {})
        label = str(self.resolve(child.get("text", c["child"])))
        style = "primary" if c.get("variant") == "primary" else ""
        button = widgets.Button(description=label, button_style=style)
        button.on_click(lambda _button: self._on_click(cid, button, c["action"]))
        return button

    def _on_click(self, cid: str, button: widgets.Button, action: dict[str, Any]) -> None:
        label = button.description
        button.disabled, button.description = True, f"{label} …"
        try:
            with self._busy(f"running {label}"):
                if "functionCall" in action:
                    call = action["functionCall"]
                    result = self.call(str(call["call"]), call.get("args") or {})
                else:
                    event = action["event"]
                    context = {k: self.resolve(v) for k, v in (event.get("context") or {}).items()}
                    if event["name"] in self.functions:
                        result = self.functions[event["name"]](**context)
                    else:
                        self.events.append((event["name"], context))
                        result = context or None
            self.data[cid] = result
            self._clear_error(cid)
        except Exception as exc:
            self._set_error(cid, exc)
        finally:
            button.disabled, button.description = False, label
        self.refresh()

    # outputs

    def _output(self, cid: str, c: dict[str, Any], content: widgets.Widget) -> widgets.Widget:
        error = widgets.HTML(layout=widgets.Layout(display="none"))
        bound = {k: v for k, v in c.items() if k not in ("id", "component")}
        binding = binding_of(bound, self._expression)
        box = widgets.VBox([content, error])
        self._outputs[cid] = _Output(cid, c["component"], c, content, error, binding, box)
        return box

    def _build_Plot(self, cid: str, c: dict[str, Any], parents: tuple[str, ...]) -> Any:
        image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        return self._output(cid, c, image)

    def _build_Table(self, cid: str, c: dict[str, Any], parents: tuple[str, ...]) -> Any:
        return self._output(cid, c, widgets.HTML())

    def _build_Value(self, cid: str, c: dict[str, Any], parents: tuple[str, ...]) -> Any:
        return self._output(cid, c, widgets.HTML())

    def _build_Text(self, cid: str, c: dict[str, Any], parents: tuple[str, ...]) -> Any:
        return self._output(cid, c, widgets.HTML())

    def _update(self, output: _Output) -> None:
        c = output.component
        try:
            if output.kind == "Plot":
                figure = self.resolve(c["data"])
                output.content.value = plot_png(
                    figure,
                    kind=c.get("kind") or "line",
                    x=c.get("x"),
                    y=c.get("y"),
                    title=self._text(c.get("title")),
                    xlabel=c.get("xlabel"),
                    ylabel=c.get("ylabel"),
                )
            elif output.kind == "Table":
                output.content.value = table_html(
                    self.resolve(c["data"]), self._text(c.get("label")), c.get("maxRows") or 20
                )
            elif output.kind == "Value":
                output.content.value = value_html(
                    self.resolve(c["value"]), self._text(c.get("label")), c.get("format")
                )
            else:  # Text
                output.content.value = markdown_html(
                    self._text(c.get("text")) or "", c.get("variant") or "body"
                )
        except Exception as exc:
            self._set_error(output.cid, exc)
        else:
            self._clear_error(output.cid)

    def _text(self, value: Any) -> str | None:
        return None if value is None else str(self.resolve(value))

    # --- errors and the busy state -----------------------------------------------------------

    def _error_line(self, cid: str) -> widgets.HTML | None:
        if cid in self._outputs:
            return self._outputs[cid].error
        return self._component_errors.get(cid)

    def _set_error(self, cid: str, exc: BaseException) -> None:
        message = _describe(exc)
        self.errors[cid] = message
        self.error_log.append((cid, message))
        line = self._error_line(cid)
        text = f"⚠ {cid}: {message}"
        if line is not None:
            line.value = f'<div style="{_ERROR_STYLE}">{html.escape(text)}</div>'
            line.layout.display = ""
        else:
            self.status.value = f'<div style="{_ERROR_STYLE}">{html.escape(text)}</div>'

    def _clear_error(self, cid: str) -> None:
        if self.errors.pop(cid, None) is None:
            return
        line = self._error_line(cid)
        if line is not None:
            line.value, line.layout.display = "", "none"

    def _error_widget(self, cid: str, message: str) -> widgets.HTML:
        self.errors.setdefault(cid, message)
        self.error_log.append((cid, message))
        line = widgets.HTML(f'<div style="{_ERROR_STYLE}">⚠ {html.escape(message)}</div>')
        self._component_errors[cid] = line
        return line

    @contextmanager
    def _busy(self, what: str) -> Iterator[None]:
        # The status message goes out before the work starts, so the frontend shows it for as
        # long as the callback runs.
        previous = self.status.value
        self.status.value = (
            '<span style="color:var(--jp-ui-font-color2,#666);font-size:12px">'
            f"⏳ {html.escape(what)}…</span>"
        )
        try:
            yield
        finally:
            self.status.value = "" if previous.startswith("<span") else previous

    @contextmanager
    def _quiet(self) -> Iterator[None]:
        self._updating = True
        try:
            yield
        finally:
            self._updating = False

    def _expression(self, source: str) -> Expression:
        if source not in self._expressions:
            self._expressions[source] = compile_expr(source)
        return self._expressions[source]


class _Variables(Mapping[str, Any]):
    """What an expression can read: the data model's keys first, then the kernel's variables
    (private and IPython's own names left out)."""

    def __init__(self, data: dict[str, Any], namespace: Mapping[str, Any], hidden: set[str]):
        self.data, self.namespace, self.hidden = data, namespace, hidden

    def __getitem__(self, name: str) -> Any:
        if name in self.data:
            return self.data[name]
        if name.startswith("_") or name in self.hidden:
            raise KeyError(name)
        return self.namespace[name]

    def __contains__(self, name: object) -> bool:
        if name in self.data:
            return True
        return (
            isinstance(name, str)
            and not name.startswith("_")
            and name not in self.hidden
            and name in self.namespace
        )

    def __iter__(self) -> Iterator[str]:
        yield from self.data
        yield from (n for n in self.namespace if n not in self.data and n in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)


# --- conversions ------------------------------------------------------------------------------

_STYLE = {"description_width": "initial"}
_FLEX = {
    "start": "flex-start",
    "end": "flex-end",
    "center": "center",
    "stretch": "stretch",
    "spaceBetween": "space-between",
    "spaceAround": "space-around",
    "spaceEvenly": "space-evenly",
}


def _describe(exc: BaseException) -> str:
    """One line for an error shown in the widget: the exception and where in the data."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, ExprError):
        return text
    return f"{type(exc).__name__}: {text}"[:500]


__all__ = ["Surface", "SurfaceView"]
