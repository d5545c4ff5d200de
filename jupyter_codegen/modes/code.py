"""Code mode (a plain ``%%gemini`` cell): generate code, run it here, repair it when it raises.

The stages are the core's :class:`~jupyter_codegen.core.code_loop.CodeLoop`; this mode supplies
the hooks, and the UI modes extend it.
"""

from __future__ import annotations

from jupyter_codegen.core.code_loop import Attempt, CodeLoop, Failure
from jupyter_codegen.core.job import Outcome, PromptJob
from jupyter_codegen.core.prompt_run import PromptRun
from jupyter_codegen.functions.json_calls import json_call_problem
from jupyter_codegen.model.backends.base import ModelRequest, Reply
from jupyter_codegen.model.extract import extract_code
from jupyter_codegen.model.prompting import (
    code_request,
    failure_summary,
    pinned_repair_request,
    repair_request,
    retry_request,
)
from jupyter_codegen.session import CodegenSession


class CodeMode:
    """The hooks of code mode; the defaults of every code-producing mode."""

    name = "code"
    checks_intent = True
    samples_candidates = True

    def prepare(self, session: CodegenSession, job: PromptJob) -> PromptJob:
        """The job as this mode runs it (flags checked, the mode's name set)."""
        return job

    def run(self, run: PromptRun) -> Outcome:
        return CodeLoop(run, self).start()

    # --- the CodeLoop hooks -------------------------------------------------------------------

    def first_request(self, run: PromptRun, context: str) -> ModelRequest:
        max_tokens = run.session.config.max_output_tokens
        return code_request(context, run.job.prompt, max_output_tokens=max_tokens)

    def extract(self, reply: Reply) -> str:
        return extract_code(reply)

    def precheck(self, run: PromptRun, code: str) -> str | None:
        return json_call_problem(code, run.session.functions.names())

    def verify(self, run: PromptRun) -> str | None:
        return None

    def repair_request(
        self, run: PromptRun, failed: Attempt, failure: Failure, context: str
    ) -> ModelRequest:
        max_tokens = run.session.config.max_output_tokens
        if run.capabilities.compact_prompts:
            # A small model shown its failing code hands it back unchanged: a fresh attempt,
            # told how the last one failed (see prompting.retry_request).
            summary = failure_summary(failure.text)
            return retry_request(context, run.job.prompt, summary, max_output_tokens=max_tokens)
        if failed.request is None:  # pinned code that fails on today's data
            return pinned_repair_request(
                context, run.job.prompt, failed.code, failure.text, max_output_tokens=max_tokens
            )
        return repair_request(
            failed.request, failed.reply_text, failure.text, context, failed.number
        )

    def trusted(self, code: str) -> bool:
        return False
