"""Registered functions: the user's Python functions offered to the model.

A registered function is offered twice (see :mod:`jupyter_codegen.core.tool_calls` for the first):

- as a **native tool**: its JSON Schema (:mod:`jupyter_codegen.functions.schema`) becomes a function
  declaration; the model's calls run here, in the kernel, visibly;
- as a **callable in generated code**: the prompt shows its Python signature and docstring, and
  the code calls it by name in the user namespace.

Both paths check the arguments against the same schema before the function runs. For generated
code this is done by a validating wrapper that is bound under the function's name only while
the generated code runs (:meth:`FunctionRegistry.calls_from_generated_code`); the user's own
calls, before and after, reach the plain function untouched. A call with bad arguments raises
:class:`InvalidArgumentsError` (a ``TypeError``) that names the argument, what was expected and
what came, and that goes back to the model through the repair loop. The wrapper also converts
the plain forms a model likes to write into what the function declares: an Enum's value to the
member, a dict to a dataclass or Pydantic model, an integral float to an int.

Async functions are awaited for native calls (several calls in one turn run concurrently); in
generated code they are offered as ordinary blocking functions, so the code needs no event loop.

Every call, native or from code, lands in one :class:`CallLog` per prompt cell: shown compactly
under the prompt cell and kept in the history.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import enum
import functools
import inspect
import reprlib
import threading
import time
from collections.abc import Callable, Coroutine, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from jupyter_codegen.errors import InvalidArgumentsError
from jupyter_codegen.functions.schema import ArgumentError, RegistrationError
from jupyter_codegen.functions.signature import FunctionSchema, function_schema, type_notes
from jupyter_codegen.kernel.redact import redact
from jupyter_codegen.model.backends.base import ToolSpec

__all__ = [
    "CallLog",
    "CallRecord",
    "FunctionRegistry",
    "InvalidArgumentsError",
    "RegisteredFunction",
    "RegistrationError",
]

#: MIME type of the call log record under a prompt cell (for frontends and the headless runner).
CALLS_MIME_TYPE = "application/vnd.jupyter-codegen.calls+json"
#: Longest docstring shown to the model per function in the code-mode prompt.
_MAX_PROMPT_DOC = 600

_repr = reprlib.Repr()
_repr.maxstring = 40
_repr.maxother = 80
_repr.maxlist = 4
_repr.maxdict = 4
_repr.maxlevel = 2


def short_repr(value: Any, limit: int = 80) -> str:
    """A bounded, redacted repr for the log (never the whole DataFrame)."""
    try:
        if isinstance(value, enum.Enum):
            text = f"{type(value).__name__}.{value.name}"
        else:
            text = _repr.repr(value)
    except Exception:
        text = f"<{type(value).__name__}>"
    text = redact(" ".join(text.split()))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def format_args(arguments: Mapping[str, Any], limit: int = 100) -> str:
    text = ", ".join(f"{k}={short_repr(v, 40)}" for k, v in arguments.items())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --- the call log -------------------------------------------------------------------------


@dataclass(frozen=True)
class CallRecord:
    """One call of a registered function, as the log and the history keep it (text only: no
    references to arguments or results, which may be large)."""

    name: str
    args: str
    source: Literal["native", "code"]
    ok: bool
    #: The result's short repr, or "ExcType: message".
    summary: str
    seconds: float

    def line(self) -> str:
        mark = "✓" if self.ok else "✗"
        return (
            f"{mark} {self.source:<6} {self.name}({self.args}) → {self.summary} "
            f"· {_fmt_seconds(self.seconds)}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "args": self.args,
            "source": self.source,
            "ok": self.ok,
            "summary": self.summary,
            "seconds": round(self.seconds, 4),
        }


def _fmt_seconds(seconds: float) -> str:
    if seconds < 0.01:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


class CallLog:
    """The calls of registered functions during one prompt cell, native and from code.

    In a kernel the log is one display under the prompt cell, updated in place as native calls
    run (``live``); calls from generated code are shown when the run ends (:meth:`finish`), after
    the code's own output. Outside a kernel (IPython terminal) it is printed once at the end.
    """

    def __init__(self, shell: Any = None, *, show: bool = True, head: int = 4, tail: int = 3):
        self.records: list[CallRecord] = []
        self.show = show
        self.live = show and getattr(shell, "kernel", None) is not None
        self.head, self.tail = head, tail
        self._handle: Any = None
        self._last_update = 0.0
        self._shown = 0  # records shown by finish() so far

    def add(self, record: CallRecord) -> None:
        self.records.append(record)
        # Only the kernel's thread updates the display (generated code may call from threads).
        on_main = threading.current_thread() is threading.main_thread()
        if on_main and self.live and (record.source == "native" or self._handle is not None):
            now = time.monotonic()
            if record.source == "native" or now - self._last_update >= 0.25:
                self._last_update = now
                self._display()

    @property
    def native_count(self) -> int:
        return sum(r.source == "native" for r in self.records)

    @property
    def code_count(self) -> int:
        return sum(r.source == "code" for r in self.records)

    def render(self) -> str:
        """The compact text: a summary line, then the first and last calls (failures too)."""
        if not self.records:
            return ""
        n = len(self.records)
        failed = [r for r in self.records if not r.ok]
        where = []
        if self.native_count:
            where.append(f"{self.native_count} native")
        if self.code_count:
            where.append(f"{self.code_count} from code")
        total = sum(r.seconds for r in self.records)
        head = (
            f"⚙ {n} function call{'s' if n != 1 else ''} ({', '.join(where)})"
            + (f", {len(failed)} failed" if failed else "")
            + f" · {_fmt_seconds(total)}"
        )
        lines = [head]
        if n <= self.head + self.tail + 1:
            shown = self.records
            lines.extend("  " + r.line() for r in shown)
        else:
            hidden = self.records[self.head : n - self.tail]
            lines.extend("  " + r.line() for r in self.records[: self.head])
            hidden_failed = [r for r in hidden if not r.ok]
            lines.append(
                f"  … {len(hidden)} more"
                + (f" ({len(hidden_failed)} failed, shown below)" if hidden_failed else "")
            )
            lines.extend("  " + r.line() for r in hidden_failed[:3])
            lines.extend("  " + r.line() for r in self.records[n - self.tail :])
        return "\n".join(lines)

    def bundle(self) -> dict[str, Any]:
        return {
            "text/plain": self.render(),
            CALLS_MIME_TYPE: {"calls": [r.to_json() for r in self.records]},
        }

    def _display(self) -> None:
        from IPython.display import display

        if self._handle is None:
            self._handle = display(self.bundle(), raw=True, display_id=True)
        else:
            self._handle.update(self.bundle(), raw=True)

    def finish(self) -> None:
        """Show the log with the calls made since the last finish (nothing if none)."""
        if not self.show or len(self.records) == self._shown:
            return
        self._shown = len(self.records)
        if self.live:
            self._display()
        else:
            from IPython.display import display

            display(self.bundle(), raw=True)


# --- running a call -----------------------------------------------------------------------


def run_coroutine(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run ``coro`` to completion from synchronous code.

    In an IPython terminal no event loop runs here: ``asyncio.run``. In ipykernel the kernel's
    own loop runs this very thread (the cell is executing inside it), so the coroutine runs on
    a fresh loop in a helper thread.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="jupyter-codegen-async")
    try:
        return pool.submit(asyncio.run, coro).result()
    finally:
        pool.shutdown(wait=False)


@dataclass(frozen=True)
class PreparedCall:
    """A call whose arguments passed the check: ready to run."""

    entry: RegisteredFunction
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    #: The checked arguments by name, as the log shows them.
    shown: str


@dataclass
class RegisteredFunction:
    """One registered function: the callable, the name the model sees, and its schema."""

    name: str
    fn: Callable[..., Any]
    schema: FunctionSchema
    #: Whether :func:`register` bound ``name`` in the user namespace (a renamed function).
    bound_by_us: bool = False

    @property
    def is_async(self) -> bool:
        return self.schema.is_async

    @property
    def summary(self) -> str:
        """The first line of the description."""
        return self.schema.description.splitlines()[0] if self.schema.description else ""

    def tool_spec(self) -> ToolSpec:
        return ToolSpec(self.name, self.schema.description, self.schema.parameters)

    def listing(self) -> str:
        """One line for ``%gemini functions``: name, signature, first docstring line."""
        prefix = "async " if self.is_async else ""
        line = f"{prefix}{self.name}{self.schema.python_signature()}"
        return line + (f"  # {self.summary}" if self.summary else "")

    def describe_for_prompt(self) -> str:
        """The function as Python source for the code-mode prompt: the signature, the docstring
        (bounded) and how to pass Enum / dataclass / model arguments. Async functions are shown
        as plain ``def``: generated code calls them without ``await``."""
        doc = inspect.getdoc(self.fn) or self.schema.description
        if len(doc) > _MAX_PROMPT_DOC:
            doc = doc[: _MAX_PROMPT_DOC - 3].rstrip() + "..."
        lines = [f"def {self.name}{self.schema.python_signature()}:"]
        if doc:
            doc_lines = doc.replace('"""', "'''").splitlines()
            lines.append('    """' + doc_lines[0])
            lines.extend(("    " + line).rstrip() for line in doc_lines[1:])
            lines[-1] += '"""'
        lines.extend(f"    # {note}" for note in type_notes(self.schema))
        return "\n".join(lines)

    # --- calls

    def prepare(self, arguments: Mapping[str, Any]) -> PreparedCall:
        """Check named arguments (a model's JSON ``args``); :class:`ArgumentError` if bad."""
        checked = self.schema.check(arguments)
        # The log shows the arguments as the caller wrote them (before conversion).
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for p in self.schema.params:
            if p.name not in checked:
                continue
            if p.kind is inspect.Parameter.POSITIONAL_ONLY:
                args.append(checked[p.name])
            else:
                kwargs[p.name] = checked[p.name]
        return PreparedCall(self, tuple(args), kwargs, format_args(arguments))

    def prepare_python(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> PreparedCall:
        """Check a Python call from generated code; :class:`InvalidArgumentsError` if bad."""
        try:
            bound = self.schema.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise InvalidArgumentsError(
                f"{self.name}(): {exc}. Signature: {self.name}{self.schema.python_signature()}",
                str(exc),
            ) from None
        try:
            return self.prepare(bound.arguments)
        except ArgumentError as exc:
            columns = [n for n, v in bound.arguments.items() if _is_column(v)]
            # The 1.5B handed a whole column to a function of one parcel, three attempts over.
            per_row = (
                f". {self.name}() takes one value per argument, not a column "
                f"({', '.join(columns)}): call it once per row, e.g. "
                "[f(a, b) for a, b in zip(frame['x'], frame['y'])]"
                " or frame.apply(lambda row: f(row['x'], row['y']), axis=1)."
                if columns
                else ""
            )
            raise InvalidArgumentsError(
                f"{self.name}() got invalid arguments: {exc}. "
                f"Signature: {self.name}{self.schema.python_signature()}{per_row}",
                str(exc),
            ) from None

    def wrapper(self, log: CallLog) -> Callable[..., Any]:
        """The validating, logging stand-in that generated code calls (always synchronous)."""
        entry = self

        @functools.wraps(self.fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                prepared = entry.prepare_python(args, kwargs)
            except InvalidArgumentsError as exc:
                shown = format_args(_bound_loosely(entry, args, kwargs))
                summary = f"invalid arguments: {exc.reason}"[:200]
                log.add(CallRecord(entry.name, shown, "code", False, summary, 0.0))
                raise
            return invoke(prepared, "code", log)

        call.__signature__ = self.schema.signature  # type: ignore[attr-defined]
        call._jupyter_codegen_wrapper = True  # type: ignore[attr-defined]
        return call


def _is_column(value: Any) -> bool:
    """A pandas Series or Index, or a numpy array: many values where a function takes one."""
    kind = type(value)
    return (kind.__module__.startswith("pandas") and kind.__name__ in ("Series", "Index")) or (
        kind.__module__ == "numpy" and kind.__name__ == "ndarray"
    )


def _bound_loosely(entry: RegisteredFunction, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    try:
        return entry.schema.signature.bind_partial(*args, **kwargs).arguments
    except TypeError:
        return {**{f"arg{i}": a for i, a in enumerate(args)}, **kwargs}


def error_line(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return redact(f"{type(exc).__name__}: {text}"[:200])


def invoke(prepared: PreparedCall, source: Literal["native", "code"], log: CallLog) -> Any:
    """Run a prepared call (awaiting a coroutine), timing and logging it; exceptions from the
    function propagate after they are logged."""
    started = time.perf_counter()
    try:
        result = prepared.entry.fn(*prepared.args, **prepared.kwargs)
        if inspect.isawaitable(result):
            result = run_coroutine(_await(result))
    except Exception as exc:
        seconds = time.perf_counter() - started
        log.add(
            CallRecord(prepared.entry.name, prepared.shown, source, False, error_line(exc), seconds)
        )
        raise
    seconds = time.perf_counter() - started
    log.add(
        CallRecord(prepared.entry.name, prepared.shown, source, True, short_repr(result), seconds)
    )
    return result


async def _await(awaitable: Any) -> Any:
    return await awaitable


# --- the registry -------------------------------------------------------------------------

_MISSING = object()


@dataclass
class FunctionRegistry:
    """Functions registered in one kernel, by the name the model sees."""

    entries: dict[str, RegisteredFunction] = field(default_factory=dict)

    # --- registration

    def add(
        self,
        fn: Callable[..., Any],
        name: str | None = None,
        *,
        description: str | None = None,
        namespace: dict[str, Any] | None = None,
    ) -> RegisteredFunction:
        """Register ``fn`` (replacing a function of the same name). Raises
        :class:`RegistrationError` (one line) when its parameters cannot be described.

        ``namespace``: the user namespace; a function registered under a name that is not bound
        there to it (``register(fn, name="weather")``) is bound, so generated code can call it.
        """
        schema = function_schema(fn, name, description)
        entry = RegisteredFunction(schema.name, fn, schema)
        if namespace is not None and entry.name not in namespace:
            # A def in the notebook under its own name is (or, for @register, is about to be)
            # bound by the user; anything else would be unreachable from generated code.
            defined_here = entry.name == getattr(fn, "__name__", None) and getattr(
                fn, "__module__", None
            ) == namespace.get("__name__")
            if not defined_here:
                namespace[entry.name] = fn
                entry.bound_by_us = True
        self.entries[entry.name] = entry
        return entry

    def remove(self, name: str, namespace: dict[str, Any] | None = None) -> None:
        entry = self.entries.pop(name, None)
        if entry is None or not entry.bound_by_us or namespace is None:
            return
        if namespace.get(name) is entry.fn:  # still the binding register() made
            del namespace[name]

    # --- reading

    def names(self) -> list[str]:
        """The registered names, in registration order (the policy allows calls to these)."""
        return list(self.entries)

    @property
    def functions(self) -> dict[str, Callable[..., Any]]:
        """Name -> the registered callable."""
        return {name: e.fn for name, e in self.entries.items()}

    def get(self, name: str) -> RegisteredFunction | None:
        return self.entries.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self.entries

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[RegisteredFunction]:
        return iter(list(self.entries.values()))

    def describe_for_prompt(self) -> list[str]:
        """One entry per function (possibly several lines): Python signature, docstring, and
        notes on Enum / dataclass arguments, as the code-mode prompt shows them."""
        return [e.describe_for_prompt() for e in self.entries.values()]

    def listing(self) -> list[str]:
        """``%gemini functions``: one line each (name, signature, first docstring line)."""
        return [e.listing() for e in self.entries.values()]

    def tool_specs(self) -> tuple[ToolSpec, ...]:
        """The function declarations for native tool calling."""
        return tuple(e.tool_spec() for e in self.entries.values())

    # --- generated code

    @contextlib.contextmanager
    def calls_from_generated_code(self, namespace: dict[str, Any], log: CallLog) -> Iterator[None]:
        """While generated code runs: each registered name in ``namespace`` is a validating,
        logging wrapper. Afterwards the previous bindings come back, unless the code rebound
        the name itself (then its value stays)."""
        wrappers: dict[str, tuple[Any, Callable[..., Any]]] = {}
        for name, entry in self.entries.items():
            wrapper = entry.wrapper(log)
            wrappers[name] = (namespace.get(name, _MISSING), wrapper)
            namespace[name] = wrapper
        try:
            yield
        finally:
            for name, (previous, wrapper) in wrappers.items():
                if namespace.get(name, _MISSING) is not wrapper:
                    continue
                if previous is _MISSING:
                    del namespace[name]
                else:
                    namespace[name] = previous
