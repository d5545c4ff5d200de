"""``%%gemini --ui=code``: the model writes ipywidgets code; the engine runs it, then every new
control is exercised once and any exception goes back to the model for repair."""

from __future__ import annotations

from typing import Any

from ..backends.base import ModelRequest, Turn
from ..engine import Outcome, PromptJob, run_prompt
from ..prompting import render
from ..session import CodegenSession
from .exercise import WidgetTracker, exercise, report
from .placed import check_when_placed

#: Added to an exercise report: the usual causes, in the words of the fix.
REPAIR_HINT = (
    "Check the callbacks: an `observe` handler takes one change dict (use change['new']) and is "
    "registered with names='value'; `interactive_output(f, {...})` and `interact` call f with "
    "each control's value as a keyword argument; a button handler takes the button."
)
NO_WIDGETS = (
    "The code ran but displayed no interactive widgets. Build the interface with ipywidgets "
    "(interactive_output or interact, or controls with observe handlers) and display it."
)


def code_request(context: str, job: PromptJob, max_output_tokens: int) -> ModelRequest:
    """The first request of ``--ui=code``: the ipywidgets rules, then context and task."""
    return ModelRequest(
        mode="ui",
        system=render("ui_code_system"),
        turns=(Turn.user(render("ui_code_task", context=context, task=job.prompt)),),
        max_output_tokens=max_output_tokens,
    )


def _is_interactive(widget: Any) -> bool:
    import ipywidgets as widgets

    return isinstance(
        widget,
        widgets.ValueWidget | widgets.Button | widgets.widget_selection._Selection,
    )


def verify_widgets(tracker: WidgetTracker, shell: Any) -> str | None:
    """After a run: the error text for repair when it made no controls or one of them fails."""
    new = tracker.new_widgets()
    if not any(_is_interactive(w) for w in new):
        return NO_WIDGETS
    return report(exercise(new, shell), hint=REPAIR_HINT)


def run_code_ui(session: CodegenSession, job: PromptJob) -> Outcome:
    """Generate, run, exercise and repair ipywidgets code for ``job``."""
    shell = session.shell
    with WidgetTracker(shell) as tracker:
        outcome = run_prompt(
            session,
            job,
            build_request=code_request,
            verify=lambda _session: verify_widgets(tracker, shell),
        )
    if outcome.placed:
        check_when_placed(shell, outcome.code, lambda t: verify_widgets(t, shell))
    return outcome
