"""Native tool calls: the model calls registered functions, they run here, the results go back.

Automatic function calling in the SDK stays off; the engine's :func:`stream_reply` hands a
reply that holds ``functionCall`` parts to :func:`resolve_calls`, which

1. runs every call of the turn in the kernel (``run_calls``): unknown names and arguments that
   fail the schema check become error responses without running anything; sync functions run in
   order on the kernel's thread (plots, widgets and prints behave as in a cell); async functions
   of the same turn run concurrently on one event loop;
2. logs each call in the prompt cell's :class:`~jupyter_codegen.functions.registry.CallLog` (name,
   arguments, result summary, time) and shows progress on the status line;
3. answers with one user turn of function responses (``{"result": ...}`` or ``{"error": ...}``:
   a function that raises is reported to the model, which may retry or explain) and streams the
   model's next reply,

until a reply holds no calls (code or prose). The number of rounds is bounded
(``%gemini config max_tool_rounds``); the last allowed round tells the model to stop calling.

How registered functions are offered (``--tools``): ``code`` (described in the prompt as Python
callables only), ``native`` (declared as tools only), ``both`` (default for Gemini). The
embedded local model gets ``code``: it has no tool calling (``Capabilities.native_tools``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import enum
import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from jupyter_codegen.errors import CodegenError, UsageError
from jupyter_codegen.functions.registry import (
    CallLog,
    CallRecord,
    FunctionRegistry,
    PreparedCall,
    error_line,
    format_args,
    invoke,
    run_coroutine,
    short_repr,
)
from jupyter_codegen.functions.schema import ArgumentError
from jupyter_codegen.kernel.redact import NamespaceScan
from jupyter_codegen.model.backends.base import (
    Capabilities,
    FunctionCallEvent,
    FunctionResponsePart,
    ModelRequest,
    Part,
    Reply,
    TextPart,
    Turn,
)
from jupyter_codegen.model.prompting import render

#: Rounds of native calls per model request before the model must answer.
DEFAULT_MAX_ROUNDS = 25
#: Longest JSON text of one function result sent back to the model.
MAX_RESULT_CHARS = 20_000
#: Rows of a DataFrame (items of a long list) sent back as a result.
_MAX_ITEMS = 200

TOOL_MODES = ("code", "native", "both")

_LAST_ROUND_NOTE = (
    "That was the last round of function calls allowed for this prompt: do not call more "
    "functions; reply now with the code or the answer."
)


# --- how functions are offered ------------------------------------------------------------


def offer_mode(flag: str | None, capabilities: Capabilities) -> str:
    """``--tools`` resolved for a backend: the flag, else ``both`` (``code`` for a backend
    without native tool calls, such as the embedded model)."""
    if flag is not None and flag not in TOOL_MODES:
        raise UsageError(f"Unknown --tools value {flag!r}: use code, native or both.")
    if not capabilities.native_tools:
        if flag == "native":
            raise UsageError(
                "--tools native needs a model with native tool calls (Gemini, or a server "
                "that serves them): this one calls registered functions from the code it "
                "writes (--tools code)."
            )
        return "code"
    return flag or "both"


def with_tools(request: ModelRequest, registry: FunctionRegistry, how: str) -> ModelRequest:
    """``request`` with the registered functions declared as tools (``native``/``both``) and
    the matching instructions added to the system prompt."""
    if how == "code" or not len(registry):
        return request
    note = render("tools_native" if how == "native" else "tools_both").strip()
    system = f"{request.system.rstrip()}\n\n{note}" if request.system else note
    return replace(request, tools=registry.tool_specs(), system=system)


def context_text(
    session: Any,
    prompt: str,
    how: str,
    scan: NamespaceScan | None = None,
    *,
    focused: bool = False,
) -> str:
    """The kernel context for a prompt; with ``--tools native`` the functions (and the MCP
    servers' read-only tools) are declared as tools only, so the prompt does not also describe
    them as callables. ``scan``: the
    namespace as read at the start of this cell, when it is unchanged since; ``focused``: a
    small model's context (only what the prompt names)."""
    context = session.context(prompt, scan, focused=focused)
    if how == "native":
        context.functions = []
        context.tool_servers = []
    return str(context.render())


# --- results to JSON ----------------------------------------------------------------------


def to_jsonable(value: Any, depth: int = 0) -> Any:
    """A JSON-compatible form of a function's result: dataclasses, Pydantic models, Enums,
    dates, numpy and pandas values become plain data; anything else its repr."""
    if depth > 20:
        return short_repr(value, 200)
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value, depth + 1)
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: to_jsonable(getattr(value, f.name), depth + 1)
            for f in dataclasses.fields(value)
        }
    dump = getattr(value, "model_dump", None)  # Pydantic
    if callable(dump) and not isinstance(value, type):
        try:
            return to_jsonable(dump(mode="json"), depth + 1)
        except Exception:
            pass
    if hasattr(value, "columns") and callable(getattr(value, "to_dict", None)):  # DataFrame
        try:
            rows = value.head(_MAX_ITEMS).to_dict(orient="records")
            return to_jsonable(rows, depth + 1)
        except Exception:
            pass
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v, depth + 1) for k, v in list(value.items())[:_MAX_ITEMS]}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v, depth + 1) for v in list(value)[:_MAX_ITEMS]]
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item) and getattr(value, "shape", None) == ():
        try:
            return to_jsonable(item(), depth + 1)
        except Exception:
            pass
    tolist = getattr(value, "tolist", None)  # numpy arrays, pandas Series
    if callable(tolist):
        try:
            return to_jsonable(tolist(), depth + 1)
        except Exception:
            pass
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return short_repr(value, 500)


def result_response(value: Any) -> dict[str, Any]:
    """The function response for a result, bounded to :data:`MAX_RESULT_CHARS`."""
    data = to_jsonable(value)
    text = json.dumps(data, default=str)
    if len(text) > MAX_RESULT_CHARS:
        return {
            "result": text[: MAX_RESULT_CHARS - 40],
            "truncated": f"the result was {len(text)} characters; this is its start",
        }
    return {"result": data}


# --- running one turn of calls ------------------------------------------------------------


@dataclass
class _Slot:
    call: FunctionCallEvent
    prepared: PreparedCall | None = None
    response: dict[str, Any] | None = None


def run_calls(
    registry: FunctionRegistry,
    calls: Sequence[FunctionCallEvent],
    log: CallLog,
    progress: Callable[[str], None] | None = None,
) -> list[FunctionResponsePart]:
    """Run one turn's calls; return one response per call, in the calls' order."""
    slots = [_Slot(call) for call in calls]
    for slot in slots:
        call = slot.call
        entry = registry.get(call.name)
        if entry is None:
            known = ", ".join(registry.names()) or "none"
            slot.response = {
                "error": f"There is no function named {call.name!r}. Registered functions: {known}."
            }
            log.add(CallRecord(call.name, format_args(call.args), "native", False, "unknown", 0))
            continue
        try:
            slot.prepared = entry.prepare(call.args)
        except ArgumentError as exc:
            sig = f"{entry.name}{entry.schema.python_signature()}"
            slot.response = {
                "error": f"Invalid arguments for {entry.name}: {exc}. The function was not "
                f"called. Its signature: {sig}"
            }
            line = f"invalid arguments: {exc}"[:200]
            log.add(CallRecord(call.name, format_args(call.args), "native", False, line, 0))
    concurrent = [s for s in slots if s.prepared is not None and s.prepared.entry.is_async]
    for i, slot in enumerate(slots):
        if slot.prepared is None or slot in concurrent:
            continue
        if progress is not None:
            progress(f"calling {slot.prepared.entry.name}({slot.prepared.shown})" + _of(i, slots))
        try:
            slot.response = result_response(invoke(slot.prepared, "native", log))
        except Exception as exc:
            slot.response = {"error": error_line(exc)}
    if concurrent:
        if progress is not None:
            names = sorted({s.prepared.entry.name for s in concurrent if s.prepared})
            progress(f"awaiting {len(concurrent)} call(s) of {', '.join(names)}")
        _run_concurrently(concurrent, log)
    return [
        FunctionResponsePart(s.call.name, s.response or {"error": "not run"}, s.call.id)
        for s in slots
    ]


def _of(i: int, slots: Sequence[_Slot]) -> str:
    return f" ({i + 1}/{len(slots)})" if len(slots) > 1 else ""


def _run_concurrently(slots: Sequence[_Slot], log: CallLog) -> None:
    """Await the async calls of one turn together; log them afterwards on this thread (the
    coroutines may run on a helper thread, see :func:`run_coroutine`)."""

    async def one(prepared: PreparedCall) -> tuple[bool, Any, float]:
        started = time.perf_counter()
        try:
            value = await prepared.entry.fn(*prepared.args, **prepared.kwargs)
            return True, value, time.perf_counter() - started
        except Exception as exc:
            return False, exc, time.perf_counter() - started

    async def gather() -> list[tuple[bool, Any, float]]:
        return list(await asyncio.gather(*(one(s.prepared) for s in slots if s.prepared)))

    for slot, (ok, value, seconds) in zip(slots, run_coroutine(gather()), strict=True):
        assert slot.prepared is not None
        name, shown = slot.prepared.entry.name, slot.prepared.shown
        if ok:
            log.add(CallRecord(name, shown, "native", True, short_repr(value), seconds))
            slot.response = result_response(value)
        else:
            line = error_line(value)
            log.add(CallRecord(name, shown, "native", False, line, seconds))
            slot.response = {"error": line}


# --- the loop -----------------------------------------------------------------------------


def resolve_calls(
    registry: FunctionRegistry,
    request: ModelRequest,
    reply: Reply,
    stream: Callable[[ModelRequest], Reply],
    log: CallLog,
    *,
    max_rounds: int = DEFAULT_MAX_ROUNDS,
    progress: Callable[[str], None] | None = None,
) -> Reply:
    """Run the reply's function calls and continue the conversation until a reply without
    calls arrives; return that reply. ``stream`` sends one request and collects its reply."""
    turns: list[Turn] = list(request.turns)
    rounds = 0
    while reply.function_calls:
        if rounds >= max_rounds:
            raise CodegenError(
                f"The model kept calling functions after {max_rounds} rounds without answering; "
                "raise the limit with %gemini config max_tool_rounds=N, or ask for code with "
                "--tools code."
            )
        rounds += 1
        parts: list[Part] = list(run_calls(registry, reply.function_calls, log, progress))
        if rounds == max_rounds:
            parts.append(TextPart(_LAST_ROUND_NOTE))
        turns += [reply.as_turn(), Turn("user", tuple(parts))]
        reply = stream(replace(request, turns=tuple(turns)))
    return reply


def show_answer(text: str) -> None:
    """A prose answer (after native calls, when no code was needed) under the prompt cell."""
    from IPython.display import display

    display({"text/markdown": text, "text/plain": text}, raw=True)
