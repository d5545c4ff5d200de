"""Run a candidate piece of code in a throwaway copy of the kernel process, and report what it
did: whether it raised, what it printed and displayed, and a comparable fingerprint of the
values it left behind. Execution-verified candidates use it: of k sampled programs the failing
ones are dropped and the winner is chosen by agreement of results, before anything runs in the
live kernel (which then runs the winner through :mod:`.executor`).

The copy is an ``os.fork()`` of the kernel: the child sees the user's namespace as it is,
copy-on-write, and nothing it binds, deletes or changes in place reaches the live namespace, so
no rollback is needed. A run of ``x = 1`` costs 11 ms with an empty namespace, 18 ms with a
3 GB array, 40 ms with two million small dicts (2 cores, 2026: page tables are copied, not
data). Fingerprinting the requested names happens in the child, within the time limit: 50 ms
per million floats of a DataFrame column, about 1 s per million Python objects.

**Files, sockets and other processes are not isolated**: what the candidate writes to disk
stays written. Callers therefore run only code that the safety policy allows without a
confirmation.

What the child does before running anything, and why:

* it ignores SIGINT: the kernel's interrupt is sent to the whole process group, and the parent
  handles it (it kills and reaps the child, then re-raises ``KeyboardInterrupt``);
* it never talks to the kernel's sockets. In ipykernel, ``sys.stdout`` and the display
  publisher send through an IOPub thread that does not exist in the child, and a forked child's
  output is *forwarded to the notebook* by design (ipykernel's subprocess pipe), as are its
  C-level writes to fds 1 and 2 (captured by a watcher thread of the parent). So the child
  replaces ``sys.stdout``/``sys.stderr`` with one capped buffer (the executor's output cap),
  points fds 1 and 2 at ``/dev/null``, makes the shell's display publisher and
  ``sys.displayhook`` write text/plain into the buffer, and turns every ``Session.send`` it can
  reach into a no-op (a logging handler or widget holding the kernel's stream or comm still
  sends through it); ``input()`` raises;
* matplotlib is made non-interactive: the Agg backend (``MPLBACKEND`` for a later import),
  ``plt.show`` a no-op, figures left over from the parent closed, so ``figures`` counts what the
  candidate drew;
* the garbage collector is off (a collection would touch every object of the parent, copying
  its pages, and run finalizers of the parent's garbage, such as zmq sockets), and so is
  faulthandler (a crashing candidate must not print a traceback into the kernel's log);
* a SIGALRM with its default action ends the child ``timeout`` + 5 s after it started, should
  the parent be gone (a kernel restart) or stalled.

The code runs with ``exec`` on the namespace, not through ``shell.run_cell``: no history
database write, no events, no execution count (IPython's input transforms are applied, so
``%magic`` lines mean what they mean in the live run). A final expression is evaluated as a cell's
``Out`` would be, and its text/plain goes to the output (a trailing ``;`` hides it). Top-level
``await`` is not supported (it is a ``SyntaxError`` here). The child reports through a pipe as
JSON (never pickle) and ends with ``os._exit``: no atexit handlers, no flushing of inherited
buffers, no sqlite writes.

Forking a process that has threads copies only the calling thread; a lock another thread held
at that moment stays held in the child. The child's own path takes none (no logging, no real
stdout), but a candidate can still block on one: importing a module that another thread was
importing at fork time, or a BLAS / OpenMP pool that is not fork-safe. The time limit covers
those: the parent kills the child at the deadline, whatever it is doing.

Where there is no ``fork`` (Windows), or ``JUPYTER_CODEGEN_NO_FORK=1`` disables it,
:func:`can_isolate` is False: callers check it first; :func:`run_isolated` raises
``RuntimeError`` then.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import gc
import hashlib
import io
import json
import numbers
import os
import re
import select
import signal
import struct
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import Any, NoReturn

from jupyter_codegen.kernel.executor import MAX_OUTPUT_CHARS, _Budget
from jupyter_codegen.kernel.redact import redact, secret_values

#: Set to 1 to make :func:`can_isolate` False (tests of the no-fork path, or a platform where
#: forking the kernel misbehaves).
NO_FORK_ENV = "JUPYTER_CODEGEN_NO_FORK"
#: ``CandidateRun.values`` / ``kinds`` entry of a requested name the run left unbound.
UNBOUND = "<unbound>"
#: A check of the namespace after a candidate's run, made in the child: a problem, or None.
Judge = Callable[[Mapping[str, Any]], "str | None"]
#: File name of the candidate's code in its tracebacks.
FILENAME = "<candidate>"

#: Seconds past the time limit after which the child's own SIGALRM ends it.
_BACKSTOP_S = 5
#: Exit status of a child whose runner failed before it could report (a bug here).
_RUNNER_FAILED = 70
#: Significant digits floats keep in a fingerprint: 0.1 + 0.2 and 0.3 agree, 0.3 and 0.3001 not.
_SIG_DIGITS = 9
#: Array elements written out in a fingerprint; above, the values are rounded to
#: ``_HASHED_SIG_DIGITS`` and hashed. Rounding cannot tell noise from a difference at a rounding
#: boundary, and a hash fails on any one element: a million floats that differ by float noise
#: (1e-16) agree with 9 digits only with a probability of about 90 %, with 7 of 99.9 %.
_ARRAY_TEXT_ELEMENTS = 1000
_HASHED_SIG_DIGITS = 7
#: Longest fingerprint kept as text; a longer one is its start and a hash of the whole.
_MAX_FINGERPRINT_CHARS = 400
_FINGERPRINT_HEAD = 120
#: Nesting depth a fingerprint follows (deeper: "...", which also ends self-references).
_MAX_DEPTH = 12
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_BLANKS = re.compile(r"\s+")
_HEADER = struct.Struct("!Q")


@dataclass(frozen=True)
class CandidateRun:
    """What one isolated run of a candidate did."""

    #: It ran to the end without raising.
    ok: bool
    #: "ZeroDivisionError: division by zero", "timed out after 5 s", "crashed (signal 11,
    #: SIGSEGV)", ...; "" when ok. Redacted.
    error_line: str = ""
    #: What it printed (stdout and stderr) and the text/plain of what it displayed, including
    #: its final expression's value, capped like the executor caps output. Redacted. Empty
    #: when the child ended without reporting (a timeout, a crash).
    output: str = ""
    #: For each requested name, :func:`fingerprint` of its value after the run (or
    #: ``UNBOUND``). Empty when the child ended without reporting.
    values: dict[str, str] = field(default_factory=dict)
    #: For each requested name, :func:`kind_of` its value after the run (or ``UNBOUND``).
    kinds: dict[str, str] = field(default_factory=dict)
    #: Matplotlib figures open after the run (0 when the run never imported pyplot).
    figures: int = 0
    #: What the caller's ``judge`` found wrong with the namespace after the run ("": nothing,
    #: or no judge, or the run failed). Redacted.
    problem: str = ""
    #: Wall-clock seconds, fork to reaped child.
    seconds: float = 0.0
    #: It was stopped at the time limit.
    timed_out: bool = False


def can_isolate() -> bool:
    """Whether :func:`run_isolated` can run here: POSIX ``fork`` exists and
    ``$JUPYTER_CODEGEN_NO_FORK`` does not disable it."""
    return hasattr(os, "fork") and os.environ.get(NO_FORK_ENV, "").strip() in ("", "0")


def run_isolated(
    user_ns: dict[str, Any],
    code: str,
    *,
    names: Sequence[str] = (),
    timeout: float,
    output_limit: int = MAX_OUTPUT_CHARS,
    known: frozenset[str] | None = None,
    judge: Judge | None = None,
) -> CandidateRun:
    """Run ``code`` on ``user_ns`` in a forked copy of this process and report what it did;
    ``user_ns`` itself is never changed (see the module docstring for what *is* shared: files).

    ``names``: the variables to fingerprint after the run. ``timeout`` (seconds, > 0): the
    child is killed then. ``output_limit``: characters of output kept (0: no cap).
    ``known``: the secret values to mask, when the caller has just scanned the namespace.
    ``judge``: called in the child on the namespace after a run that did not raise; what it
    returns (a problem, or None) is reported as ``problem`` (the intent checks that need the
    values themselves, not only their kinds: the order, the index, a finite number).
    A Ctrl-C while it waits kills and reaps the child, then raises ``KeyboardInterrupt``.
    Never raises for anything the code does; raises ``RuntimeError`` when
    :func:`can_isolate` is False and ``OSError`` when the process cannot fork.
    """
    if not can_isolate():
        raise RuntimeError(
            f"Candidates cannot run isolated here (no os.fork, or ${NO_FORK_ENV} is set); "
            "check can_isolate() first."
        )
    if not timeout > 0:
        raise ValueError(f"run_isolated needs a time limit above 0 s, not {timeout!r}.")
    known = secret_values(user_ns) if known is None else known
    names = tuple(names)
    started = time.monotonic()
    read_end, write_end = os.pipe()
    pid = 0
    try:
        with _sigint_deferred():
            with warnings.catch_warnings():
                # Python 3.12+ warns that forking a threaded process may deadlock the child:
                # the child takes no lock (module docstring); a stuck one hits the time limit.
                warnings.simplefilter("ignore", DeprecationWarning)
                pid = os.fork()
            if pid == 0:
                _child(
                    read_end, write_end, user_ns, code, names, timeout, output_limit, known, judge
                )
            os.close(write_end)  # with the Ctrl-C held, so it is closed exactly once
            write_end = -1
        report, timed_out = _receive(read_end, started + timeout)
    except BaseException:
        if pid > 0:
            _stop(pid)
        raise
    finally:
        os.close(read_end)
        if write_end >= 0:
            os.close(write_end)
    status = _stop(pid)
    seconds = time.monotonic() - started
    if timed_out:
        return CandidateRun(
            False, f"timed out after {timeout:g} s", seconds=seconds, timed_out=True
        )
    if report is None:
        return CandidateRun(False, _death_line(status, timeout), seconds=seconds)
    return CandidateRun(
        ok=bool(report.get("ok")),
        error_line=str(report.get("error_line", "")),
        output=str(report.get("output", "")),
        values={str(k): str(v) for k, v in dict(report.get("values", {})).items()},
        kinds={str(k): str(v) for k, v in dict(report.get("kinds", {})).items()},
        figures=int(report.get("figures", 0)),
        problem=str(report.get("problem", "")),
        seconds=seconds,
    )


# --- the parent's side ----------------------------------------------------------------------


@contextlib.contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Hold a Ctrl-C back until the block is over, then deliver it to the previous handler: an
    interrupt between ``fork`` returning and its pid being stored (or while the child is reaped)
    would otherwise leave a child nobody kills or reaps. Only the main thread receives
    KeyboardInterrupt, so elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread() or (
        signal.getsignal(signal.SIGINT) is None  # a handler set outside Python: keep it
    ):
        yield
        return
    caught: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        caught.append(signum)

    previous = signal.signal(signal.SIGINT, hold)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught:
            signal.raise_signal(signal.SIGINT)


def _receive(fd: int, deadline: float) -> tuple[dict[str, Any] | None, bool]:
    """Read the child's report from ``fd`` until it is complete, the pipe closes (the child
    died) or ``deadline`` passes; returns (report or None, timed out). Waits in ``poll``."""
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
    data = bytearray()
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None, True
        if not poller.poll(max(1, int(left * 1000) + 1)):
            continue
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return None, False
        data += chunk
        if len(data) >= _HEADER.size:
            (size,) = _HEADER.unpack_from(data)
            if len(data) >= _HEADER.size + size:
                # Complete even when a process the candidate forked still holds the pipe open.
                try:
                    report = json.loads(bytes(data[_HEADER.size : _HEADER.size + size]))
                except ValueError:
                    return None, False
                return (report if isinstance(report, dict) else None), False


def _stop(pid: int) -> int:
    """Reap the child, killing it first unless it has exited; returns its wait status. A
    Ctrl-C meanwhile waits until it is reaped (no zombie is left)."""
    with _sigint_deferred():
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return status
            # A child that already began to exit keeps its own status (Linux ignores a
            # signal sent to a process that is exiting), so a crash is not read as our kill.
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            return os.waitpid(pid, 0)[1]
        except ChildProcessError:
            return 0


def _death_line(status: int, timeout: float) -> str:
    """The error line of a child that ended without a report."""
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        if number == signal.SIGALRM:  # the child's own backstop
            return f"timed out after {timeout:g} s"
        try:
            name = signal.Signals(number).name
        except ValueError:
            return f"crashed (signal {number})"
        return f"crashed (signal {number}, {name})"
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else status
    if code == _RUNNER_FAILED:
        return "the candidate runner failed in the child (a bug in jupyter-codegen)"
    return f"exited with status {code} before reporting a result"


# --- the child's side -----------------------------------------------------------------------


def _child(
    read_end: int,
    write_end: int,
    user_ns: dict[str, Any],
    code: str,
    names: tuple[str, ...],
    timeout: float,
    output_limit: int,
    known: frozenset[str],
    judge: Judge | None,
) -> NoReturn:
    """The forked child: detach from the kernel, run, report, ``os._exit``. Never returns, so
    nothing of the parent's call stack (a pytest fixture's finally, the kernel's loop) ever
    runs twice."""
    status = _RUNNER_FAILED
    try:
        with contextlib.suppress(ValueError, OSError):
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            signal.setitimer(signal.ITIMER_REAL, timeout + _BACKSTOP_S)
        os.close(read_end)
        gc.disable()
        try:
            report = _run_child(user_ns, code, names, output_limit, known, judge)
        except BaseException as exc:  # a bug here: say so rather than die silently
            report = {"ok": False, "error_line": f"candidate runner failed: {exc!r}"[:300]}
        payload = json.dumps(report).encode("utf-8")
        view = memoryview(_HEADER.pack(len(payload)) + payload)
        while view:
            view = view[os.write(write_end, view) :]
        status = 0
    finally:
        os._exit(status)


def _run_child(
    user_ns: dict[str, Any],
    code: str,
    names: tuple[str, ...],
    output_limit: int,
    known: frozenset[str],
    judge: Judge | None = None,
) -> dict[str, Any]:
    """Run ``code`` on ``user_ns`` with output captured; the report as JSON-ready values."""
    capture = _Capture(_Budget(output_limit, known))
    shell = _shell()
    _detach(shell, capture)
    ok, error_line = True, ""
    try:
        source = shell.transform_cell(code) if shell is not None else code
        tree = ast.parse(source, FILENAME, "exec")
        last = tree.body[-1] if tree.body else None
        tail = None
        if isinstance(last, ast.Expr):  # evaluated on its own, as a cell's Out
            tree.body.pop()
            tail = ast.Expression(last.value)
        exec(compile(tree, FILENAME, "exec"), user_ns)
        if tail is not None:
            value = eval(compile(tail, FILENAME, "eval"), user_ns)
            if value is not None and not code.rstrip().endswith(";"):
                capture.write(_plain_text(shell, value) + "\n")
    except BaseException as exc:  # SystemExit and KeyboardInterrupt are failures too
        ok, error_line = False, _error_line(exc, known)
    values: dict[str, str] = {}
    kinds: dict[str, str] = {}
    for name in names:
        if name in user_ns:
            values[name] = redact(fingerprint(user_ns[name]), known)
            kinds[name] = kind_of(user_ns[name])
        else:
            values[name] = kinds[name] = UNBOUND
    problem = ""
    if ok and judge is not None:
        try:
            problem = redact(judge(user_ns) or "", known)
        except Exception:  # a check that cannot judge these values says nothing
            problem = ""
    return {
        "problem": problem,
        "ok": ok,
        "error_line": error_line,
        "output": capture.text(),
        "values": values,
        "kinds": kinds,
        "figures": _open_figures(),
    }


def _error_line(exc: BaseException, known: frozenset[str]) -> str:
    """The exception as "ExcType: message" (first line, bounded, redacted), as the executor
    reports it."""
    try:
        text = f"{type(exc).__name__}: {exc}"
    except Exception:
        text = type(exc).__name__
    first = text.splitlines()[0] if text else type(exc).__name__
    return redact(first[:300].rstrip(": "), known)


class _Capture(io.TextIOBase):
    """``sys.stdout`` and ``sys.stderr`` of the child: text within the budget, kept in memory."""

    encoding = "utf-8"

    def __init__(self, budget: _Budget) -> None:
        super().__init__()
        self._budget = budget
        self._parts: list[str] = []

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        kept = self._budget.take(text)
        if kept:
            self._parts.append(kept)
        return len(text)

    def show(self, data: Any) -> None:
        """A display bundle: its text/plain, as a line."""
        plain = data.get("text/plain") if isinstance(data, dict) else None
        if isinstance(plain, str):
            self.write(plain + "\n")

    def text(self) -> str:
        text = "".join(self._parts)
        if self._budget.dropped:
            text += ("" if not text or text.endswith("\n") else "\n") + self._budget.note()
        return text


def _shell() -> Any:
    """The IPython shell of this process, if one was created (IPython is not imported here)."""
    module = sys.modules.get("IPython.core.interactiveshell")
    if module is None or not module.InteractiveShell.initialized():
        return None
    return module.InteractiveShell.instance()


def _plain_text(shell: Any, value: Any) -> str:
    """A value's text/plain as the shell's ``Out`` would show it (``repr`` without a shell)."""
    formatter = getattr(getattr(shell, "display_formatter", None), "formatters", {}).get(
        "text/plain"
    )
    return str(formatter(value)) if formatter is not None else repr(value)


def _detach(shell: Any, capture: _Capture) -> None:
    """Cut every path from this child to the kernel's sockets and the real output; make
    matplotlib non-interactive (see the module docstring)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for fd in (1, 2):
        with contextlib.suppress(OSError):
            os.dup2(devnull, fd)
    os.close(devnull)
    sessions = [getattr(stream, "session", None) for stream in (sys.stdout, sys.stderr)]
    sys.stdout = sys.stderr = capture

    def displayhook(value: Any) -> None:
        if value is not None:
            capture.write(_plain_text(shell, value) + "\n")

    sys.displayhook = displayhook

    def no_input(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError("input() is not available while a candidate runs")

    builtins.input = no_input
    getpass: Any = sys.modules.get("getpass")
    if getpass is not None:
        getpass.getpass = no_input
    if shell is not None:
        publisher = getattr(shell, "display_pub", None)
        if publisher is not None:
            publisher.publish = lambda data, *args, **kwargs: capture.show(data)
            publisher.clear_output = lambda *args, **kwargs: None
        hook = getattr(shell, "displayhook", None)
        for owner in (shell, getattr(shell, "kernel", None), publisher, hook):
            sessions.append(getattr(owner, "session", None))
    for session in {id(s): s for s in sessions if s is not None}.values():
        with contextlib.suppress(AttributeError, TypeError):
            session.send = lambda *args, **kwargs: None
    faulthandler = sys.modules.get("faulthandler")
    if faulthandler is not None and faulthandler.is_enabled():
        faulthandler.disable()
    _quiet_matplotlib()


def _quiet_matplotlib() -> None:
    """Agg backend now or at import, ``plt.show`` a no-op, no figure left from the parent."""
    os.environ["MPLBACKEND"] = "agg"
    warnings.filterwarnings("ignore", message=".*non-interactive, and thus cannot be shown")
    pyplot: Any = sys.modules.get("matplotlib.pyplot")
    try:
        if pyplot is not None:
            pyplot.close("all")
            pyplot.switch_backend("agg")
            pyplot.show = lambda *args, **kwargs: None
        elif (matplotlib := sys.modules.get("matplotlib")) is not None:
            matplotlib.rcParams["backend"] = "agg"
    except Exception:  # a broken matplotlib is the candidate's problem, not the runner's
        pass


def _open_figures() -> int:
    pyplot = sys.modules.get("matplotlib.pyplot")
    return len(pyplot.get_fignums()) if pyplot is not None else 0


# --- fingerprints ---------------------------------------------------------------------------


def kind_of(value: object) -> str:
    """The kind of ``value`` as the intent checks name it (core/intent.py): "bool", "int" and
    "float" for any such scalar (numpy's too), a builtin's name ("str", "list", "NoneType"),
    "DataFrame", "Series", "ndarray", "Figure", "Axes", else "module.QualName"."""
    cls = type(value)
    if isinstance(value, bool) or cls.__name__ == "bool_":
        return "bool"
    if isinstance(value, numbers.Integral):
        return "int"
    if isinstance(value, numbers.Real):
        return "float"
    if cls.__module__ == "builtins":
        return cls.__name__
    for module, name in (
        ("pandas", "DataFrame"),
        ("pandas", "Series"),
        ("numpy", "ndarray"),
        ("matplotlib.figure", "Figure"),
        ("matplotlib.axes", "Axes"),
    ):
        owner = sys.modules.get(module)
        kind = getattr(owner, name, None) if owner is not None else None
        if isinstance(kind, type) and isinstance(value, kind):
            return name
    return f"{cls.__module__}.{cls.__qualname__}"


def comparable_output(text: str) -> str:
    """``text`` as two candidates' outputs are compared: blanks folded, memory addresses out."""
    return _BLANKS.sub(" ", _ADDRESS.sub("", text)).strip()


def fingerprint(value: object) -> str:
    """Canonical, comparable text of ``value``: equal for values that agree, whichever way they
    were computed. Floats keep 9 significant digits (ints and integral floats print alike);
    DataFrames are their columns, index and values (not dtypes, not the index's name), Series
    their index and values (not their name), arrays their shape and values (above 1000
    elements: a hash of the values rounded to 7 digits); lists, tuples and dicts are followed
    (dict keys and sets sorted); anything else is its ``repr`` without memory addresses (an
    object with the default ``repr``: its class and attributes). At most 400 characters: a
    longer one is its start and a hash of the whole."""
    try:
        text = _canon(value, 0)
    except Exception as exc:  # a broken __repr__ must not break the report
        text = f"<{kind_of(value)}: no fingerprint ({type(exc).__name__})>"
    if len(text) <= _MAX_FINGERPRINT_CHARS:
        return text
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"{text[:_FINGERPRINT_HEAD]}... [{len(text)} chars, sha256 {digest}]"


def _float(x: float) -> str:
    if x != x:
        return "nan"
    return "0" if x == 0 else format(x, f".{_SIG_DIGITS}g")


def _canon(value: Any, depth: int) -> str:
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):  # IntEnum members and numpy-free int subclasses too
        try:
            return int.__repr__(value)
        except ValueError:  # more digits than int-to-str allows
            return hex(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, complex):
        return f"({_float(value.real)}+{_float(value.imag)}j)"
    if isinstance(value, str):
        return repr(str(value))  # numpy.str_ and other subclasses: the text only
    if isinstance(value, bytes):
        return repr(bytes(value))
    if depth > _MAX_DEPTH:
        return "..."
    numpy, pandas = sys.modules.get("numpy"), sys.modules.get("pandas")
    if pandas is not None:
        if isinstance(value, pandas.DataFrame):
            columns = [
                _canon_array(value.iloc[:, i].to_numpy(), depth) for i in range(value.shape[1])
            ]
            return (
                f"DataFrame(columns={_canon_array(value.columns.to_numpy(), depth)}, "
                f"index={_canon_array(value.index.to_numpy(), depth)}, "
                f"data=[{', '.join(columns)}])"
            )
        if isinstance(value, pandas.Series):
            return (
                f"Series(index={_canon_array(value.index.to_numpy(), depth)}, "
                f"values={_canon_array(value.to_numpy(), depth)})"
            )
        if isinstance(value, pandas.Index):
            return f"Index({_canon_array(value.to_numpy(), depth)})"
    if numpy is not None:
        if isinstance(value, numpy.ndarray):
            return _canon_array(value, depth)
        if isinstance(value, numpy.generic):
            return _canon(value.item(), depth)
    if isinstance(value, list):
        return "[" + ", ".join(_canon(v, depth + 1) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + ", ".join(_canon(v, depth + 1) for v in value) + ")"
    if isinstance(value, dict):
        items = sorted(f"{_canon(k, depth + 1)}: {_canon(v, depth + 1)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(value, (set, frozenset)):
        return "set{" + ", ".join(sorted(_canon(v, depth + 1) for v in value)) + "}"
    cls = type(value)
    if cls.__repr__ is object.__repr__ and isinstance(getattr(value, "__dict__", None), dict):
        return f"{cls.__module__}.{cls.__qualname__}({_canon(vars(value), depth + 1)})"
    return _ADDRESS.sub("", repr(value))


def _canon_array(array: Any, depth: int) -> str:
    """An ndarray: its shape and values, written out when small, else a hash of its values
    rounded (vectorised: a million floats in a fraction of a second)."""
    numpy = sys.modules["numpy"]
    shape = "x".join(map(str, array.shape))
    kind = array.dtype.kind
    if array.size <= _ARRAY_TEXT_ELEMENTS:
        items = ", ".join(_canon(v, depth + 1) for v in array.ravel().tolist())
        return f"array[{shape}]({items})"
    if kind in "biufc":
        if kind == "c":
            array = numpy.ascontiguousarray(array, dtype=numpy.complex128).view(numpy.float64)
        raw = _round_significant(numpy, numpy.asarray(array, dtype=numpy.float64)).tobytes()
    elif kind in "mM":
        raw = array.dtype.str.encode() + numpy.ascontiguousarray(array).view(numpy.int64).tobytes()
    else:
        raw = "\x00".join(_canon(v, depth + 1) for v in array.ravel().tolist()).encode(
            "utf-8", "surrogatepass"
        )
    return f"array[{shape}](sha256 {hashlib.sha256(raw).hexdigest()[:32]})"


def _round_significant(numpy: Any, array: Any) -> Any:
    """``array`` (float64) rounded to ``_HASHED_SIG_DIGITS`` significant digits, -0.0 and NaNs
    made one bit pattern each, so equal-looking values hash alike."""
    with numpy.errstate(all="ignore"):
        magnitude = numpy.abs(array)
        rounded_ok = numpy.isfinite(array) & (magnitude > 0)
        exponent = numpy.floor(numpy.log10(numpy.where(rounded_ok, magnitude, 1.0)))
        scale = numpy.power(10.0, _HASHED_SIG_DIGITS - 1 - exponent)
        rounded = numpy.round(array * scale) / scale
        out = numpy.where(rounded_ok & numpy.isfinite(rounded), rounded, array) + 0.0
    out[numpy.isnan(out)] = numpy.nan
    return numpy.ascontiguousarray(out)
