"""Prompt templates (files under ``prompts/``) rendered into model requests.

``string.Template`` substitutes values without re-reading them, so ``{}``, ``$`` and backticks in
the user's text or data pass through unchanged (``str.format`` would break on them).
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from string import Template

from jupyter_codegen.model.backends.base import ModelRequest, Turn


@cache
def template(name: str) -> Template:
    """The template file ``prompts/<name>.md``, read once."""
    text = resources.files("jupyter_codegen").joinpath("prompts", f"{name}.md").read_text("utf-8")
    return Template(text)


def sections(text: str, heading: re.Pattern[str]) -> list[tuple[str, str]]:
    """``text`` split at the lines ``heading`` matches: (its first group, the text up to the
    next heading). Anything before the first heading, a comment for maintainers, is dropped."""
    marks = list(heading.finditer(text))
    ends = [m.start() for m in marks[1:]] + [len(text)]
    return [(m.group(1), text[m.end() : end]) for m, end in zip(marks, ends, strict=True)]


def render(name: str, **values: object) -> str:
    return template(name).substitute({k: str(v) for k, v in values.items()})


def code_request(context: str, task: str, *, max_output_tokens: int = 4096) -> ModelRequest:
    """First request of code mode: system rules, then context and task in one user turn."""
    return ModelRequest(
        mode="code",
        system=render("code_system"),
        turns=(Turn.user(render("code_task", context=context, task=task)),),
        max_output_tokens=max_output_tokens,
    )


def repair_request(
    previous: ModelRequest, reply_text: str, error: str, context: str, attempt: int
) -> ModelRequest:
    """Follow-up turn: the model sees its own code (its previous reply) and the error."""
    follow_up = render("repair_task", error=error, context=context, attempt=attempt)
    return ModelRequest(
        mode="repair",
        system=previous.system,
        turns=(*previous.turns, Turn.model(reply_text), Turn.user(follow_up)),
        tools=previous.tools,  # registered functions stay callable while fixing
        max_output_tokens=previous.max_output_tokens,
    )


def pinned_repair_request(
    context: str, task: str, code: str, error: str, *, max_output_tokens: int = 4096
) -> ModelRequest:
    """Pinned code failed on today's data: the model gets the task, that code and its error."""
    body = render("pinned_repair_task", context=context, task=task, code=code, error=error)
    return ModelRequest(
        mode="repair",
        system=render("code_system"),
        turns=(Turn.user(body),),
        max_output_tokens=max_output_tokens,
    )


def retry_request(
    context: str, task: str, error: str, *, max_output_tokens: int = 4096
) -> ModelRequest:
    """A fresh attempt that is told how the last one failed, without its code: a small model
    shown its failing code hands it back unchanged (measured: the 0.5B model returned the same
    ``["amount"]`` line at temperature 0 and 0.7, with the columns named in a hint)."""
    body = render("retry_task", context=context, task=task, error=error)
    return ModelRequest(
        mode="repair",
        system=render("code_system"),
        turns=(Turn.user(body),),
        max_output_tokens=max_output_tokens,
    )


def failure_summary(error: str) -> str:
    """The exception line and the hints of a failed run's error text (no traceback frames, so
    no failing code to copy)."""
    lines = [line for line in error.strip().splitlines() if line.strip()]
    hints = [line for line in lines if line.startswith("Hint:")]
    rest = [line for line in lines if not line.startswith("Hint:") and not line.startswith(" ")]
    if hints and rest and rest[-1].startswith(("KeyError", "AttributeError")):
        # The missing name itself is left out: the 0.5B model copied it back from the error
        # line into its "fix" whatever the hint said.
        return "\n".join([f"{rest[-1].split(':')[0]}: a name that does not exist", *hints])
    return "\n".join([*(rest[-1:] or lines[:1]), *hints])
