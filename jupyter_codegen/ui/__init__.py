"""Generative UI: ``%%gemini --ui`` builds a live ipywidgets interface over the user's data and
registered functions, in one of two ways.

- ``--ui=code``: the model writes ipywidgets code (:mod:`.code_mode`); after it renders, every
  control is exercised once and any exception goes back to the model.
- ``--ui=spec``: the model returns a declarative A2UI v0.9 spec (:mod:`.spec_mode`), validated
  against the published catalog (:mod:`.catalog`, ``catalog.json``) and rendered by
  :mod:`.render` without running any code it wrote, so it is allowed under the strict policy.

Without a value, ``--ui`` picks ``spec`` under the strict policy and ``code`` otherwise. Either
way the generated cell is the pinned answer: the code, or the spec in one
``render_a2ui(...)`` call.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..engine import Outcome, PromptJob
    from ..session import CodegenSession
    from .render import Surface

__all__ = ["render_a2ui", "run_ui", "ui_kind"]


def ui_kind(session: CodegenSession, job: PromptJob) -> str:
    """``code`` or ``spec``: the flag's, else ``spec`` under the strict policy."""
    if job.ui in ("code", "spec"):
        return job.ui
    return "spec" if (job.policy or session.config.policy) == "strict" else "code"


def run_ui(session: CodegenSession, job: PromptJob) -> Outcome:
    """Run a ``%%gemini --ui`` cell (the magic's entry point for the UI mode)."""
    kind = ui_kind(session, job)
    # The kind is part of the pin's identity: a spec never answers a --ui=code prompt.
    job = replace(job, mode=f"ui-{kind}", ui=kind)
    if kind == "spec":
        from .spec_mode import run_spec_ui

        return run_spec_ui(session, job)
    from .code_mode import run_code_ui

    return run_code_ui(session, job)


def render_a2ui(document: str) -> Surface:
    """Render an A2UI v0.9 spec (a JSON array of messages) as live ipywidgets, bound to this
    kernel's variables and registered functions. The generated cell of ``--ui=spec`` is one call
    of this; edit the JSON to change the interface. Raises a one-line error for a spec that does
    not validate; the returned surface shows itself when it is the cell's last value."""
    from IPython import get_ipython

    from .render import Surface
    from .spec import check_spec, normalize, read_messages
    from .spec_mode import registered_functions

    shell = get_ipython()
    namespace: dict[str, Any] = shell.user_ns if shell is not None else {}
    hidden: dict[str, Any] = getattr(shell, "user_ns_hidden", {}) if shell is not None else {}
    functions: dict[str, Any] = {}
    if shell is not None:
        from ..session import session_for

        functions = registered_functions(session_for(shell))
    spec = check_spec(normalize(read_messages(document)), namespace=namespace, functions=functions)
    return Surface(spec, namespace, functions, hidden)
