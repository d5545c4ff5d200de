"""What the prompt cell shows: a live status line, the code header, and the machine-readable
record (``application/vnd.jupyter-codegen+json``) that frontends and the headless runner read."""

from __future__ import annotations

import contextlib
import html
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from IPython import get_ipython
from IPython.display import display

from jupyter_codegen.notebook.frontend import METADATA_KEY, MIME_TYPE, GeneratedMeta


def _in_kernel(shell: Any) -> bool:
    return getattr(shell, "kernel", None) is not None


@contextlib.contextmanager
def _no_idle_flush(always: bool = False) -> Iterator[None]:
    """Skip ipykernel's flush of stdout/stderr before a display when neither holds unsent text
    (or ``always``, for a display whose order among the outputs does not matter).

    The flush keeps printed text ahead of a display; it is a round trip to the kernel's IO
    thread (~0.8 ms) even when there is nothing to send, and a prompt cell shows 3-4 displays.
    With no write pending there is nothing to keep ahead: text being sent at that moment is
    sent by the IO thread, which also sends the display, after it. Any doubt: flush."""
    shell = get_ipython()
    publisher = getattr(shell, "display_pub", None)
    streams = (sys.stdout, sys.stderr)
    idle = always or all(getattr(stream, "_flush_pending", True) is False for stream in streams)
    if not idle or not hasattr(publisher, "_flush_streams"):
        yield
        return
    publisher._flush_streams = _skip  # type: ignore[union-attr]
    try:
        yield
    finally:
        with contextlib.suppress(AttributeError):
            del publisher._flush_streams  # type: ignore[union-attr]


def _skip() -> None:
    pass


def _display(bundle: dict[str, Any], metadata: dict[str, Any], handle: Any = None) -> Any:
    """``display`` (first time) or ``handle.update`` of a raw bundle of our own.

    An update never waits for printed text: it replaces an output that is already out, so
    its place among the outputs does not depend on text sent before or after it (the flush
    cost ~1 ms whenever the generated code had just printed)."""
    with _no_idle_flush(always=handle is not None):
        if handle is None:
            return display(bundle, raw=True, display_id=True, metadata=metadata)
        handle.update(bundle, raw=True, metadata=metadata)
        return handle


def _role(role: str) -> dict[str, Any]:
    """Output metadata that marks our own outputs (status, header, log) apart from the code's:
    the headless runner moves only the code's outputs under the generated cell."""
    return {METADATA_KEY: {"role": role}}


def note(text: str) -> None:
    """A line of our own under the prompt cell (e.g. a failed attempt), not the code's output."""
    with _no_idle_flush():
        display({"text/plain": text}, raw=True, metadata=_role("log"))


class StatusLine:
    """One line under the prompt cell, updated in place while the model streams.

    Updates are throttled (streams can deliver hundreds of chunks a second); outside a kernel
    (IPython terminal) only the final line is printed.
    """

    def __init__(self, shell: Any, enabled: bool = True, min_interval: float = 0.25) -> None:
        self.enabled = enabled
        self.live = enabled and _in_kernel(shell)
        self.min_interval = min_interval
        self.started = time.monotonic()
        self._last = 0.0
        self._handle: Any = None
        self._header: CodeHeader | None = None
        self._provisional = False

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def attach(self, header: CodeHeader) -> None:
        """Show this line at the foot of ``header``'s display, not in a display of its own:
        one block with the code and its outcome (a pinned prompt cell's outputs were two
        displays and three kernel messages; now one display and two). Only before the line
        is on screen."""
        if self.live and self._handle is None:
            self._header = header

    @property
    def attached(self) -> bool:
        return self._header is not None

    def _show(self, text: str) -> None:
        if self._header is not None and self._header.set_status(text):
            return
        self._header = None  # the header is not on screen: the line shows on its own
        self._handle = _display({"text/plain": text}, _role("status"), self._handle)

    def update(self, text: str, force: bool = False) -> None:
        now = time.monotonic()
        if self.live and (force or now - self._last >= self.min_interval):
            self._last = now
            self._show(text)

    @contextlib.contextmanager
    def provisional(self) -> Iterator[None]:
        """Within: a final line is shown as progress, not printed as the cell's end (a sampled
        candidate that got no reply does not end the cell)."""
        self._provisional = True
        try:
            yield
        finally:
            self._provisional = False

    def done(self, text: str) -> None:
        if not self.enabled:
            return
        if self._provisional:
            self.update(text, force=True)
            return
        if self.live:
            self._show(text)
        else:
            print(text)


@dataclass(frozen=True)
class CodeRecord:
    """The generated code and its provenance, shown once and kept for frontends."""

    code: str
    meta: GeneratedMeta
    title: str


class CodeHeader:
    """The compact header with the code under a prompt cell, updated when a fix replaces it."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self._handle: Any = None
        self._shown: CodeRecord | None = None
        self._status = ""  # a status line shown at the foot (see StatusLine.attach)

    def bundle(self, record: CodeRecord) -> dict[str, Any]:
        data = {"code": record.code, **record.meta.to_json()}
        if self.quiet:
            return {MIME_TYPE: data, "text/plain": ""}
        fence = "````" if "```" in record.code else "```"
        markdown = (
            f"<details><summary><b>{html.escape(record.title)}</b></summary>\n\n"
            f"{fence}python\n{record.code.rstrip()}\n{fence}\n\n</details>"
        )
        plain = f"{record.title}\n" + "\n".join("    " + line for line in record.code.splitlines())
        if self._status:
            markdown += f"\n\n<span>{_markdown_safe(self._status)}</span>"
            plain += f"\n{self._status}"
        return {MIME_TYPE: data, "text/markdown": markdown, "text/plain": plain}

    def show(self, record: CodeRecord) -> None:
        if record == self._shown:
            return
        self._shown = record
        self._handle = _display(self.bundle(record), _role("header"), self._handle)

    def set_status(self, text: str) -> bool:
        """Put ``text`` at the foot of the header; False when the header is not on screen."""
        if self._shown is None or self.quiet:
            return False
        if text != self._status:
            self._status = text
            self._handle = _display(self.bundle(self._shown), _role("header"), self._handle)
        return True


#: Characters Markdown or HTML would read as markup, as numeric character references.
_MARKUP = str.maketrans({char: f"&#{ord(char)};" for char in "&<>\"'\\`*_[]#|~"})


def _markdown_safe(text: str) -> str:
    """``text`` as literal characters in Markdown (an error line may hold ``*`` or ``_``)."""
    return text.translate(_MARKUP)
