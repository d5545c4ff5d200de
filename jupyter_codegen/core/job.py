"""What a prompt cell asks for (:class:`PromptJob`) and how a code-producing run ended
(:class:`Outcome`): the typed values that enter and leave the core."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: Where the code of a run came from.
Source = Literal["generated", "pinned", "repaired"]


@dataclass(frozen=True)
class PromptJob:
    """One run of a prompt cell, as the magic parsed it."""

    prompt: str
    #: The mode's name in the modes table; also part of the pin's identity ("code",
    #: "ui-code", "ui-spec", "answer", "answer+sandbox", "fix", "chat").
    mode: str = "code"
    model_flag: str = ""
    regenerate: bool = False
    run: bool = True
    max_fixes: int = 2
    #: --candidates: code candidates to sample and compare; None means "use the config".
    candidates: int | None = None
    quiet: bool = False
    #: Per-cell overrides; None means "use the session's config".
    policy: str | None = None
    timeout: float | None = None
    confirm: bool = False
    #: Registered functions offered as: "code" (callables in code), "native" (tool calls), "both".
    tools: str | None = None
    #: --answer: most code steps before the model must answer.
    max_steps: int | None = None
    #: --answer --sandbox: Gemini's own code execution (on Google's servers, not in the kernel).
    sandbox: bool = False
    #: --ui: "code" (ipywidgets code) or "spec" (declarative A2UI, no exec); None: by policy.
    ui: str | None = None


@dataclass(frozen=True)
class Outcome:
    code: str
    model: str
    source: Source
    attempts: int
    placed: bool  # a frontend took the code and runs it as its own cell
