"""What one ``--answer`` step showed: its output recorded while it still reaches the cell.

A step runs as a cell in the user's namespace; its prints, displays and last value show as for
any cell, and a redacted copy is kept as the step's :class:`Observation`, which the model reads
(bounded) and the answer's numbers are checked against. Split out of the run so the capturing
(patching streams and IPython's display machinery) stays in one place.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from jupyter_codegen.kernel.error_hints import error_hints
from jupyter_codegen.kernel.executor import RunOutcome, run_code
from jupyter_codegen.kernel.redact import redact

#: What a step keeps of its output at most (the head and the tail), whatever it prints.
_CAPTURE_CHARS = 50_000


def _bounded(text: str, limit: int) -> str:
    """``text`` cut to about ``limit`` characters: its head and tail, with a note between."""
    if len(text) <= limit:
        return text
    head, tail = text[: limit * 2 // 3], text[-(limit // 3) :]
    return f"{head}\n... [{len(text) - len(head) - len(tail)} characters left out] ...\n{tail}"


@dataclass(frozen=True)
class Observation:
    """What one step produced, redacted: the model reads a bounded copy of it."""

    #: Printed text (stdout, stderr) and the plain-text form of displayed objects, in order.
    output: str = ""
    #: Plain-text form of the last expression's value, as the cell showed it.
    result: str = ""
    #: The error (traceback of the step's own frames), empty when the step ran cleanly.
    error: str = ""
    #: Facts from the kernel for fixing ``error`` (kernel/error_hints.py), one "Hint:" a line.
    hints: str = ""

    @property
    def ok(self) -> bool:
        return not self.error

    @property
    def error_line(self) -> str:
        lines = [line for line in self.error.strip().splitlines() if line.strip()]
        return lines[-1][:200] if lines else ""

    def evidence(self) -> str:
        """Everything the step showed (not its error): what answer numbers may come from."""
        return f"{self.output}\n{self.result}"

    def for_model(self, limit: int) -> str:
        parts = []
        if self.output.strip():
            parts.append("Output:\n" + _bounded(self.output.strip("\n"), limit))
        if self.result.strip():
            parts.append("Value of the last expression:\n" + _bounded(self.result, limit))
        if self.error:
            parts.append("Error:\n" + _bounded(self.error.strip("\n"), limit))
            if self.hints:
                parts.append(self.hints)
            # run_code rolls a failed run back: the model must not count on what the step set.
            parts.append("(The variables this step assigned were not kept.)")
        if not parts:
            parts.append("(no output: print the values you need)")
        return "\n".join(parts)


@dataclass(frozen=True)
class Step:
    number: int
    code: str
    #: The model's sentence about what the step computes ("" when it gave none).
    note: str
    observation: Observation
    #: "kernel", "sandbox" (Google's servers) or "pinned" (a replay of the generated cell).
    where: str = "kernel"


class _Capture:
    """Text a step shows, recorded in order while it still reaches the cell (nothing hidden)."""

    def __init__(self) -> None:
        self.head: list[str] = []
        self.tail = ""
        self.size = 0
        self.result = ""
        self._muted = 0

    def write(self, text: str) -> None:
        if self._muted or not text:
            return
        if self.size < _CAPTURE_CHARS:
            self.head.append(text)
        else:
            self.tail = (self.tail + text)[-_CAPTURE_CHARS:]
        self.size += len(text)

    def displayed(self, data: Any) -> None:
        plain = data.get("text/plain") if isinstance(data, dict) else None
        if plain:
            self.write(f"{plain}\n")

    @contextlib.contextmanager
    def muted(self) -> Iterator[None]:
        """Writes made inside (by the display machinery itself) are recorded once, not twice."""
        self._muted += 1
        try:
            yield
        finally:
            self._muted -= 1

    def output(self) -> str:
        head = "".join(self.head)
        if not self.tail:
            return head
        return f"{head}\n... [output cut] ...\n{self.tail}"


class _Tee:
    """A text stream that writes through to ``stream`` and records what passes in ``capture``."""

    def __init__(self, stream: Any, capture: _Capture) -> None:
        self._stream = stream
        self._capture = capture

    def write(self, text: str) -> int:
        self._capture.write(text)
        written: int = self._stream.write(text)
        return written

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextlib.contextmanager
def _observing(shell: Any) -> Iterator[_Capture]:
    """Record what a step prints, displays and returns, while it still shows as usual.

    A tee on ``sys.stdout``/``sys.stderr`` for prints; the display publisher for ``display()``
    and plots (their ``text/plain``); the display hook for the last expression's value.
    """
    capture = _Capture()
    patched: list[tuple[Any, str, bool, Any]] = []

    def patch(obj: Any, name: str, make: Callable[[Any], Any]) -> None:
        original = getattr(obj, name, None)
        if original is None:
            return
        patched.append((obj, name, name in vars(obj), original))
        setattr(obj, name, make(original))

    def publish(original: Any) -> Any:
        def wrapper(data: Any, *args: Any, **kwargs: Any) -> Any:
            capture.displayed(data)
            with capture.muted():
                return original(data, *args, **kwargs)

        return wrapper

    def format_data(original: Any) -> Any:
        def wrapper(format_dict: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(format_dict, dict):
                capture.result = str(format_dict.get("text/plain", ""))
            with capture.muted():
                return original(format_dict, *args, **kwargs)

        return wrapper

    def muted(original: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with capture.muted():
                return original(*args, **kwargs)

        return wrapper

    saved = sys.stdout, sys.stderr
    try:
        patch(shell.display_pub, "publish", publish)
        patch(shell.displayhook, "write_format_data", format_data)
        patch(shell.displayhook, "write_output_prompt", muted)
        sys.stdout, sys.stderr = _Tee(saved[0], capture), _Tee(saved[1], capture)
        yield capture
    finally:
        sys.stdout, sys.stderr = saved
        for obj, name, own, original in reversed(patched):
            if own:
                setattr(obj, name, original)
            else:
                delattr(obj, name)


def run_observed(shell: Any, code: str, timeout: float) -> tuple[RunOutcome, Observation]:
    """Run ``code`` as a cell in the user's namespace; return how it ended and what it showed."""
    with _observing(shell) as capture:
        outcome = run_code(shell, code, show_traceback=False, timeout=timeout)
    if outcome.timed_out:
        error = f"TimeoutError: stopped after the {timeout:g} s time limit"
    else:
        error = "" if outcome.ok else (outcome.error_text or outcome.error_line)
    # Facts for the fix, as code mode's repairs get them (the columns of a KeyError's frame).
    hints = error_hints(outcome.error_line, code, shell.user_ns) if error else ""
    observed = Observation(redact(capture.output()), redact(capture.result), redact(error))
    return outcome, replace(observed, hints=redact(hints))
