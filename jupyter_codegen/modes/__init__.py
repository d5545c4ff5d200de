"""The modes of ``%%gemini``, found in one table; :func:`run_job` runs a prompt cell in one.

Every mode starts from the core's :class:`~jupyter_codegen.core.prompt_run.PromptRun` (the
per-cell preamble, built once) and implements :class:`Mode`. The code-producing modes (code,
``--ui=code``, ``--ui=spec``) supply the hooks of the core's code loop; ``--answer`` runs its
own step loop over the same run. ``%gemini fix`` and the panel chat (:mod:`.fix`,
:mod:`.chat`) start from a PromptRun too, outside a prompt cell.
"""

from __future__ import annotations

import importlib
from dataclasses import replace
from typing import Any, Protocol

from jupyter_codegen.core.job import PromptJob
from jupyter_codegen.core.prompt_run import PromptRun
from jupyter_codegen.errors import UsageError
from jupyter_codegen.session import CodegenSession


class Mode(Protocol):
    #: The mode's name: its key in :data:`MODES`, and part of the pin's identity.
    name: str

    def prepare(self, session: CodegenSession, job: PromptJob) -> PromptJob:
        """The job as this mode runs it: flags checked (one-line UsageError), defaults set."""
        ...

    def run(self, run: PromptRun) -> Any:
        """Run the prompt cell; raises CodegenError subclasses (one line each)."""
        ...


#: Mode name -> (module, class). Imported on first use: a plain prompt loads no UI code. (The
#: magic imports this package when the extension loads, so the core's import is paid there,
#: in ``%load_ext``, not by the first prompt cell.)
MODES: dict[str, tuple[str, str]] = {
    "code": ("jupyter_codegen.modes.code", "CodeMode"),
    "ui-code": ("jupyter_codegen.modes.ui_code", "UiCodeMode"),
    "ui-spec": ("jupyter_codegen.modes.ui_spec", "UiSpecMode"),
    "answer": ("jupyter_codegen.modes.answer", "AnswerMode"),
}


def mode_name(session: CodegenSession, job: PromptJob) -> str:
    """The mode a job runs in: ``--answer``, ``--ui`` (``code`` or ``spec``: the flag's, else
    ``spec`` under the strict policy), or code."""
    if job.mode == "answer":
        return "answer"
    if job.mode == "ui":
        if job.ui in ("code", "spec"):
            return f"ui-{job.ui}"
        return "ui-spec" if (job.policy or session.config.policy) == "strict" else "ui-code"
    return job.mode


def mode_for(name: str) -> Mode:
    """A fresh instance of the mode ``name`` (one per run: a mode may keep the run's state)."""
    module, cls = MODES[name]
    try:
        mode: Mode = getattr(importlib.import_module(module), cls)()
    except (ImportError, AttributeError):
        raise UsageError(f"The {name} mode is not available in this version.") from None
    return mode


def run_job(session: CodegenSession, job: PromptJob) -> Any:
    """Run a ``%%gemini`` cell end to end: the mode's job, the shared preamble, the mode."""
    name = mode_name(session, job)
    mode = mode_for(name)
    # The mode's name is part of the pin's identity: a spec never answers a --ui=code prompt.
    job = mode.prepare(session, _named(job, name))
    return mode.run(PromptRun.start(session, job))


def _named(job: PromptJob, name: str) -> PromptJob:
    ui = name.removeprefix("ui-") if name.startswith("ui-") else job.ui
    return replace(job, mode=name, ui=ui)
