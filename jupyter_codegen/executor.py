"""Run generated code in the user's namespace through the shell, so ``Out``, display hooks,
matplotlib and widgets behave exactly as for a cell the user typed."""

from __future__ import annotations

import contextlib
import signal
import threading
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .redact import redact

_MAX_ERROR_CHARS = 3000


@dataclass(frozen=True)
class RunOutcome:
    ok: bool
    #: "ExcType: message" for the status line.
    error_line: str = ""
    #: Traceback text (frames of the generated code only), bounded, for the repair prompt.
    error_text: str = ""
    interrupted: bool = False
    timed_out: bool = False


def exception_text(exc: BaseException) -> str:
    """Traceback text of ``exc`` from the generated code's frames on: bounded and redacted."""
    frames = traceback.extract_tb(exc.__traceback__)
    # Keep the frames from the generated code on (IPython's own frames tell the model nothing).
    start = next((i for i, f in enumerate(frames) if f.filename.startswith("<")), 0)
    lines = traceback.format_list(frames[start:]) + traceback.format_exception_only(exc)
    text = "".join(lines)
    if len(text) > _MAX_ERROR_CHARS:
        text = "...\n" + text[-_MAX_ERROR_CHARS:]
    return redact(text)


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[threading.Event]:
    """Interrupt the main thread after ``seconds`` (as the kernel's stop button does)."""
    fired = threading.Event()
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield fired
        return
    main_id = threading.main_thread().ident
    assert main_id is not None

    def interrupt() -> None:
        fired.set()
        signal.pthread_kill(main_id, signal.SIGINT)

    timer = threading.Timer(seconds, interrupt)
    timer.daemon = True
    timer.start()
    try:
        yield fired
    finally:
        timer.cancel()


@contextlib.contextmanager
def _traceback_shown(shell: Any, show: bool) -> Iterator[None]:
    """Optionally keep the shell from printing the traceback (attempts that will be repaired)."""
    if show:
        yield
        return
    shell.showtraceback = lambda *args, **kwargs: None
    try:
        yield
    finally:
        del shell.showtraceback  # back to the class's method


def run_code(
    shell: Any, code: str, *, show_traceback: bool = True, timeout: float = 0
) -> RunOutcome:
    """Run ``code`` as a cell of its own (not stored in history) and report how it ended."""
    with _time_limit(timeout) as fired, _traceback_shown(shell, show_traceback):
        try:
            result = shell.run_cell(code, store_history=False, silent=False)
        except KeyboardInterrupt:  # delivered between statements, outside run_cell's handler
            return RunOutcome(
                False, "KeyboardInterrupt", interrupted=not fired.is_set(), timed_out=fired.is_set()
            )
    error = result.error_before_exec or result.error_in_exec
    if error is None:
        return RunOutcome(True)
    if isinstance(error, KeyboardInterrupt):
        if fired.is_set():
            return RunOutcome(False, f"stopped after the {timeout:g} s time limit", timed_out=True)
        return RunOutcome(False, "KeyboardInterrupt", interrupted=True)
    line = redact(f"{type(error).__name__}: {error}".splitlines()[0][:300])
    return RunOutcome(False, line, exception_text(error))
