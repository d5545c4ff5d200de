"""Streaming one model reply with a live status line; native function calls resolved on the way.

Every mode asks the model through :func:`stream_reply` (and :func:`generate`, which adds the
code extraction), so the status line, the interrupt handling, the compact prompt of small
models and the native tool loop are the same everywhere.
"""

from __future__ import annotations

from collections.abc import Callable

from jupyter_codegen.core import tool_calls
from jupyter_codegen.errors import CodegenError, NoCodeError
from jupyter_codegen.functions.registry import CallLog
from jupyter_codegen.model.backends.base import (
    BackendEvent,
    ModelRequest,
    Reply,
    TextDelta,
    collect,
)
from jupyter_codegen.model.compact import compact
from jupyter_codegen.model.extract import extract_code
from jupyter_codegen.notebook.display import StatusLine, note
from jupyter_codegen.session import CodegenSession

_SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"

#: Turns a model reply into the code of the generated cell (default: its fenced Python block).
Extractor = Callable[[Reply], str]


def stream_reply(
    session: CodegenSession,
    request: ModelRequest,
    model: str,
    status: StatusLine,
    label: str,
    observe: Callable[[BackendEvent], None] | None = None,
    calls: CallLog | None = None,
) -> Reply:
    """Stream one reply with a live status line (model, label, elapsed time, tokens).

    For modes whose reply may hold no code (``--answer``'s final answer); :func:`generate`
    adds the code extraction. ``observe`` sees every event in order (the reply itself loses
    the order of text and sandbox code parts). When the request declares tools, the model's
    function calls run here (logged in ``calls``) until a reply without calls arrives."""
    backend = session.backend(model)
    if backend.capabilities.compact_prompts:
        session.note_once_local(note)
        request = compact(request)
    chars = 0

    def on_event(event: BackendEvent, reply: Reply) -> None:
        nonlocal chars
        if observe is not None:
            observe(event)
        if isinstance(event, TextDelta):
            chars += len(event.text)
        tokens = reply.output_tokens or chars // 4
        spin = _SPINNER[int(status.elapsed() * 8) % len(_SPINNER)]
        status.update(f"{spin} {model} · {label} · {status.elapsed():.1f} s · {tokens} tokens")

    status.update(f"{_SPINNER[0]} {model} · {label} · waiting for the model", force=True)
    try:
        reply = collect(backend.stream(request), on_event)
    except KeyboardInterrupt:
        status.done(f"■ {model} · interrupted while {label}")
        raise
    except CodegenError:
        status.done(f"✗ {model} · no reply")  # the one-line error follows below
        raise
    if reply.function_calls and request.tools:
        log = calls if calls is not None else CallLog(session.shell)
        reply = tool_calls.resolve_calls(
            session.native_functions(),
            request,
            reply,
            lambda follow_up: collect(backend.stream(follow_up), on_event),
            log,
            max_rounds=session.config.max_tool_rounds,
            progress=lambda text: status.update(f"⚙ {model} · {text}", force=True),
        )
        if calls is None:
            log.finish()
    return reply


def generate(
    session: CodegenSession,
    request: ModelRequest,
    model: str,
    status: StatusLine,
    label: str,
    extract: Extractor = extract_code,
    calls: CallLog | None = None,
) -> tuple[Reply, str]:
    """Stream one reply with a live status line; return it with the code it contains.

    After native function calls (logged in ``calls``) the model may answer in prose: then the
    code is ""."""
    native_before = calls.native_count if calls is not None else 0
    reply = stream_reply(session, request, model, status, label, calls=calls)
    try:
        return reply, extract(reply)
    except NoCodeError:
        if calls is not None and calls.native_count > native_before:
            return reply, ""
        raise
