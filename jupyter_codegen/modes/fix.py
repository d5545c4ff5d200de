"""``%gemini fix``: explain the last error and offer a corrected cell (inserted, not run).

The user's failing cell is never touched: the fix goes into a new cell below, so nothing runs
twice behind the user's back and nothing they wrote is lost.
"""

from __future__ import annotations

import sys

from IPython.display import Markdown, display

from jupyter_codegen.core.job import PromptJob
from jupyter_codegen.core.prompt_run import PromptRun
from jupyter_codegen.errors import UsageError
from jupyter_codegen.kernel.executor import exception_text
from jupyter_codegen.model.backends.base import ModelRequest, Turn
from jupyter_codegen.model.extract import fenced_blocks
from jupyter_codegen.model.prompting import render
from jupyter_codegen.notebook.frontend import Placement
from jupyter_codegen.session import CodegenSession


def _failed_cell(session: CodegenSession) -> str:
    """The newest cell in the input history that is not a ``%gemini fix`` command."""
    for source in reversed(session.shell.user_ns.get("_ih") or []):
        if source.strip() and "gemini', 'fix" not in source and "%gemini fix" not in source:
            return str(source)
    return ""


def fix_last_error(session: CodegenSession, model_flag: str = "") -> None:
    error = getattr(sys, "last_value", None)
    if error is None:
        raise UsageError("No error to fix: %gemini fix looks at the last exception in this kernel.")
    code = _failed_cell(session)
    job = PromptJob(prompt=code, mode="fix", model_flag=model_flag, tools="code")
    run = PromptRun.start(session, job, in_cell=False)
    body = render(
        "fix_task", context=run.context(), code=run.job.prompt, error=exception_text(error)
    )
    request = ModelRequest(mode="repair", system=render("code_system"), turns=(Turn.user(body),))
    reply, fixed = run.generate(request, "explaining the error")
    explanation = reply.text.split("```")[0].strip() if fenced_blocks(reply.text) else ""
    if explanation:
        display(Markdown(explanation))
    display(Markdown(f"```python\n{fixed.rstrip()}\n```"))
    session.frontend.place(Placement(None, fixed, run.meta("generated", 1, fixed), fresh=True))
    run.record("generated", 1, "not run", fixed, prompt=f"fix: {type(error).__name__}")
    run.status.done(f"✓ {run.model} · fix inserted below (not run)")
