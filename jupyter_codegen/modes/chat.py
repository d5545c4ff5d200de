"""The panel chat: a question about the live kernel, answered with the same context and
templates as a prompt cell, streamed back as it is written; the code is offered, never run."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

from jupyter_codegen.core.job import PromptJob
from jupyter_codegen.core.prompt_run import PromptRun
from jupyter_codegen.errors import CodegenError
from jupyter_codegen.model.backends.base import BackendEvent, TextDelta
from jupyter_codegen.model.extract import extract_code
from jupyter_codegen.model.prompting import code_request
from jupyter_codegen.session import CodegenSession


@dataclass(frozen=True)
class ChatReply:
    text: str = ""
    #: The reply's code block ("" when it has none).
    code: str = ""
    model: str = ""
    #: The one-line error when the question could not be answered.
    error: str | None = None


def answer_chat(
    session: CodegenSession, text: str, model_flag: str, on_text: Callable[[str], None]
) -> ChatReply:
    """Answer one chat message; ``on_text`` gets the reply's text as it streams. Failures come
    back as :attr:`ChatReply.error` (and become the session's last problem), never raised."""
    model = ""
    try:
        job = PromptJob(prompt=text, mode="chat", model_flag=model_flag, quiet=True, tools="code")
        run = PromptRun.start(session, job, in_cell=False)
        model = run.model
        max_tokens = session.config.max_output_tokens
        request = code_request(run.context(), run.job.prompt, max_output_tokens=max_tokens)

        def observe(event: BackendEvent) -> None:
            if isinstance(event, TextDelta) and event.text:
                on_text(event.text)

        reply = run.stream(request, "chat", observe)
        code = ""
        with contextlib.suppress(CodegenError):
            code = extract_code(reply)
        run.record("generated", 1, "chat", code or None)
        return ChatReply(reply.text, code, model)
    except CodegenError as exc:
        session.last_error = str(exc)
        return ChatReply(model=model, error=str(exc))
