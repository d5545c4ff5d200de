"""The step protocol of ``--answer``: what is sent to the model, and how its replies are read.

Each reply is either one code block (a step) or the final answer; after a step the model gets
its observation and what to do next (the ``answer_next`` template's sections). Gemini and the
small local model get different prompts (:class:`StepProtocol`). Apart from the run so the
conversation's wording can be read (and tested) without a kernel.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from string import Template

from jupyter_codegen.errors import NoCodeError
from jupyter_codegen.model.backends import Capabilities
from jupyter_codegen.model.backends.base import CodeEvent, ModelRequest, Reply, Turn
from jupyter_codegen.model.extract import extract_code
from jupyter_codegen.model.prompting import failure_summary, render, sections
from jupyter_codegen.modes.answer.capture import Step

#: First line of a final answer in the step protocol.
FINAL_MARK = "FINAL ANSWER:"
#: Code steps before the model must answer (``--max-steps``), for Gemini and the local model.
DEFAULT_MAX_STEPS = 6
LOCAL_MAX_STEPS = 3
#: Bound on each part (output, value, error) of an observation sent back to the model.
OBSERVATION_CHARS = 2000
LOCAL_OBSERVATION_CHARS = 600


_FINAL = re.compile(r"^[ \t#>*_]*final[ \t]+answer[ \t*_]*(?::[ \t*_]*|$)", re.I | re.M)
_SECTION = re.compile(r"^### (\w+)[ \t]*$", re.M)


@dataclass(frozen=True)
class Move:
    """What a reply asks for: run a ``step`` (``text`` is its note), take an ``answer``
    (``text``), or ``nothing`` (an empty reply)."""

    kind: str
    text: str = ""
    code: str = ""


def step_note(text: str) -> str:
    """The model's one-line description of a step: the last prose line before its code."""
    before = re.split(r"^[ \t]*(?:```|~~~)", text, maxsplit=1, flags=re.M)[0]
    lines = [line.strip(" \t*#:") for line in before.splitlines() if line.strip(" \t*#:")]
    return lines[-1][:120] if lines else ""


def parse_move(text: str, code_parts: Sequence[CodeEvent] = ()) -> Move:
    """Read a reply under the step protocol.

    A reply that starts with the final-answer marker is the answer; otherwise code makes it a
    step (an answer written next to code is a guess: the code has not run yet); otherwise any
    text is the answer (small models skip the marker), after a marker if there is one.
    """
    stripped = text.strip()
    mark = _FINAL.search(stripped)
    if mark is not None and not stripped[: mark.start()].strip():
        return Move("answer", stripped[mark.end() :].strip())
    try:
        code = extract_code(Reply(text=text, code_parts=list(code_parts)))
    except NoCodeError:
        if mark is not None:
            stripped = stripped[mark.end() :].strip() or stripped
        return Move("answer", stripped) if stripped else Move("nothing")
    return Move("step", step_note(text), code)


@cache
def _next_sections() -> dict[str, Template]:
    text = resources.files("jupyter_codegen").joinpath("prompts", "answer_next.md")
    body = text.read_text("utf-8")
    return {name: Template(section.strip()) for name, section in sections(body, _SECTION)}


def _next(name: str, **values: object) -> str:
    return _next_sections()[name].substitute({k: str(v) for k, v in values.items()})


def _exact_math_hint() -> str:
    if importlib.util.find_spec("sympy") is not None:
        return "`sympy` is installed: use it for algebra, equations and symbolic results."
    return "`sympy` is not installed: do not import it."


@dataclass(frozen=True)
class StepProtocol:
    """How the loop talks to this model: Gemini, or the small local model (simpler prompts)."""

    local: bool
    max_steps: int
    observation_chars: int

    @classmethod
    def for_capabilities(cls, capabilities: Capabilities, max_steps: int | None) -> StepProtocol:
        local = capabilities.compact_prompts
        default = LOCAL_MAX_STEPS if local else DEFAULT_MAX_STEPS
        chars = LOCAL_OBSERVATION_CHARS if local else OBSERVATION_CHARS
        return cls(local, max_steps or default, chars)


def first_request(
    context: str, task: str, protocol: StepProtocol, *, max_output_tokens: int = 4096
) -> ModelRequest:
    """The question with the kernel context; the system prompt sets out the step protocol.

    (The local backend swaps the system prompt for its own compact one, which is why the local
    task text restates the protocol.)"""
    system = render(
        "answer_system",
        marker=FINAL_MARK,
        max_steps=protocol.max_steps,
        exact_math=_exact_math_hint(),
    )
    name = "answer_local_task" if protocol.local else "answer_task"
    return ModelRequest(
        mode="answer",
        system=system,
        turns=(Turn.user(render(name, context=context, task=task)),),
        max_output_tokens=max_output_tokens,
    )


def retry_request(
    context: str, task: str, error: str, protocol: StepProtocol, *, max_output_tokens: int = 4096
) -> ModelRequest:
    """The question asked afresh, told how the last step failed, without that step's code: a
    small model shown its failing step wrote it again unchanged (the 1.5B ran the same
    ``orders["segment"]`` step three times), as in code mode (prompting.retry_request)."""
    first = first_request(context, task, protocol, max_output_tokens=max_output_tokens)
    body = render("answer_local_retry", context=context, task=task, error=failure_summary(error))
    return replace(first, turns=(Turn.user(body),))


def follow_up(
    previous: ModelRequest, reply_text: str, step: Step, left: int, protocol: StepProtocol
) -> ModelRequest:
    """The conversation so far, the model's step, and the step's observation with what next."""
    observation = step.observation.for_model(protocol.observation_chars)
    if protocol.local:
        # Small models do not choose well between another step and the answer: after a step
        # that showed something they are asked for the answer (code still runs if they insist).
        obs = step.observation
        which = (
            "local_last"
            if left <= 0
            else "local_error"
            if not obs.ok
            else "local_ok"
            if obs.evidence().strip()
            else "local_empty"
        )
        body = render("answer_local_observation", observation=observation, next=_next(which))
    else:
        which = "last" if left <= 0 else "more"
        body = render(
            "answer_observation",
            step=step.number,
            outcome="ran" if step.observation.ok else "failed",
            observation=observation,
            next=_next(which, marker=FINAL_MARK, left=left),
        )
    turns = (*previous.turns, Turn.model(reply_text), Turn.user(body))
    return replace(previous, turns=turns)


def sandbox_request(context: str, task: str, *, max_output_tokens: int = 4096) -> ModelRequest:
    """One request with Gemini's code execution tool: Gemini iterates on its own servers."""
    return ModelRequest(
        mode="answer",
        system=render("answer_sandbox_system", marker=FINAL_MARK),
        turns=(Turn.user(render("answer_task", context=context, task=task)),),
        code_execution=True,
        max_output_tokens=max_output_tokens,
    )
