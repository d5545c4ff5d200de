"""Exercise a freshly rendered interface once, as a user would, and report what broke.

Small models wire widget callbacks wrongly (``slider.observe(f, "value")`` with an ``f`` that
expects a number, not the change dict), and such code runs without error until someone touches
the control. So after generated UI code ran, every new control is moved once to another valid
value and back, and every button is clicked; exceptions are collected — raised ones, and those
that ipywidgets swallows and only shows (``interact``, ``Output`` widgets and button handlers
report through ``showtraceback``) — and go back to the model for repair.

:class:`WidgetTracker` tells which widgets a run created: it snapshots ipywidgets' registry on
IPython's ``pre_run_cell`` event, which fires for each run of generated code; widgets left over
from a failed attempt are closed then, so a repaired UI does not sit under a broken one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import ipywidgets as widgets
from IPython.utils.capture import capture_output
from ipywidgets.widgets import widget as widget_module

_MAX_ERROR_CHARS = 2500
#: Value widgets that show state rather than take input.
_PASSIVE = (
    widgets.IntProgress,
    widgets.FloatProgress,
    widgets.HTML,
    widgets.HTMLMath,
    widgets.Label,
    widgets.Valid,
    widgets.Image,
    widgets.Audio,
    widgets.Video,
)


def live_widgets() -> dict[str, Any]:
    """ipywidgets' registry of open widgets (model id -> widget)."""
    return widget_module._instances


@dataclass
class WidgetTracker:
    """Which widgets each run of generated code created (see the module docstring)."""

    shell: Any
    before: set[str] = field(default_factory=set)
    #: Set when a run's widgets passed :func:`exercise`; they are kept.
    kept: set[str] = field(default_factory=set)

    def __enter__(self) -> WidgetTracker:
        self.before = set(live_widgets())
        self.shell.events.register("pre_run_cell", self._pre_run_cell)
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(ValueError):
            self.shell.events.unregister("pre_run_cell", self._pre_run_cell)

    def _pre_run_cell(self, info: Any = None) -> None:
        self.close_new()  # an earlier attempt's widgets: it failed, or it would not run again
        self.before = set(live_widgets())

    def new_widgets(self) -> list[Any]:
        """Widgets created since the current run started, in creation order."""
        return [w for key, w in live_widgets().items() if key not in self.before]

    def close_new(self) -> None:
        for widget in self.new_widgets():
            with contextlib.suppress(Exception):
                widget.close()


@dataclass(frozen=True)
class Problem:
    """One control that failed when exercised."""

    what: str
    error: str


def _describe(widget: Any) -> str:
    label = getattr(widget, "description", "") or getattr(widget, "tooltip", "") or ""
    name = type(widget).__name__
    return f"{name} {label!r}" if label else name


def _format(exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> str:
    if exc is None:
        return "unknown error"
    frames = traceback.extract_tb(tb)
    # The frames of the generated code (cells are "<ipython-input-...>" / "<cell ...>" files),
    # else the last few.
    own = [f for f in frames if f.filename.startswith("<")]
    shown = own or frames[-3:]
    text = "".join(traceback.format_list(shown)) + "".join(
        traceback.format_exception_only(exc_type or type(exc), exc)
    )
    return text if len(text) <= _MAX_ERROR_CHARS else "...\n" + text[-_MAX_ERROR_CHARS:]


@contextlib.contextmanager
def _recording_tracebacks(shell: Any, sink: list[str]) -> Iterator[None]:
    """Record what would be shown with ``shell.showtraceback`` instead of showing it."""

    def record(
        exc_tuple: tuple[type[BaseException], BaseException, TracebackType] | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        info = exc_tuple or sys.exc_info()
        sink.append(_format(*info))

    if shell is None:
        yield
        return
    shell.showtraceback = record
    try:
        yield
    finally:
        del shell.showtraceback  # back to the class's method


def _alternative(widget: Any) -> tuple[str, Any] | None:
    """Another valid value for a control, as (trait, value); None: fire a change in place."""
    W = widgets
    if isinstance(widget, W.SelectionRangeSlider):
        lo, hi = widget.index
        return ("index", (lo, hi - 1) if hi > lo else (lo, min(hi + 1, len(widget.options) - 1)))
    if isinstance(widget, W.widget_selection._MultipleSelection):
        n = len(widget.options)
        if n == 0:
            return None
        current = tuple(widget.index)
        return ("index", (0,) if current != (0,) else ((1,) if n > 1 else ()))
    if isinstance(widget, W.widget_selection._Selection):
        n = len(widget.options)
        if n < 2:
            return None
        index = widget.index if widget.index is not None else -1
        return ("index", (index + 1) % n)
    if isinstance(widget, W.widget_int._BoundedIntRange | W.widget_float._BoundedFloatRange):
        lo, hi = widget.value
        step = widget.step or 1
        if hi - step >= lo:
            return ("value", (lo, hi - step))
        if hi + step <= widget.max:
            return ("value", (lo, hi + step))
        return None
    if isinstance(widget, W.widget_int._BoundedInt | W.widget_float._BoundedFloat):
        step = getattr(widget, "step", None) or 1
        value = widget.value
        if value + step <= widget.max:
            return ("value", value + step)
        if value - step >= widget.min:
            return ("value", value - step)
        return None
    if isinstance(widget, W.FloatLogSlider):
        return ("value", widget.min if widget.value != widget.min else widget.max)
    if isinstance(widget, W.widget_int._Int | W.widget_float._Float):
        return ("value", widget.value + 1)
    if isinstance(widget, W.widget_bool._Bool):
        return ("value", not widget.value)
    if isinstance(widget, W.DatePicker) and widget.value is not None:
        day = widget.value + dt.timedelta(days=1)
        if widget.max is not None and day > widget.max:
            day = widget.value - dt.timedelta(days=1)
        return ("value", day)
    return None


def _is_control(widget: Any) -> bool:
    if isinstance(widget, _PASSIVE) or getattr(widget, "disabled", False):
        return False
    if isinstance(widget, widgets.Button):
        return True
    return isinstance(widget, widgets.ValueWidget | widgets.widget_selection._Selection)


def _fire(widget: Any, name: str) -> None:
    """Notify observers of ``name`` without changing it (text fields, pickers)."""
    from traitlets import Bunch

    value = getattr(widget, name)
    widget.notify_change(Bunch(name=name, old=value, new=value, owner=widget, type="change"))


class _Silenced(capture_output):
    """IPython's ``capture_output``, also inside an ``Output`` widget in a kernel: entering one
    makes ipykernel set the parent header of the shell's display publisher, which IPython's
    capturing publisher does not have."""

    def __enter__(self) -> Any:
        captured = super().__enter__()
        if self.display and self.shell is not None:
            self.shell.display_pub.set_parent = lambda parent: None
        return captured


def exercise(items: list[Any], shell: Any = None, hold: list[Any] | None = None) -> list[Problem]:
    """Move each control in ``items`` to another value and back, click each button; return
    what failed. Output made meanwhile is discarded, and the widgets in ``hold`` (default:
    ``items``) send the frontend only their final state, so the UI ends as it started without
    flickering through the test values."""
    problems: list[Problem] = []
    controls = [w for w in items if _is_control(w)]
    with quiet_sync(hold if hold is not None else items):
        for widget in controls:
            problems.extend(_exercise_one(widget, shell))
    return problems


@contextlib.contextmanager
def quiet_sync(items: list[Any]) -> Iterator[None]:
    """Hold back the state updates of ``items`` until the end, then send each widget's final
    state once (ipywidgets' ``hold_sync``)."""
    with contextlib.ExitStack() as stack:
        for widget in items:
            # Not Output widgets: frontends follow their msg_id changes one by one (nbclient
            # fails on an unset msg_id it never saw set).
            if isinstance(widget, widgets.Widget) and not isinstance(widget, widgets.Output):
                stack.enter_context(widget.hold_sync())
        yield


def _exercise_one(widget: Any, shell: Any) -> list[Problem]:
    """Exercise one control; its first problem, if any."""
    shown: list[str] = []
    action = ""
    try:
        with _recording_tracebacks(shell, shown), _Silenced():
            if isinstance(widget, widgets.Button):
                action = f"clicking {_describe(widget)}"
                widget.click()
            else:
                alt = _alternative(widget)
                if alt is None:
                    action = f"changing {_describe(widget)} (value {widget.value!r})"
                    _fire(widget, "value")
                else:
                    trait, value = alt
                    before = getattr(widget, trait)
                    action = f"changing {_describe(widget)} from {widget.value!r}"
                    setattr(widget, trait, value)
                    action += f" to {widget.value!r}"
                    setattr(widget, trait, before)
    except Exception:
        shown.append(_format(*sys.exc_info()))
    return [Problem(action, error) for error in shown[:1]]


def report(problems: list[Problem], *, hint: str = "") -> str | None:
    """The problems as the error text a repair prompt gets (first line: the first problem in
    short), or None."""
    if not problems:
        return None
    first = problems[0]
    last_line = first.error.strip().splitlines()[-1] if first.error.strip() else "an error"
    lines = [
        f"Exercising the interface failed: {first.what} raised {last_line}",
        "After the interface rendered, each control was moved once to another value and back, "
        "and each button clicked, as a user would:",
    ]
    for problem in problems[:4]:
        lines.append(f"- {problem.what}:\n{problem.error.rstrip()}")
    if len(problems) > 4:
        lines.append(f"- ... and {len(problems) - 4} more")
    if hint:
        lines.append(hint)
    return "\n".join(lines)
