"""Ask before generated code runs: ``--confirm``, and what the default policy will not run
unseen (file writes, deletes of single files, network, pickle loads).

A kernel cannot wait for a click inside one execution: the click is a comm message, and the
kernel handles messages one at a time, so it would arrive only after the prompt cell ended.
So the confirmation is honest about it:

* **with a frontend** (a kernel, ipywidgets installed): the prompt cell shows the code, the
  reason and *Run* / *Cancel* buttons, and ends with a one-line :class:`ConfirmationPending`
  error (Run All stops there rather than running later cells on missing results). A click on
  *Run* runs the code through the engine's executor in the button's callback, with the same
  time limit, output cap and rollback, and pins it like any generated code;
* **in a terminal** (IPython with a real stdin): a ``[y/N]`` question;
* **headless** (papermill, nbclient, ``jupyter-codegen run``, CI): nothing can click, so the
  setting decides: ``JUPYTER_CODEGEN_CONFIRM=auto-yes`` runs such code, ``auto-no`` refuses
  it with a one-line error; unset, a headless run also refuses (and says how to allow it).

The confirmation is a second look for a person, not a security boundary: the policy has
already blocked what must never run.
"""

from __future__ import annotations

import html
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jupyter_codegen.errors import CodegenError, ConfirmationPending, PolicyError

#: Environment variable for headless runs: "ask" (default), "auto-yes" or "auto-no".
CONFIRM_ENV = "JUPYTER_CODEGEN_CONFIRM"
MODES = ("ask", "auto-yes", "auto-no")


@dataclass(frozen=True)
class ConfirmRequest:
    """What the user is asked about."""

    code: str
    #: Why we ask, one line ("Needs your confirmation: `df.to_csv(...)` writes files (line 3)").
    reason: str
    model: str = ""


def confirm_mode(config: Any = None) -> str:
    """The configured answer for headless runs: a ``confirm`` setting on ``config`` if it has
    one, else ``$JUPYTER_CODEGEN_CONFIRM``, else "ask"."""
    value = str(getattr(config, "confirm", "") or os.environ.get(CONFIRM_ENV, "") or "ask")
    value = value.strip().lower().replace("_", "-")
    if value not in MODES:
        raise PolicyError(f"{CONFIRM_ENV}={value!r} is not valid; use one of {', '.join(MODES)}.")
    return value


def _widgets_available(shell: Any) -> bool:
    """True in a kernel whose frontend can show widgets (ipywidgets importable)."""
    if getattr(shell, "kernel", None) is None:
        return False
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True


def _stdin_is_terminal() -> bool:
    try:
        return bool(sys.stdin and sys.stdin.isatty())
    except (ValueError, OSError):
        return False


class ConfirmPanel:
    """The code, the reason, and *Run* / *Cancel*; a click runs ``on_run`` once."""

    def __init__(self, request: ConfirmRequest, on_run: Callable[[], None]) -> None:
        import ipywidgets as widgets

        self.request = request
        self._on_run = on_run
        self.done = False
        code = html.escape(request.code.rstrip())
        self.header = widgets.HTML(
            f"<b>⚠ {html.escape(request.reason)}</b><br>Read the code; nothing has run yet."
        )
        self.code = widgets.HTML(f"<pre style='margin:4px 0'>{code}</pre>")
        self.run_button = widgets.Button(description="Run", button_style="warning", icon="play")
        self.cancel_button = widgets.Button(description="Cancel", icon="times")
        self.output = widgets.Output()
        self.run_button.on_click(lambda _: self.run())
        self.cancel_button.on_click(lambda _: self.cancel())
        self.widget = widgets.VBox(
            [
                self.header,
                self.code,
                widgets.HBox([self.run_button, self.cancel_button]),
                self.output,
            ]
        )

    def _finish(self, text: str) -> None:
        self.done = True
        self.run_button.disabled = self.cancel_button.disabled = True
        self.header.value = f"<b>{html.escape(text)}</b>"

    def run(self) -> None:
        """What a click on *Run* does (also callable from tests)."""
        if self.done:
            return
        self._finish("Confirmed: running the code below.")
        with self.output:
            try:
                self._on_run()
            except CodegenError as exc:
                print(f"{type(exc).__name__}: {exc}")

    def cancel(self) -> None:
        if not self.done:
            self._finish("Cancelled: nothing ran.")

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


def ask(
    shell: Any,
    request: ConfirmRequest,
    on_run: Callable[[], None],
    *,
    config: Any = None,
    widgets: bool | None = None,
) -> None:
    """Return when the code may run now; raise a one-line error when it may not.

    ``on_run`` runs the code later, from the *Run* button (the widget path always raises
    :class:`ConfirmationPending`, whose ``panel`` is the shown :class:`ConfirmPanel`).
    ``widgets`` forces the widget path on or off (None: detect).
    """
    mode = confirm_mode(config)
    if mode == "auto-yes":
        print(f"[jupyter-codegen] {request.reason}: running it ({CONFIRM_ENV}=auto-yes).")
        return
    if mode == "auto-no":
        raise PolicyError(
            f"{request.reason}; not run because confirmation is set to auto-no "
            f"({CONFIRM_ENV}). Nothing ran."
        )
    if widgets if widgets is not None else _widgets_available(shell):
        from IPython.display import display

        panel = ConfirmPanel(request, on_run)
        display(panel)
        pending = ConfirmationPending(
            f"Waiting for your click: {request.reason}. Click Run below to run the code, "
            f"or Cancel; nothing ran yet (headless runs: set {CONFIRM_ENV}=auto-yes or auto-no)."
        )
        pending.panel = panel
        raise pending
    if _stdin_is_terminal():
        print(f"{request.reason}. The code:\n{request.code.rstrip()}")
        answer = input("Run it? [y/N] ").strip().lower()
        if answer in ("y", "yes"):
            return
        raise PolicyError("Not confirmed: the code was not run.")
    raise PolicyError(
        f"{request.reason}; nothing here can ask you, so it was not run. For headless runs set "
        f"{CONFIRM_ENV}=auto-yes (run such code) or auto-no, or use --policy strict."
    )
