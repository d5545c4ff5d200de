"""``%%gemini --answer``: compute in the kernel, then answer in prose with the computed numbers.

The model works in steps. Each reply is either one code block, which runs in the user's
namespace (its output shows under the prompt cell as for any cell, and a bounded, redacted copy
goes back to the model as the step's *observation*), or a final answer in Markdown. The loop ends
at the final answer or after ``--max-steps`` code steps (then the model is asked once more, for
the answer only). Numbers in the answer are checked against the observations; those found in
none are flagged in the rendered answer.

The code of the steps that ran without error is kept as one combined generated cell, with the
answer appended as comments, and pinned like code mode's cells: re-running an unchanged prompt
runs that cell and shows the stored answer without a model call (re-checking its numbers against
today's output). Variables the steps create stay in the namespace.

``--sandbox`` (Gemini only) uses Gemini's code execution tool instead: the code runs on Google's
servers, without access to the kernel, in a single streamed reply.
"""

from __future__ import annotations

import bisect
import contextlib
import html
import importlib.util
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from string import Template
from typing import Any

from IPython.display import display

from jupyter_codegen.core.job import PromptJob, Source
from jupyter_codegen.core.prompt_run import PromptRun
from jupyter_codegen.errors import CodegenError, NoCodeError, PolicyError, UsageError
from jupyter_codegen.kernel.executor import RunOutcome, run_code
from jupyter_codegen.kernel.policy import Finding
from jupyter_codegen.kernel.redact import redact
from jupyter_codegen.model.backends import Capabilities
from jupyter_codegen.model.backends.base import (
    BackendEvent,
    CodeEvent,
    CodeResultEvent,
    ModelRequest,
    Reply,
    TextDelta,
    Turn,
)
from jupyter_codegen.model.extract import extract_code
from jupyter_codegen.model.prompting import render
from jupyter_codegen.notebook.display import CodeHeader, CodeRecord, note
from jupyter_codegen.notebook.frontend import METADATA_KEY, GeneratedMeta, Placement
from jupyter_codegen.notebook.pins import Pin
from jupyter_codegen.session import CodegenSession

#: First line of a final answer in the step protocol.
FINAL_MARK = "FINAL ANSWER:"
#: Code steps before the model must answer (``--max-steps``), for Gemini and the local model.
DEFAULT_MAX_STEPS = 6
LOCAL_MAX_STEPS = 3
#: Bound on each part (output, value, error) of an observation sent back to the model.
OBSERVATION_CHARS = 2000
LOCAL_OBSERVATION_CHARS = 600
#: Line in the generated cell after which the answer is kept, as comments.
ANSWER_RULE = "# ---- answer"
SANDBOX_NOTE = (
    "--sandbox: the code runs in Gemini's code execution sandbox on Google's servers, "
    "without access to this kernel's variables, files or functions."
)
_SANDBOX_HEADER = (
    "# Ran by Gemini's code execution on Google's servers, not in this kernel "
    "(%%gemini --answer --sandbox).\n# Running this cell runs the same code here.\n"
)
#: Output metadata marking our own displays apart from the steps' output: the headless runner
#: keeps these under the prompt cell and moves the steps' output under the generated cell.
_HEADER = {METADATA_KEY: {"role": "header"}}
_ANSWER = {METADATA_KEY: {"role": "log", "kind": "answer"}}
#: What a step keeps of its output at most (the head and the tail), whatever it prints.
_CAPTURE_CHARS = 50_000


class NoAnswerError(CodegenError):
    """The model stopped, or ran out of steps, without a final answer."""


# --- observations ----------------------------------------------------------------------------


def _bounded(text: str, limit: int) -> str:
    """``text`` cut to about ``limit`` characters: its head and tail, with a note between."""
    if len(text) <= limit:
        return text
    head, tail = text[: limit * 2 // 3], text[-(limit // 3) :]
    return f"{head}\n... [{len(text) - len(head) - len(tail)} characters left out] ...\n{tail}"


@dataclass(frozen=True)
class Observation:
    """What one step produced, redacted: the model reads a bounded copy of it."""

    #: Printed text (stdout, stderr) and the plain-text form of displayed objects, in order.
    output: str = ""
    #: Plain-text form of the last expression's value, as the cell showed it.
    result: str = ""
    #: The error (traceback of the step's own frames), empty when the step ran cleanly.
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error

    @property
    def error_line(self) -> str:
        lines = [line for line in self.error.strip().splitlines() if line.strip()]
        return lines[-1][:200] if lines else ""

    def evidence(self) -> str:
        """Everything the step showed (not its error): what answer numbers may come from."""
        return f"{self.output}\n{self.result}"

    def for_model(self, limit: int) -> str:
        parts = []
        if self.output.strip():
            parts.append("Output:\n" + _bounded(self.output.strip("\n"), limit))
        if self.result.strip():
            parts.append("Value of the last expression:\n" + _bounded(self.result, limit))
        if self.error:
            parts.append("Error:\n" + _bounded(self.error.strip("\n"), limit))
            # run_code rolls a failed run back: the model must not count on what the step set.
            parts.append("(The variables this step assigned were not kept.)")
        if not parts:
            parts.append("(no output: print the values you need)")
        return "\n".join(parts)


@dataclass(frozen=True)
class Step:
    number: int
    code: str
    #: The model's sentence about what the step computes ("" when it gave none).
    note: str
    observation: Observation
    #: "kernel", "sandbox" (Google's servers) or "pinned" (a replay of the generated cell).
    where: str = "kernel"


class _Capture:
    """Text a step shows, recorded in order while it still reaches the cell (nothing hidden)."""

    def __init__(self) -> None:
        self.head: list[str] = []
        self.tail = ""
        self.size = 0
        self.result = ""
        self._muted = 0

    def write(self, text: str) -> None:
        if self._muted or not text:
            return
        if self.size < _CAPTURE_CHARS:
            self.head.append(text)
        else:
            self.tail = (self.tail + text)[-_CAPTURE_CHARS:]
        self.size += len(text)

    def displayed(self, data: Any) -> None:
        plain = data.get("text/plain") if isinstance(data, dict) else None
        if plain:
            self.write(f"{plain}\n")

    @contextlib.contextmanager
    def muted(self) -> Iterator[None]:
        """Writes made inside (by the display machinery itself) are recorded once, not twice."""
        self._muted += 1
        try:
            yield
        finally:
            self._muted -= 1

    def output(self) -> str:
        head = "".join(self.head)
        if not self.tail:
            return head
        return f"{head}\n... [output cut] ...\n{self.tail}"


class _Tee:
    """A text stream that writes through to ``stream`` and records what passes in ``capture``."""

    def __init__(self, stream: Any, capture: _Capture) -> None:
        self._stream = stream
        self._capture = capture

    def write(self, text: str) -> int:
        self._capture.write(text)
        written: int = self._stream.write(text)
        return written

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextlib.contextmanager
def _observing(shell: Any) -> Iterator[_Capture]:
    """Record what a step prints, displays and returns, while it still shows as usual.

    A tee on ``sys.stdout``/``sys.stderr`` for prints; the display publisher for ``display()``
    and plots (their ``text/plain``); the display hook for the last expression's value.
    """
    capture = _Capture()
    patched: list[tuple[Any, str, bool, Any]] = []

    def patch(obj: Any, name: str, make: Callable[[Any], Any]) -> None:
        original = getattr(obj, name, None)
        if original is None:
            return
        patched.append((obj, name, name in vars(obj), original))
        setattr(obj, name, make(original))

    def publish(original: Any) -> Any:
        def wrapper(data: Any, *args: Any, **kwargs: Any) -> Any:
            capture.displayed(data)
            with capture.muted():
                return original(data, *args, **kwargs)

        return wrapper

    def format_data(original: Any) -> Any:
        def wrapper(format_dict: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(format_dict, dict):
                capture.result = str(format_dict.get("text/plain", ""))
            with capture.muted():
                return original(format_dict, *args, **kwargs)

        return wrapper

    def muted(original: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with capture.muted():
                return original(*args, **kwargs)

        return wrapper

    saved = sys.stdout, sys.stderr
    try:
        patch(shell.display_pub, "publish", publish)
        patch(shell.displayhook, "write_format_data", format_data)
        patch(shell.displayhook, "write_output_prompt", muted)
        sys.stdout, sys.stderr = _Tee(saved[0], capture), _Tee(saved[1], capture)
        yield capture
    finally:
        sys.stdout, sys.stderr = saved
        for obj, name, own, original in reversed(patched):
            if own:
                setattr(obj, name, original)
            else:
                delattr(obj, name)


def run_observed(shell: Any, code: str, timeout: float) -> tuple[RunOutcome, Observation]:
    """Run ``code`` as a cell in the user's namespace; return how it ended and what it showed."""
    with _observing(shell) as capture:
        outcome = run_code(shell, code, show_traceback=False, timeout=timeout)
    if outcome.timed_out:
        error = f"TimeoutError: stopped after the {timeout:g} s time limit"
    else:
        error = "" if outcome.ok else (outcome.error_text or outcome.error_line)
    return outcome, Observation(redact(capture.output()), redact(capture.result), redact(error))


# --- the step protocol -----------------------------------------------------------------------


_FINAL = re.compile(r"^[ \t#>*_]*final[ \t]+answer[ \t*_]*(?::[ \t*_]*|$)", re.I | re.M)
_SECTION = re.compile(r"^### (\w+)[ \t]*$", re.M)


@dataclass(frozen=True)
class Move:
    """What a reply asks for: run a ``step`` (``text`` is its note), take an ``answer``
    (``text``), or ``nothing`` (an empty reply)."""

    kind: str
    text: str = ""
    code: str = ""


def _note(text: str) -> str:
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
    return Move("step", _note(text), code)


@cache
def _next_sections() -> dict[str, Template]:
    text = resources.files("jupyter_codegen").joinpath("prompts", "answer_next.md")
    body = text.read_text("utf-8")
    marks = list(_SECTION.finditer(body))
    sections = {}
    for mark, following in zip(marks, [*marks[1:], None], strict=True):
        end = following.start() if following is not None else len(body)
        sections[mark.group(1)] = Template(body[mark.end() : end].strip())
    return sections


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


# --- numbers in the answer -------------------------------------------------------------------

_SEP = r"(?:,|\{,\}|\\,)"
_NUMBER = re.compile(
    rf"""
    (?<![\w.\\])(?P<sign>[-−+])?
    (?P<num>\d{{1,3}}(?:{_SEP}\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)
    (?P<exp>[eE][-+]?\d+)?
    (?:[ \t]*(?P<pct>%|\\%|percent\b|per[ \t]cent\b))?
    (?:[ \t]*(?P<scale>thousand|million|billion|trillion|bn|k|K|M)\b)?
    """,
    re.X,
)
_SCALES = {
    "thousand": 1e3,
    "k": 1e3,
    "K": 1e3,
    "million": 1e6,
    "M": 1e6,
    "billion": 1e9,
    "bn": 1e9,
    "trillion": 1e12,
}
_CODE_SPAN = re.compile(r"```.*?```|`[^`\n]*`", re.S)
_MATH_SPAN = re.compile(r"\$\$.*?\$\$|\$[^$\n]+\$|\\\(.*?\\\)|\\\[.*?\\\]", re.S)
#: Small whole numbers ("3 regions", "step 2", "top 5") are too common to check.
_EXEMPT_BELOW = 10


@dataclass(frozen=True)
class _Figure:
    text: str
    start: int
    end: int
    value: float
    tolerance: float
    percent: bool


def _figures(text: str) -> Iterator[_Figure]:
    for m in _NUMBER.finditer(text):
        digits = re.sub(_SEP, "", m.group("num"))
        value = abs(float(digits + (m.group("exp") or "")))
        decimals = len(digits.partition(".")[2])
        scale = _SCALES.get(m.group("scale") or "", 1.0)
        tolerance = 0.5 * 10.0**-decimals * scale
        yield _Figure(
            m.group(0).strip(),
            m.start(),
            m.end(),
            value * scale,
            tolerance,
            m.group("pct") is not None,
        )


_RATIO = re.compile(r"(?<![\w.])(\d+)\s*/\s*(\d+)(?![\w.])|Fraction\((-?\d+), (\d+)\)")


def _values(texts: Iterable[str]) -> list[float]:
    """Every number in ``texts``, a percentage also as its fraction, and the value of each
    exact ratio (``1/3``, ``Fraction(1, 3)``): the model is told to compute with fractions and
    may answer in decimals."""
    values: set[float] = set()
    for text in texts:
        for figure in _figures(text):
            values.add(figure.value)
            if figure.percent:  # "17%" in the question vouches for 0.17 in the answer
                values.add(figure.value / 100)
        for m in _RATIO.finditer(text):
            num, den = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
            if int(den):
                values.add(abs(int(num) / int(den)))
    return sorted(values)


def _near(values: list[float], target: float, tolerance: float) -> bool:
    slack = tolerance + 1e-9 * max(1.0, target)
    i = bisect.bisect_left(values, target - slack)
    return i < len(values) and values[i] <= target + slack


def _checked(figure: _Figure) -> bool:
    small = figure.value < _EXEMPT_BELOW and figure.value == int(figure.value)
    return not (small and figure.tolerance >= 0.5 and not figure.percent)


def _blank(text: str, pattern: re.Pattern[str]) -> str:
    return pattern.sub(lambda m: " " * len(m.group(0)), text)


def unsupported_figures(answer: str, evidence: Iterable[str]) -> list[_Figure]:
    """Numbers in ``answer`` that appear in none of the ``evidence`` texts.

    Rounding is allowed to the answer's own precision (12.35 matches 12.3456; "1.2 million"
    matches 1,234,567); a percentage also matches its fraction (12.5 % matches 0.125); signs are
    ignored ("fell by 3 %" for -3). Code spans are not checked; LaTeX math is.
    """
    values = _values(evidence)
    out = []
    for figure in _figures(_blank(answer, _CODE_SPAN)):
        if not _checked(figure):
            continue
        if _near(values, figure.value, figure.tolerance):
            continue
        if figure.percent and _near(values, figure.value / 100, figure.tolerance / 100):
            continue
        out.append(figure)
    return out


def flag_unsupported(answer: str, figures: Sequence[_Figure]) -> str:
    """``answer`` with a visible mark after each unsupported number outside math."""
    math = [(m.start(), m.end()) for m in _MATH_SPAN.finditer(answer)]
    marked = answer
    for figure in sorted(figures, key=lambda f: f.end, reverse=True):
        if any(a <= figure.start < b for a, b in math):
            continue
        marked = f"{marked[: figure.end]}⚠{marked[figure.end :]}"
    return marked


# --- the generated cell ----------------------------------------------------------------------


def _comment(text: str) -> list[str]:
    return [f"# {line}".rstrip() for line in text.strip("\n").splitlines()]


def combine(steps: Sequence[Step], answer: str | None, model: str, *, sandbox: bool) -> str:
    """One cell with the code of every step that ran cleanly, then the answer as comments."""
    lines = [_SANDBOX_HEADER] if sandbox else []
    kept = [s for s in steps if s.observation.ok]
    for i, step in enumerate(kept, start=1):
        note = " ".join(step.note.split())
        lines.append(f"# Step {i}" + (f": {note}" if note else ""))
        lines.append(step.code.strip("\n"))
        if sandbox:
            lines.append("# Output on Google's servers:")
            lines.extend(_comment(step.observation.output or "(none)"))
        lines.append("")
    if answer:
        lines.append(f"{ANSWER_RULE} ({model}) ----")
        lines.extend(_comment(answer))
    return "\n".join(lines).strip("\n") + "\n"


def split_cell(cell: str) -> tuple[str, str | None]:
    """A generated cell's code, and the answer kept in its comments (None if there is none)."""
    lines = cell.splitlines()
    rules = [i for i, line in enumerate(lines) if line.startswith(ANSWER_RULE)]
    if not rules:
        return cell, None
    cut = rules[-1]
    answer = "\n".join(
        line[2:] if line.startswith("# ") else line.lstrip("#") for line in lines[cut + 1 :]
    ).strip()
    return "\n".join(lines[:cut]).rstrip() + "\n", answer or None


# --- what the prompt cell shows --------------------------------------------------------------


def _fence(text: str, lang: str = "") -> str:
    ticks = "````" if "```" in text else "```"
    return f"{ticks}{lang}\n{text.rstrip()}\n{ticks}"


class StepView:
    """A step under the prompt cell: a collapsible block with its code and (once it ran) what
    the model was sent, updated in place. Outside a kernel: the code before, a line on error."""

    def __init__(self, shell: Any, quiet: bool, protocol: StepProtocol) -> None:
        self.quiet = quiet
        self.live = getattr(shell, "kernel", None) is not None
        self.protocol = protocol
        self._handle: Any = None

    def _where(self, where: str) -> str:
        return {
            "sandbox": "on Google's servers (no kernel access)",
            "pinned": "pinned code",
        }.get(where, "")

    def _bundle(self, step: Step, running: bool) -> dict[str, Any]:
        obs = step.observation
        state = "running…" if running else "✓" if obs.ok else f"✗ {obs.error_line}"
        bits = [f"Step {step.number}", self._where(step.where), step.note]
        title = " · ".join(b for b in bits if b)
        summary = f"{title} · {state}"
        body = _fence(step.code, "python")
        if not running:
            sent = obs.for_model(self.protocol.observation_chars)
            body += f"\n\nSent to the model:\n\n{_fence(sent)}"
        markdown = (
            f"<details><summary><b>{html.escape(summary)}</b></summary>\n\n{body}\n\n</details>"
        )
        # Outside a kernel the plain text is printed once, before the step runs: no state.
        head = summary if self.live else title
        plain = f"── {head}\n" + "\n".join("    " + line for line in step.code.splitlines())
        return {"text/markdown": markdown, "text/plain": plain}

    def start(self, step: Step) -> None:
        if self.quiet:
            return
        bundle = self._bundle(step, running=True)
        self._handle = display(bundle, raw=True, display_id=True, metadata=_HEADER)

    def finish(self, step: Step) -> None:
        if self.quiet:
            return
        if self.live and self._handle is not None:
            self._handle.update(self._bundle(step, running=False), raw=True, metadata=_HEADER)
        elif not step.observation.ok:
            note(f"✗ step {step.number} failed: {step.observation.error_line}")
        self._handle = None


def show_answer(
    answer: str,
    flagged: Sequence[_Figure],
    caption: str,
    *,
    replay: bool = False,
    grounded: bool = True,
) -> None:
    """The final answer as Markdown (LaTeX renders), with unsupported numbers flagged.

    ``grounded`` is False when no step ran cleanly and showed something: the answer then rests
    on no computation at all, which is said too."""
    shown = flag_unsupported(answer, flagged)
    warnings = []
    if not grounded:
        warnings.append("⚠ No step ran cleanly and showed a result: this answer is not computed.")
    if flagged:
        numbers = ", ".join(dict.fromkeys(f.text for f in flagged))
        where = "today's output of the pinned code" if replay else "any step's output"
        why = (
            "the data may have changed since it was pinned; rerun with --regenerate"
            if replay
            else "they were not computed here: check them, or rerun with --regenerate"
        )
        warnings.append(f"⚠ Not found in {where}: {numbers} ({why}).")
    notes = "".join(f"\n\n> **{w}**" for w in warnings)
    markdown = f"{shown}{notes}\n\n<sub>{caption}</sub>"
    plain = "\n".join([f"Answer ({caption}):", shown, *warnings])
    display({"text/markdown": markdown, "text/plain": plain}, raw=True, metadata=_ANSWER)


# --- the run ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerOutcome:
    answer: str
    steps: tuple[Step, ...]
    #: The generated cell: the steps' code and the answer as comments.
    cell: str
    model: str
    source: str  # generated | pinned | repaired
    #: Numbers of the answer found in no observation (shown flagged).
    unsupported: tuple[str, ...]


class _AnswerRun:
    """One run of a ``%%gemini --answer`` cell; state shared by its phases."""

    def __init__(self, run: PromptRun) -> None:
        self.run, self.session, self.job = run, run.session, run.job
        self.shell, self.model, self.status = run.shell, run.model, run.status
        if self.job.sandbox and not run.capabilities.code_execution:
            raise UsageError(
                f"--sandbox uses Gemini's code execution on Google's servers; '{self.model}' "
                "is not a Gemini model. Drop --sandbox to compute in this kernel."
            )
        self.protocol = StepProtocol.for_capabilities(run.capabilities, self.job.max_steps)
        self.views = StepView(self.shell, self.job.quiet, self.protocol)
        self.timeout = run.timeout
        self.max_output_tokens = self.session.config.max_output_tokens
        self.user_names = set(self.session.user_names())  # the names before any step ran
        self.context = run.context()

    # -- bookkeeping

    def record(self, source: str, steps: int, status: str, code: str | None) -> None:
        self.run.record(source, steps, status, code)

    def meta(self, source: Source, steps: int, cell: str) -> GeneratedMeta:
        return self.run.meta(source, steps, cell)

    def evidence(self, steps: Sequence[Step]) -> list[str]:
        # Not the kernel context: its sample rows would vouch for numbers no step computed.
        return [self.job.prompt, *(s.observation.evidence() for s in steps)]

    # -- phases

    def check(self, code: str, user_names: Iterable[str]) -> Finding | None:
        """The policy's finding on a step (None: it may run)."""
        return self.run.check(code, set(user_names))

    def run_step(self, number: int, code: str, note: str, where: str = "kernel") -> Step:
        step = Step(number, code, note, Observation(), where)
        self.views.start(step)
        finding = self.check(code, self.user_names)
        if finding is not None and finding.kind == "blocked":
            self.views.finish(replace(step, observation=Observation(error=finding.message())))
            self.record("generated", number, "blocked", code)
            self.status.done(f"✗ {self.model} · step {number} blocked, not run")
            raise PolicyError(f"{finding.message()}; step {number} was not run.")
        if finding is not None:
            # Rejected (sent back), or needing the user's confirmation: a step cannot wait for
            # a click mid-loop, so the model is told to compute without it.
            observation = Observation(error=f"Not run: {finding.message()}")
        else:
            self.status.update(f"▶ {self.model} · running step {number}", force=True)
            outcome, observation = run_observed(self.shell, code, self.timeout)
            if outcome.interrupted:
                self.views.finish(replace(step, observation=observation))
                self.record("generated", number, "interrupted", code)
                self.status.done(f"■ {self.model} · interrupted at step {number}")
                raise CodegenError(
                    f"Interrupted: step {number} was stopped; your variables are bound as "
                    "before it ran (earlier steps' results stay)."
                )
        step = replace(step, observation=observation)
        self.views.finish(step)
        return step

    def converse(self, steps: list[Step], request: ModelRequest) -> str | None:
        """Ask, run, observe until the model answers; None if it never does."""
        while True:
            left = self.protocol.max_steps - len(steps)
            label = f"step {len(steps) + 1}" if left > 0 else "answering"
            reply = self.run.stream(request, label)
            move = parse_move(reply.text, reply.code_parts)
            if move.kind == "answer":
                return move.text
            if move.kind != "step" or left <= 0:
                return None
            step = self.run_step(len(steps) + 1, move.code, move.text)
            steps.append(step)
            said = reply.text or f"```python\n{move.code}```"
            request = follow_up(request, said, step, left - 1, self.protocol)

    def replay(self, cell: str) -> AnswerOutcome | list[Step]:
        """Run the pinned cell and show its stored answer: no model call. When the model must
        take over (the code fails on today's data, or the cell holds no answer), the steps to
        continue from instead."""
        code, answer = split_cell(cell)
        source_title = f"%%gemini --answer · {self.model} · pinned code"
        meta = self.meta("pinned", 1, cell)
        CodeHeader(self.job.quiet).show(CodeRecord(cell, meta, source_title))
        if self.job.sandbox:
            if answer is None:
                return []
            # Computed on Google's servers: the kept outputs (comments) are the evidence.
            steps: list[Step] = [Step(1, code, "", Observation(output=code), "pinned")]
        else:
            # Pinned code was accepted (or written by the user): only what would block it, not
            # the rebinding check, since its own earlier run created the names it binds.
            finding = self.check(code, ())
            if finding is not None and finding.kind == "blocked":
                self.record("pinned", 1, "blocked", code)
                raise PolicyError(f"{finding.message()}; the pinned code was not run.")
            self.status.update(f"▶ {self.model} · running pinned code", force=True)
            if finding is not None:
                observation = Observation(error=f"Not run: {finding.message()}")
            else:
                outcome, observation = run_observed(self.shell, code, self.timeout)
                if outcome.interrupted:
                    self.record("pinned", 1, "interrupted", code)
                    self.status.done(f"■ {self.model} · interrupted")
                    raise CodegenError("Interrupted: the pinned code was stopped.")
            steps = [Step(1, code, "pinned code", observation, "pinned")]
            if not observation.ok or answer is None:
                if not observation.ok:
                    note(
                        f"✗ the pinned code fails on today's data: {observation.error_line} "
                        f"— asking {self.model} to continue"
                    )
                return steps
        flagged = unsupported_figures(answer, self.evidence(steps))
        show_answer(answer, flagged, f"{self.model} · pinned answer, no model call", replay=True)
        self.session.just_ran = cell
        self.record("pinned", 1, "ok", cell)
        self.status.done(f"✓ {self.model} · pinned answer · {self.status.elapsed():.1f} s")
        texts = tuple(f.text for f in flagged)
        return AnswerOutcome(answer, tuple(steps), cell, self.model, "pinned", texts)

    def in_kernel(self, pinned_steps: list[Step]) -> tuple[str | None, list[Step], Source]:
        request = first_request(
            self.context, self.job.prompt, self.protocol, max_output_tokens=self.max_output_tokens
        )
        steps = list(pinned_steps)
        source: Source = "generated"
        if steps:
            # The pinned code, as if the model had written it as its first step.
            source = "repaired"
            said = f"```python\n{steps[0].code}```"
            left = self.protocol.max_steps - 1
            request = follow_up(request, said, steps[0], left, self.protocol)
        return self.converse(steps, request), steps, source

    def in_sandbox(self) -> tuple[str | None, list[Step], Source]:
        if not self.job.quiet:
            note(SANDBOX_NOTE)
        request = sandbox_request(
            self.context, self.job.prompt, max_output_tokens=self.max_output_tokens
        )
        steps: list[Step] = []
        segments = [""]
        pending: list[Step] = []

        def observe(event: BackendEvent) -> None:
            if isinstance(event, TextDelta):
                segments[-1] += event.text
            elif isinstance(event, CodeEvent):
                step = Step(
                    len(steps) + 1, event.code, _note(segments[-1]), Observation(), "sandbox"
                )
                pending[:] = [step]
                self.views.start(step)
                segments.append("")
            elif isinstance(event, CodeResultEvent) and pending:
                ok = event.outcome in ("OUTCOME_OK", "")
                observation = Observation(
                    output=redact(event.output),
                    error="" if ok else redact(f"{event.outcome}: {event.output}"),
                )
                step = replace(pending.pop(), observation=observation)
                steps.append(step)
                self.views.finish(step)

        reply = self.run.stream(request, "computing on Google's servers", observe)
        for step in pending:  # code without a result part
            steps.append(step)
            self.views.finish(step)
        move = parse_move(segments[-1].strip() or reply.text)
        return (move.text if move.kind == "answer" else None), steps, "generated"

    def finish(self, answer: str, steps: list[Step], source: Source) -> AnswerOutcome:
        cell = combine(steps, answer, self.model, sandbox=self.job.sandbox)
        flagged = unsupported_figures(answer, self.evidence(steps))
        meta = self.meta(source, len(steps), cell)
        if self.views.live:
            # The machine-readable record (frontends, headless runner); the steps showed the code.
            CodeHeader(True).show(CodeRecord(cell, meta, ""))
        ran = "on Google's servers" if self.job.sandbox else "in this kernel"
        caption = f"{self.model} · {len(steps)} step(s) {ran} · code kept in the generated cell"
        grounded = any(s.observation.ok and s.observation.evidence().strip() for s in steps)
        show_answer(answer, flagged, caption, grounded=grounded)
        self.session.pins.put_soon(
            self.run.pin_key,
            Pin(cell, self.model, self.job.mode, self.run.prompt_hash, meta.created, len(steps)),
        )
        linked = self.run.linked
        self.session.frontend.place(
            Placement(
                self.run.cell_id,
                cell,
                meta,
                fresh=True,
                update_cell_id=linked.cell_id if linked and not linked.edited else None,
                supersede_cell_id=linked.cell_id if linked and linked.edited else None,
                # The steps already ran under the prompt cell: write the cell, do not run it.
                run=False,
            )
        )
        self.session.just_ran = cell
        self.record(source, len(steps), "ok", cell)
        self.status.done(
            f"✓ {self.model} · answered after {len(steps)} step(s) · {self.status.elapsed():.1f} s"
        )
        texts = tuple(f.text for f in flagged)
        return AnswerOutcome(answer, tuple(steps), cell, self.model, source, texts)

    def answer(self) -> AnswerOutcome:
        cell = self.run.pinned_code()
        pinned_steps: list[Step] = []
        if cell is not None:
            replayed = self.replay(cell)
            if isinstance(replayed, AnswerOutcome):
                return replayed
            pinned_steps = replayed
        if self.job.sandbox:
            answer, steps, source = self.in_sandbox()
        else:
            answer, steps, source = self.in_kernel(pinned_steps)
        if not answer:
            ran = len(steps)
            self.record(source, ran, "no answer", None)
            self.status.done(f"✗ {self.model} · no final answer after {ran} step(s)")
            raise NoAnswerError(
                f"{self.model} gave no final answer after {ran} step(s); the step outputs above "
                "hold what was computed. Rerun with --max-steps N, or ask a narrower question."
            )
        return self.finish(answer, steps, source)


class AnswerMode:
    """``--answer``: compute in steps, then answer in prose (see the module docstring)."""

    name = "answer"

    def prepare(self, session: CodegenSession, job: PromptJob) -> PromptJob:
        """One-line errors for flags that cannot apply; the sandbox's pins kept apart."""
        if not job.run:
            raise UsageError("--answer runs code to find the answer; drop --no-run.")
        if job.max_steps is not None and job.max_steps < 1:
            raise UsageError("--max-steps must be 1 or more.")
        if job.confirm:
            raise UsageError(
                "--answer runs each step as the model writes it and cannot wait for clicks; "
                "drop --confirm (--policy strict limits what steps may do)."
            )
        # Registered functions are callables in the steps' code (no native tool loop here).
        return replace(job, mode="answer+sandbox" if job.sandbox else "answer", tools="code")

    def run(self, run: PromptRun) -> AnswerOutcome:
        """Raises :class:`CodegenError` subclasses, one line each: a blocked step, an
        interrupt, or no final answer."""
        return _AnswerRun(run).answer()


def run_answer(session: CodegenSession, job: PromptJob) -> AnswerOutcome:
    """Run a ``%%gemini --answer`` cell end to end (for callers outside the magic)."""
    mode = AnswerMode()
    return mode.run(PromptRun.start(session, mode.prepare(session, job)))
