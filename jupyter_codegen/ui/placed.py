"""The exercise check for a generated UI cell that a frontend runs itself.

When a frontend (the JupyterLab extension) takes the generated cell and runs it as an ordinary
cell, the prompt's own execution has already ended: there is no repair round to feed. The check
still runs, right after that cell, and says in the cell's output what failed and how to ask for
a fix, so a broken callback never goes unnoticed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from IPython.display import display

from jupyter_codegen.ui.exercise import WidgetTracker, live_widgets

#: Unrelated cells after which a pending check gives up (the frontend never ran the cell).
_PATIENCE = 3


def check_when_placed(shell: Any, code: str, check: Callable[[WidgetTracker], str | None]) -> None:
    """Run ``check`` after the next execution of ``code`` (within a few cells)."""
    tracker = WidgetTracker(shell)
    state = {"armed": False, "left": _PATIENCE}

    def pre(info: Any = None) -> None:
        raw = getattr(info, "raw_cell", "") or ""
        state["armed"] = raw.strip() == code.strip()
        if state["armed"]:
            tracker.before = set(live_widgets())

    def post(result: Any = None) -> None:
        if not state["armed"]:
            state["left"] -= 1
            if state["left"] <= 0:
                stop()
            return
        stop()
        problem = check(tracker)
        if problem is not None:
            display(
                {
                    "text/plain": "⚠ %%gemini --ui: "
                    + problem
                    + "\nRun the prompt cell with --regenerate to ask the model for a fix."
                },
                raw=True,
            )

    def stop() -> None:
        for event, handler in (("pre_run_cell", pre), ("post_run_cell", post)):
            with contextlib.suppress(ValueError):
                shell.events.unregister(event, handler)

    shell.events.register("pre_run_cell", pre)
    shell.events.register("post_run_cell", post)
