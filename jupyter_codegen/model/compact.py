"""The compact prompt of a small model: its own short system prompt and few-shot turns.

Small models need a different prompt than Gemini: for the modes that want code, the compact
system prompt and a few worked examples (``prompts/local/``) take the place of the request's
own system prompt; the request's turns follow unchanged. The core applies this to every request
for a backend that declares ``compact_prompts``; the bytes are stable, so llama.cpp's prefix
cache holds across requests.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from importlib import resources

from jupyter_codegen.model.backends.base import ModelRequest, Turn
from jupyter_codegen.model.prompting import sections

#: Request modes that get the compact system prompt and examples ("chat" keeps its own).
CODE_MODES = frozenset({"code", "repair", "ui", "answer"})

_TURN_MARK = re.compile(r"^### (user|assistant)[ \t]*$", re.MULTILINE)


@dataclass(frozen=True)
class LocalPrompts:
    """The small-model prompt pieces, read from ``prompts/local/``."""

    system: str
    #: Extra system text per mode (only modes that need one), appended to :attr:`system`.
    system_by_mode: dict[str, str]
    #: Few-shot turns as chat messages, identical on every request.
    examples: tuple[dict[str, str], ...]
    #: Further turns for some modes, after :attr:`examples` (so their cached prefix holds).
    examples_by_mode: dict[str, tuple[dict[str, str], ...]]
    #: Modes with a system prompt of their own (no shared prefix) may have their own turns.
    own_examples: dict[str, tuple[dict[str, str], ...]]

    def examples_for(self, mode: str) -> tuple[dict[str, str], ...]:
        base = self.own_examples.get(mode, self.examples)
        return (*base, *self.examples_by_mode.get(mode, ()))

    def system_for(self, mode: str) -> str:
        extra = self.system_by_mode.get(mode)
        return f"{self.system}\n{extra}" if extra else self.system


def _read_prompt(name: str) -> str:
    path = resources.files("jupyter_codegen").joinpath("prompts", "local", name)
    return path.read_text(encoding="utf-8")


def parse_examples(text: str) -> tuple[dict[str, str], ...]:
    """Split an examples file into chat messages at ``### user`` / ``### assistant`` lines.

    Anything before the first marker (a comment for maintainers) is dropped; each turn's
    surrounding blank lines are stripped so the text is stable whatever the editor does.
    """
    return tuple(
        {"role": role, "content": body.strip("\n")} for role, body in sections(text, _TURN_MARK)
    )


@functools.cache
def load_prompts() -> LocalPrompts:
    """The prompt files, read once per process (they are package data, never edited live)."""
    return LocalPrompts(
        system=_read_prompt("system.md").strip(),
        system_by_mode={"answer": _read_prompt("system_answer.md").strip()},
        examples=parse_examples(_read_prompt("examples.md")),
        examples_by_mode={"repair": parse_examples(_read_prompt("examples_repair.md"))},
        own_examples={"answer": parse_examples(_read_prompt("examples_answer.md"))},
    )


def compact(request: ModelRequest, prompts: LocalPrompts | None = None) -> ModelRequest:
    """``request`` as a small model gets it: code-producing modes get the compact system
    prompt and the few-shot turns in place of ``request.system``; other modes are unchanged."""
    if request.mode not in CODE_MODES:
        return request
    prompts = prompts or load_prompts()
    examples = tuple(
        Turn.model(m["content"]) if m["role"] == "assistant" else Turn.user(m["content"])
        for m in prompts.examples_for(request.mode)
    )
    return replace(
        request, system=prompts.system_for(request.mode), turns=(*examples, *request.turns)
    )
