"""``%%gemini --ui=code``: the model writes ipywidgets code; the core runs it, then every new
control is exercised once and any exception goes back to the model for repair."""

from __future__ import annotations

from typing import Any

from jupyter_codegen.core.code_loop import CodeLoop
from jupyter_codegen.core.job import Outcome
from jupyter_codegen.core.prompt_run import PromptRun
from jupyter_codegen.model.backends.base import ModelRequest, Turn
from jupyter_codegen.model.prompting import render
from jupyter_codegen.modes.code import CodeMode
from jupyter_codegen.ui.exercise import WidgetTracker, exercise, report
from jupyter_codegen.ui.placed import check_when_placed

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


class WidgetMode(CodeMode):
    """A mode whose code builds widgets: the new ones are tracked while it runs and exercised
    after each run (and after the frontend ran a placed cell)."""

    #: Widgets built in a copy of the kernel print and bind alike whether they work or not.
    samples_candidates = False

    def check_widgets(self, tracker: WidgetTracker, shell: Any) -> str | None:
        """The error text for repair when the new widgets fail, or None."""
        raise NotImplementedError

    def run(self, run: PromptRun) -> Outcome:
        shell = run.shell
        with WidgetTracker(shell) as tracker:
            self._tracker = tracker
            outcome = CodeLoop(run, self).start()
        if outcome.placed:
            check_when_placed(shell, outcome.code, lambda t: self.check_widgets(t, shell))
        return outcome

    def verify(self, run: PromptRun) -> str | None:
        return self.check_widgets(self._tracker, run.shell)


class UiCodeMode(WidgetMode):
    """``--ui=code``: code mode's loop, with the ipywidgets prompt and the widgets exercised."""

    name = "ui-code"

    def first_request(self, run: PromptRun, context: str) -> ModelRequest:
        """The ipywidgets rules, then context and task."""
        return ModelRequest(
            mode="ui",
            system=render("ui_code_system"),
            turns=(Turn.user(render("ui_code_task", context=context, task=run.job.prompt)),),
            max_output_tokens=run.session.config.max_output_tokens,
        )

    def check_widgets(self, tracker: WidgetTracker, shell: Any) -> str | None:
        return verify_widgets(tracker, shell)
