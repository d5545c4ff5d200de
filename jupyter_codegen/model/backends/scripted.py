"""A backend that replays queued replies: fast, deterministic unit tests and benchmarks."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from jupyter_codegen.errors import BackendError, UsageError
from jupyter_codegen.model.backends.base import (
    BackendEvent,
    Capabilities,
    FinishEvent,
    FunctionCallEvent,
    ModelRequest,
    TextDelta,
    UsageEvent,
)

#: A scripted backend calls tools natively (as Gemini does) unless a test says otherwise.
SCRIPTED_CAPABILITIES = Capabilities(native_tools=True)
#: What the embedded model can do, for tests that script it.
LOCAL_LIKE = Capabilities(compact_prompts=True, cheap_sampling=True, json_schema=True)


@dataclass
class ScriptedReply:
    text: str = ""
    function_calls: list[FunctionCallEvent] = field(default_factory=list)
    finish_reason: str = "STOP"
    #: Raise this instead of replying (to script failures).
    error: Exception | None = None


class ScriptedBackend:
    """Replays replies queued with :meth:`push`; records every request it was sent."""

    kind = "scripted"

    @classmethod
    def create(
        cls, model: str, *, request_timeout: float, shared: dict[str, Any]
    ) -> ScriptedBackend:
        raise UsageError(f"Model '{model}' is for tests: put a ScriptedBackend in backends.")

    def __init__(self, model: str = "scripted", capabilities: Capabilities | None = None) -> None:
        self.model = model
        #: Tests choose what it claims: by default what Gemini can do.
        self.capabilities = capabilities or SCRIPTED_CAPABILITIES
        self.queue: deque[ScriptedReply | str] = deque()
        self.requests: list[ModelRequest] = []

    def push(self, *replies: ScriptedReply | str) -> None:
        self.queue.extend(replies)

    def stream(self, request: ModelRequest) -> Iterator[BackendEvent]:
        self.requests.append(request)
        if not self.queue:
            raise BackendError("scripted backend has no reply queued")
        reply = self.queue.popleft()
        if isinstance(reply, str):
            reply = ScriptedReply(text=reply)
        if reply.error is not None:
            raise reply.error
        if reply.text:
            yield TextDelta(reply.text)
        yield from reply.function_calls
        yield UsageEvent(prompt_tokens=len(request.system) // 4, output_tokens=len(reply.text) // 4)
        yield FinishEvent(reply.finish_reason)
