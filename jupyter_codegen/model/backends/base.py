"""The one small interface every backend implements, and the typed messages across it.

A backend turns a :class:`ModelRequest` into a stream of events. Everything above it (the
engine, the answer loop, the UI mode, the sidebar) reads the same events, so a new backend is
one file that implements :class:`Backend`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

# --- what goes in -------------------------------------------------------------------------


@dataclass(frozen=True)
class TextPart:
    text: str


@dataclass(frozen=True)
class FunctionCallPart:
    name: str
    args: dict[str, Any]
    id: str | None = None


@dataclass(frozen=True)
class FunctionResponsePart:
    name: str
    response: dict[str, Any]
    id: str | None = None


@dataclass(frozen=True)
class ExecutableCodePart:
    code: str
    language: str = "PYTHON"


@dataclass(frozen=True)
class CodeResultPart:
    outcome: str
    output: str


Part = TextPart | FunctionCallPart | FunctionResponsePart | ExecutableCodePart | CodeResultPart


@dataclass(frozen=True)
class Turn:
    role: Literal["user", "model"]
    parts: tuple[Part, ...]

    @classmethod
    def user(cls, text: str) -> Turn:
        return cls("user", (TextPart(text),))

    @classmethod
    def model(cls, text: str) -> Turn:
        return cls("model", (TextPart(text),))


@dataclass(frozen=True)
class ToolSpec:
    """A function the model may call natively; ``parameters`` is a JSON Schema object."""

    name: str
    description: str
    parameters: dict[str, Any]


@dataclass(frozen=True)
class ModelRequest:
    #: What the request is for: "code", "repair", "answer", "ui", "chat". Backends may adapt to it
    #: (the embedded model swaps in its own compact few-shot prompt) without the engine knowing.
    mode: str
    system: str
    turns: tuple[Turn, ...]
    tools: tuple[ToolSpec, ...] = ()
    #: Gemini's server-side code execution tool (runs on Google's servers, not in the kernel).
    code_execution: bool = False
    #: Ask for a JSON reply that validates against this JSON Schema (structured output).
    response_schema: dict[str, Any] | None = None
    max_output_tokens: int = 4096
    stop: tuple[str, ...] = ()
    #: Sampling for one of several candidates (core/candidates.py); None keeps the backend's
    #: own choice (greedy decoding on the embedded model).
    temperature: float | None = None
    seed: int | None = None


# --- what comes out -----------------------------------------------------------------------


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class CodeEvent:
    """An ``executableCode`` part (Gemini's sandbox) or code the backend parsed itself."""

    code: str
    language: str = "PYTHON"


@dataclass(frozen=True)
class CodeResultEvent:
    outcome: str
    output: str


@dataclass(frozen=True)
class FunctionCallEvent:
    name: str
    args: dict[str, Any]
    id: str | None = None


@dataclass(frozen=True)
class UsageEvent:
    prompt_tokens: int = 0
    output_tokens: int = 0


@dataclass(frozen=True)
class FinishEvent:
    reason: str  # STOP, MAX_TOKENS, SAFETY, ... (Gemini's names; other backends map to them)


BackendEvent = (
    TextDelta | CodeEvent | CodeResultEvent | FunctionCallEvent | UsageEvent | FinishEvent
)


@dataclass(frozen=True)
class Capabilities:
    """What a backend can do; the modes read these instead of asking which backend it is."""

    #: The model calls registered functions as native tools (``--tools native|both``).
    native_tools: bool = False
    #: Server-side code execution (``--answer --sandbox``: Gemini's code execution tool).
    code_execution: bool = False
    #: A small model: compact few-shot prompts, a context focused on what the prompt names,
    #: fresh repair attempts, fewer answer steps.
    compact_prompts: bool = False
    #: Sampling another reply is cheap (local): worth it for candidate selection.
    cheap_sampling: bool = False
    #: Decoding constrained to a JSON Schema (``ModelRequest.response_schema``).
    json_schema: bool = False


class Backend(Protocol):
    """A model that streams events for a request.

    Raise :class:`~jupyter_codegen.errors.BackendError` with a one-line message for every
    failure the user can act on."""

    #: Short backend kind: "gemini", "local", "scripted" (for messages, never for branching).
    kind: str
    #: What this backend can do (read by the modes).
    capabilities: Capabilities
    #: The model name as the user would type it after ``-m``.
    model: str

    @classmethod
    def create(cls, model: str, *, request_timeout: float, shared: dict[str, Any]) -> Backend:
        """The backend a session uses for ``model``; ``shared`` holds what the session's
        backends of one kind share (a client)."""
        ...

    def stream(self, request: ModelRequest) -> Iterator[BackendEvent]: ...


# --- the aggregated reply -----------------------------------------------------------------


@dataclass
class Reply:
    text: str = ""
    code_parts: list[CodeEvent] = field(default_factory=list)
    code_results: list[CodeResultEvent] = field(default_factory=list)
    function_calls: list[FunctionCallEvent] = field(default_factory=list)
    prompt_tokens: int = 0
    output_tokens: int = 0
    finish_reason: str = ""

    def as_turn(self) -> Turn:
        """The reply as a model turn, to send back in a multi-turn conversation."""
        parts: list[Part] = []
        if self.text:
            parts.append(TextPart(self.text))
        parts.extend(ExecutableCodePart(c.code, c.language) for c in self.code_parts)
        parts.extend(CodeResultPart(r.outcome, r.output) for r in self.code_results)
        parts.extend(FunctionCallPart(f.name, f.args, f.id) for f in self.function_calls)
        return Turn("model", tuple(parts))


def collect(
    events: Iterable[BackendEvent], on_event: Callable[[BackendEvent, Reply], None] | None = None
) -> Reply:
    """Fold a backend's event stream into a :class:`Reply`, calling ``on_event`` as each arrives
    (the live status line hangs off that callback)."""
    reply = Reply()
    for event in events:
        if isinstance(event, TextDelta):
            reply.text += event.text
        elif isinstance(event, CodeEvent):
            reply.code_parts.append(event)
        elif isinstance(event, CodeResultEvent):
            reply.code_results.append(event)
        elif isinstance(event, FunctionCallEvent):
            reply.function_calls.append(event)
        elif isinstance(event, UsageEvent):
            reply.prompt_tokens = max(reply.prompt_tokens, event.prompt_tokens)
            reply.output_tokens = max(reply.output_tokens, event.output_tokens)
        elif isinstance(event, FinishEvent):
            reply.finish_reason = event.reason
        if on_event is not None:
            on_event(event, reply)
    return reply
