"""``%gemini fix``: explain the last error and offer a corrected cell (inserted, not run).

The user's failing cell is never touched: the fix goes into a new cell below, so nothing runs
twice behind the user's back and nothing they wrote is lost.
"""

from __future__ import annotations

import sys

from IPython.display import Markdown, display

from .backends.base import ModelRequest, Turn
from .display import StatusLine
from .engine import generate
from .errors import UsageError
from .executor import exception_text
from .extract import fenced_blocks
from .frontend import GeneratedMeta, Placement, code_hash
from .history import HistoryEntry, now_iso
from .pins import prompt_hash
from .prompting import render
from .redact import redact
from .session import CodegenSession


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
    model = session.choose_model(model_flag).model
    context = session.context(code).render()
    body = render("fix_task", context=context, code=redact(code), error=exception_text(error))
    request = ModelRequest(mode="repair", system=render("code_system"), turns=(Turn.user(body),))
    status = StatusLine(session.shell)
    reply, fixed = generate(session, request, model, status, "explaining the error")
    explanation = reply.text.split("```")[0].strip() if fenced_blocks(reply.text) else ""
    if explanation:
        display(Markdown(explanation))
    meta = GeneratedMeta(
        None,
        prompt_hash(code, "fix", model_flag),
        model,
        "fix",
        now_iso(),
        1,
        "generated",
        code_hash(fixed),
    )
    display(Markdown(f"```python\n{fixed.rstrip()}\n```"))
    session.frontend.place(Placement(None, fixed, meta, fresh=True))
    session.history.add(
        HistoryEntry(
            now_iso(),
            f"fix: {type(error).__name__}",
            model,
            "fix",
            "generated",
            1,
            "not run",
            fixed,
        )
    )
    status.done(f"✓ {model} · fix inserted below (not run)")
