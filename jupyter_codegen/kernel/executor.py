"""Run generated code in the user's namespace through the shell, so ``Out``, display hooks,
matplotlib and widgets behave exactly as for a cell the user typed.

Around each run, four guards:

* **time limit** (``timeout``): a timer interrupts the main thread as the kernel's stop button
  does, again every half second, and from then on every new line of the user's Python raises,
  so a ``while True: try/except BaseException`` loop stops too.
  Code stuck inside one C call (a huge regex backtrack, a blocking C library) stops only when
  that call returns: no Python-level mechanism can do better without killing the kernel.
* **interrupts**: a Ctrl-C during the run stops the generated code only; a stray interrupt that
  arrives after the run ended is dropped instead of landing in the extension's own code.
* **output cap** (``max_output``): printed text and text in displayed results beyond the budget
  are dropped, with one note saying how much; a ``print`` in an endless loop cannot flood the
  notebook or the kernel's memory.
* **rollback**: when the code fails, times out or is interrupted, the user's variables that it
  rebound or deleted are put back and names it created are removed, so the namespace is as it
  was before (objects changed in place stay changed: copying the user's data first would cost
  memory proportional to it).

Credentials are redacted from everything the run prints or displays, and from error texts.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from types import FrameType
from typing import Any

from jupyter_codegen.kernel.cell_run import run_as_cell
from jupyter_codegen.kernel.redact import redact, secret_values

_MAX_ERROR_CHARS = 3000
#: Characters of printed and displayed text one run may produce (default of ``max_output``).
MAX_OUTPUT_CHARS = 200_000
#: Seconds between repeated interrupts when the code swallowed the first one.
_REFIRE_S = 0.5
#: Repeated interrupts before giving up (the code is then stuck in C code).
_MAX_REFIRES = 120
#: Frames of these packages are never interrupted by the line tracer (only the user's code is).
_OWN_PACKAGES = tuple(
    os.path.dirname(m.__file__ or "") + os.sep
    for m in (sys.modules.get(n) for n in ("IPython", "ipykernel", "traitlets", "zmq", "tornado"))
    if m is not None and getattr(m, "__file__", None)
) + (
    # The whole jupyter_codegen package (this file sits one level down in it).
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep,
    os.path.dirname(threading.__file__) + os.sep,
)


@dataclass(frozen=True)
class RunOutcome:
    ok: bool
    #: "ExcType: message" for the status line.
    error_line: str = ""
    #: Traceback text (frames of the generated code only), bounded, for the repair prompt.
    error_text: str = ""
    interrupted: bool = False
    timed_out: bool = False
    #: Characters of output dropped by the output cap (0: nothing was dropped).
    output_dropped: int = 0
    #: Names whose bindings were put back after a failed run.
    restored: tuple[str, ...] = ()
    #: The first few thousand characters it printed and displayed as text (redacted).
    printed: str = ""
    #: It showed a picture (a displayed image or rich view) or opened a matplotlib figure.
    drew: bool = False
    #: The matplotlib figures it showed or left open, still readable after the inline backend
    #: closed them (the chart checks read their Axes: core/chart_checks.py).
    figures: tuple[Any, ...] = ()
    #: The figures it opened that are still open: a check that fails afterwards closes them
    #: (:func:`close_figures`), as a failed run's are closed at once.
    opened: tuple[Any, ...] = ()


def exception_text(exc: BaseException, known: frozenset[str] = frozenset()) -> str:
    """Traceback text of ``exc`` from the generated code's frames on: bounded and redacted
    (credential shapes, and the ``known`` secret values)."""
    frames = traceback.extract_tb(exc.__traceback__)
    # Keep the frames from the generated code on (IPython's own frames tell the model nothing),
    # and of the library frames below them only the one that raised: a dozen pandas internals
    # crowded the cell's own line out of a small model's attention (it then rewrote everything).
    start = next((i for i, f in enumerate(frames) if f.filename.startswith("<")), 0)
    shown = [f for f in frames[start:] if f.filename.startswith("<")]
    inner = [f for f in frames[start:] if not f.filename.startswith("<")]
    lines = traceback.format_list(shown)
    if inner:
        if len(inner) > 1:
            lines.append(f"  ... {len(inner) - 1} frame(s) in library code ...\n")
        lines.extend(traceback.format_list(inner[-1:]))
    lines.extend(traceback.format_exception_only(exc))
    text = "".join(lines)
    if len(text) > _MAX_ERROR_CHARS:
        text = "...\n" + text[-_MAX_ERROR_CHARS:]
    return redact(text, known)


# --- time limit and interrupts ------------------------------------------------------------


class _Limit:
    """State shared by the main thread, the timer thread and the SIGINT handler."""

    def __init__(self) -> None:
        self.active = False  # main thread only: True while the generated code runs
        self.fired = threading.Event()  # the time limit (not the user) interrupted
        self.escalated = False  # the line tracer is armed

    def tracer(self, frame: FrameType, event: str, arg: Any) -> Any:
        """Raise in every new line of the user's code once a first interrupt was swallowed."""
        if not (self.active and self.escalated):
            return None
        if event in ("call", "line") and not frame.f_code.co_filename.startswith(_OWN_PACKAGES):
            raise KeyboardInterrupt
        return self.tracer


class _Watchdog:
    """One daemon thread for the process: it interrupts the main thread when an armed limit runs
    out, then again every ``_REFIRE_S`` (at most ``_MAX_REFIRES`` times). Arming and disarming
    take a lock; a thread started and joined for every run cost 0.1 ms a cell on an idle machine
    and over 1 ms on a busy one. The thread is woken only when a new deadline comes before the
    one it sleeps until (waking it at every arm and disarm handed the GIL over twice a cell); a
    disarmed limit is simply gone when it wakes. Signals are sent under the lock, so none is
    sent once :meth:`disarm` has returned."""

    def __init__(self) -> None:
        self._reset()
        if hasattr(os, "register_at_fork"):  # a forked child has the lock state, not the thread
            os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._cond = threading.Condition()
        self._armed: dict[int, list[Any]] = {}  # id(limit) -> [limit, deadline, shots, target]
        self._thread: threading.Thread | None = None
        self._wake_at = math.inf  # when the thread wakes by itself (inf: only when notified)

    def arm(self, limit: _Limit, seconds: float, target: int) -> None:
        with self._cond:
            deadline = time.monotonic() + seconds
            self._armed[id(limit)] = [limit, deadline, 0, target]
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="codegen-time-limit", daemon=True
                )
                self._thread.start()
            if deadline < self._wake_at:
                self._cond.notify()

    def disarm(self, limit: _Limit) -> None:
        with self._cond:
            self._armed.pop(id(limit), None)

    def _run(self) -> None:
        with self._cond:
            while True:
                if not self._armed:
                    self._wake_at = math.inf
                    self._cond.wait()
                    continue
                entry = min(self._armed.values(), key=lambda e: e[1])
                left = entry[1] - time.monotonic()
                if left > 0:
                    self._wake_at = entry[1]
                    self._cond.wait(left)
                    continue
                limit, _, shots, target = entry
                limit.fired.set()
                signal.pthread_kill(target, signal.SIGINT)
                if shots + 1 >= _MAX_REFIRES:
                    del self._armed[id(limit)]
                else:
                    entry[1], entry[2] = time.monotonic() + _REFIRE_S, shots + 1


_WATCHDOG = _Watchdog()


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[_Limit]:
    """Interrupt the main thread after ``seconds`` (as the kernel's stop button does), again
    and again while the code keeps running; 0 means no limit. From the first time-limit
    interrupt on, every new line of the user's code raises (a user's Ctrl-C does not arm that).
    Interrupts only ever land while the code runs."""
    limit = _Limit()
    if threading.current_thread() is not threading.main_thread():
        # Signals reach only the main thread: run without a limit rather than fail.
        limit.active = True
        yield limit
        return
    main_id = threading.main_thread().ident
    assert main_id is not None
    previous_trace = sys.gettrace()

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        if not limit.active:
            return  # the run is over: a late timer shot or Ctrl-C must not hit our own code
        if limit.fired.is_set() and not limit.escalated and frame is not None:
            # Time is up: from now on every line the code runs raises, so code that swallows
            # KeyboardInterrupt (try/except BaseException in a loop) stops too.
            limit.escalated = True
            sys.settrace(limit.tracer)
            walk: FrameType | None = frame
            while walk is not None:
                walk.f_trace = limit.tracer
                walk = walk.f_back
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, on_sigint)
    if seconds > 0:
        _WATCHDOG.arm(limit, seconds, main_id)
    try:
        limit.active = True
        yield limit
    finally:
        limit.active = False
        _WATCHDOG.disarm(limit)  # no signal is sent after this
        if limit.escalated:
            sys.settrace(previous_trace)
        # A signal sent just before the disarm is handled by on_sigint (and dropped) here.
        signal.signal(signal.SIGINT, previous)


# --- output cap and redaction -------------------------------------------------------------


_HEAD = 4000


class _Budget:
    def __init__(self, limit: int, known: frozenset[str]) -> None:
        self.left = limit
        self.limit = limit
        self.dropped = 0
        self.known = known
        self.newline = True
        #: The start of what was shown (the intent checks read it: a number printed).
        self.head: list[str] = []
        self._head_left = _HEAD
        #: Display bundles that carried a picture or a rich view (image/*, application/vnd.*).
        self.pictures = 0
        #: The matplotlib figures displayed (plt.show() and the inline backend's flush).
        self.figures: list[Any] = []

    def take(self, text: str) -> str:
        """The part of ``text`` that still fits, redacted; counts the rest as dropped."""
        if self.limit > 0 and len(text) > self.left:
            self.dropped += len(text) - self.left
            text = text[: self.left]
        self.left -= len(text)
        kept = redact(text, self.known) if text else text
        if kept and self._head_left > 0:
            self.head.append(kept[: self._head_left])
            self._head_left -= len(self.head[-1])
        return kept

    def note(self) -> str:
        return (
            f"[jupyter-codegen] output capped at {self.limit:,} characters; "
            f"{self.dropped:,} more were not shown.\n"
        )


class _CappedStream:
    """A stand-in for ``sys.stdout``/``sys.stderr`` that forwards what fits in the budget."""

    def __init__(self, inner: Any, budget: _Budget) -> None:
        self._inner = inner
        self._budget = budget

    def write(self, text: Any) -> int:
        if not isinstance(text, str):
            return int(self._inner.write(text))
        kept = self._budget.take(text)
        if kept:
            self._inner.write(kept)
            self._budget.newline = kept.endswith("\n")
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _cap_bundle(data: Any, budget: _Budget) -> Any:
    """A display bundle with its text parts cut to the budget (HTML is dropped rather than
    cut mid-tag when it does not fit: the plain text stays)."""
    if not isinstance(data, dict):
        return data
    out = dict(data)
    if any(str(mime).startswith(("image/", "application/vnd.")) for mime in data):
        budget.pictures += 1
    plain = out.get("text/plain")
    for mime, value in data.items():
        if not isinstance(value, str) or not mime.startswith("text/") or mime == "text/plain":
            continue
        if budget.limit > 0 and len(value) > budget.left:
            del out[mime]
            budget.dropped += len(value)
        else:
            out[mime] = redact(value, budget.known)
    if isinstance(plain, str):
        before = budget.dropped
        kept = budget.take(plain)
        if budget.dropped > before:
            kept += "\n" + budget.note().strip()
        out["text/plain"] = kept
    elif len(out) < len(data):
        out["text/plain"] = budget.note().strip()
    return out


@contextlib.contextmanager
def _patched(obj: Any, name: str, value: Any) -> Iterator[None]:
    """Set an instance attribute for the duration, then put back exactly what was there."""
    missing = object()
    saved = obj.__dict__.get(name, missing) if hasattr(obj, "__dict__") else missing
    try:
        setattr(obj, name, value)
    except (AttributeError, TypeError):
        yield
        return
    try:
        yield
    finally:
        if saved is missing:
            with contextlib.suppress(AttributeError):
                delattr(obj, name)
        else:
            setattr(obj, name, saved)


@contextlib.contextmanager
def _output_guard(shell: Any, budget: _Budget, show_traceback: bool) -> Iterator[None]:
    """Cap and redact streams and displays; redact (or hide) the traceback the shell shows."""
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _CappedStream(out, budget), _CappedStream(err, budget)
    with contextlib.ExitStack() as stack:
        publisher = getattr(shell, "display_pub", None)
        if publisher is not None and hasattr(publisher, "publish"):
            publish = publisher.publish

            def capped_publish(data: Any, *args: Any, **kwargs: Any) -> Any:
                return publish(_cap_bundle(data, budget), *args, **kwargs)

            stack.enter_context(_patched(publisher, "publish", capped_publish))
        hook = getattr(shell, "displayhook", None)
        if hook is not None and hasattr(hook, "write_format_data"):
            write = hook.write_format_data

            def capped_write(format_dict: Any, *args: Any, **kwargs: Any) -> Any:
                return write(_cap_bundle(format_dict, budget), *args, **kwargs)

            stack.enter_context(_patched(hook, "write_format_data", capped_write))
        formatter = getattr(shell, "display_formatter", None)
        if formatter is not None and hasattr(formatter, "format"):
            # The inline backend shows a figure through display() and then closes it: the
            # Figure object passes here on its way to a PNG, and stays readable after.
            fmt = formatter.format

            def noting_format(obj: Any, *args: Any, **kwargs: Any) -> Any:
                if _is_figure(obj) and obj not in budget.figures:
                    budget.figures.append(obj)
                return fmt(obj, *args, **kwargs)

            stack.enter_context(_patched(formatter, "format", noting_format))
        if show_traceback:
            show = shell._showtraceback

            def redacted_traceback(etype: Any, evalue: Any, stb: Any) -> Any:
                if isinstance(etype, type) and issubclass(etype, KeyboardInterrupt):
                    return None  # the engine says in one line that the code was stopped
                lines = [redact(str(line), budget.known) for line in stb]
                # ipykernel sends str(evalue) as the error's "evalue": redact it too.
                return show(etype, redact(str(evalue), budget.known), lines)

            stack.enter_context(_patched(shell, "_showtraceback", redacted_traceback))
        else:
            # Attempts that will be repaired: the one-line status says what failed.
            stack.enter_context(_patched(shell, "showtraceback", lambda *a, **k: None))
        try:
            yield
        finally:
            sys.stdout, sys.stderr = out, err
    if budget.dropped:
        out.write(("" if budget.newline else "\n") + budget.note())


def _is_figure(obj: Any) -> bool:
    figure = sys.modules.get("matplotlib.figure")
    return figure is not None and isinstance(obj, figure.Figure)


def _open_figures() -> list[Any]:
    helpers = sys.modules.get("matplotlib._pylab_helpers")
    if helpers is None or "matplotlib.pyplot" not in sys.modules:
        return []
    return [manager.canvas.figure for manager in helpers.Gcf.get_all_fig_managers()]


def _figures() -> frozenset[tuple[int, int, int]]:
    """Each open matplotlib figure as (number, axes, artists): a run that drew opened one or
    added to one. None when pyplot was never imported (nothing is imported to ask); in a
    notebook the inline backend closes figures after each cell, so there are few."""
    helpers = sys.modules.get("matplotlib._pylab_helpers")
    if helpers is None or "matplotlib.pyplot" not in sys.modules:
        return frozenset()
    shapes = set()
    # Read from pyplot's registry, not plt.figure(n), which would change the current figure.
    for manager in helpers.Gcf.get_all_fig_managers():
        axes = manager.canvas.figure.axes
        shapes.add((manager.num, len(axes), sum(len(ax.get_children()) for ax in axes)))
    return frozenset(shapes)


def close_figures(figures: Iterable[Any]) -> None:
    """Close these matplotlib figures where they are still open. A failed attempt's figure
    left open (no plt.show(), or a backend such as Agg that keeps figures) would otherwise be
    the current one when the repaired code runs: its plt.barh lands on the Axes that still
    hold the first attempt's vertical bars, and the chart fails the check again."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is None:
        return
    for figure in list(figures):
        if pyplot.fignum_exists(figure.number):
            pyplot.close(figure)


# --- rollback -----------------------------------------------------------------------------


def is_user_name(name: object, hidden: Any) -> bool:
    """Whether ``name`` is one of the user's variables: a string, not ``_private``, not one of
    IPython's own (``hidden``)."""
    return isinstance(name, str) and not name.startswith("_") and name not in hidden


def _rollback(shell: Any, before: dict[str, Any]) -> tuple[str, ...]:
    """Put back the user's bindings of ``before`` (a copy of the whole namespace); drop user
    names that did not exist then. IPython's own and ``_`` names are left as they are."""
    namespace = shell.user_ns
    hidden = getattr(shell, "user_ns_hidden", {})
    changed: list[str] = []
    for name, value in before.items():
        if not is_user_name(name, hidden):
            continue
        if name not in namespace or namespace[name] is not value:
            namespace[name] = value
            changed.append(name)
    for name in [n for n in namespace if n not in before and is_user_name(n, hidden)]:
        del namespace[name]
    return tuple(changed)


# --- the run ------------------------------------------------------------------------------


def run_code(
    shell: Any,
    code: str,
    *,
    show_traceback: bool = True,
    timeout: float = 0,
    max_output: int = MAX_OUTPUT_CHARS,
    rollback: bool = True,
    known: frozenset[str] | None = None,
) -> RunOutcome:
    """Run ``code`` as a cell of its own (not stored in history) and report how it ended.

    ``timeout`` seconds (0: none) and Ctrl-C stop it; ``max_output`` characters of text at most
    reach the output (0: no cap); with ``rollback``, a failed run leaves the user's variables
    bound as before. ``known``: the secret values to mask in what it prints, when the caller
    has just scanned the namespace. Never raises for anything the code does.
    """
    known = secret_values(shell.user_ns) if known is None else known
    budget = _Budget(max_output, known)
    # A plain copy (C speed): which names are the user's is sorted out only if it failed.
    before = dict(shell.user_ns) if rollback else {}
    figures_before = _figures()
    open_before = {number for number, *_ in figures_before}
    result: Any = None
    stray: BaseException | None = None
    with _time_limit(timeout) as limit:
        try:
            with _output_guard(shell, budget, show_traceback):
                result = run_as_cell(shell, code)
        except KeyboardInterrupt as exc:  # delivered in IPython's own code around the cell
            stray = exc
    timed_out = limit.fired.is_set()
    error = stray if result is None else (result.error_before_exec or result.error_in_exec)
    if error is None:
        shapes = _figures()
        drew = budget.pictures > 0 or bool(budget.figures) or bool(shapes - figures_before)
        # Open figures it drew on (a backend that keeps them open, such as Agg): only where
        # the shapes changed, so an older figure left open is not judged again.
        changed = {num for num, *_ in shapes - figures_before}
        still_open = [f for f in _open_figures() if getattr(f, "number", None) in changed]
        figures = tuple(budget.figures + [f for f in still_open if f not in budget.figures])
        return RunOutcome(
            True,
            output_dropped=budget.dropped,
            printed="".join(budget.head),
            drew=drew,
            figures=figures,
            opened=tuple(f for f in still_open if f.number not in open_before),
        )
    restored = _rollback(shell, before) if rollback else ()
    if rollback:
        close_figures(f for f in _open_figures() if f.number not in open_before)
    if isinstance(error, KeyboardInterrupt):
        if timed_out:
            return RunOutcome(
                False,
                f"stopped after the {timeout:g} s time limit",
                timed_out=True,
                output_dropped=budget.dropped,
                restored=restored,
            )
        return RunOutcome(
            False,
            "KeyboardInterrupt",
            interrupted=True,
            output_dropped=budget.dropped,
            restored=restored,
        )
    line = redact(f"{type(error).__name__}: {error}".splitlines()[0][:300], known)
    return RunOutcome(
        False,
        line,
        exception_text(error, known),
        output_dropped=budget.dropped,
        restored=restored,
    )
