"""The run/repair loop of a prompt cell: choose code (pinned or generated), check it, hand it to
the frontend or run it here, repair it when it raises, pin what worked.

Each step is a plain call with a typed value; nothing here reaches back into the magic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from . import confirm, tool_calls
from .backends.base import BackendEvent, ModelRequest, Reply, TextDelta, collect
from .display import CodeHeader, CodeRecord, StatusLine, note
from .error_hints import error_hints
from .errors import CodeFailedError, CodegenError, NoCodeError, PolicyError
from .executor import run_code
from .extract import extract_code
from .frontend import GeneratedMeta, LinkedCell, Placement, code_hash
from .functions import CallLog
from .history import HistoryEntry, now_iso
from .pins import Pin, PinStore, prompt_hash
from .policy import check, code_aliases
from .prompting import (
    code_request,
    failure_summary,
    pinned_repair_request,
    repair_request,
    retry_request,
)
from .redact import redact, scan_namespace
from .session import CodegenSession

_SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


@dataclass(frozen=True)
class PromptJob:
    """One run of a prompt cell, as the magic parsed it."""

    prompt: str
    mode: str = "code"
    model_flag: str = ""
    regenerate: bool = False
    run: bool = True
    max_fixes: int = 2
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
    source: str  # generated | pinned | repaired
    attempts: int
    placed: bool  # a frontend took the code and runs it as its own cell


#: Turns a model reply into the code of the generated cell (default: its fenced Python block).
Extractor = Callable[[Reply], str]


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
    if backend.kind == "local":
        session.note_once_local(note)
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
            session.functions,
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


def _linked_pin(linked: LinkedCell | None, phash: str, job: PromptJob) -> str | None:
    """The linked generated cell's code, when it is still the answer to this prompt."""
    if linked is None or job.regenerate:
        return None
    return linked.code if (linked.edited or linked.prompt_hash == phash) else None


#: Builds the first request of a prompt from the rendered context and the job.
RequestBuilder = Callable[[str, PromptJob, int], ModelRequest]
#: Runs after generated code succeeded; returns an error text to send back for repair, or None.
Verifier = Callable[[CodegenSession], "str | None"]
#: Checks code before it is placed or run (after the policy); an error text sends it back for
#: repair, as a rejected policy finding does (e.g. a declarative UI spec that does not validate).
Precheck = Callable[[CodegenSession, str], "str | None"]
#: Vouches for code a mode generated in a fixed shape that runs nothing the model wrote (the
#: --ui=spec cell: one render call of a literal document); the code policy is not applied to it.
Trusted = Callable[[str], bool]
#: Builds the request that asks for a fix: (previous request, or None when the failing code was
#: pinned; the previous reply's text; the failing code; the error; the context; the job; the
#: number of the failed attempt; the output token limit).
RepairBuilder = Callable[
    ["ModelRequest | None", str, str, str, str, PromptJob, int, int], ModelRequest
]


def default_request(context: str, job: PromptJob, max_output_tokens: int) -> ModelRequest:
    return code_request(context, job.prompt, max_output_tokens=max_output_tokens)


def default_repair(
    previous: ModelRequest | None,
    reply_text: str,
    code: str,
    error: str,
    context: str,
    job: PromptJob,
    attempt: int,
    max_output_tokens: int,
) -> ModelRequest:
    if previous is None:
        return pinned_repair_request(
            context, job.prompt, code, error, max_output_tokens=max_output_tokens
        )
    return repair_request(previous, reply_text, error, context, attempt)


def retry_repair(
    previous: ModelRequest | None,
    reply_text: str,
    code: str,
    error: str,
    context: str,
    job: PromptJob,
    attempt: int,
    max_output_tokens: int,
) -> ModelRequest:
    """Code mode's repair on the embedded model: a fresh attempt told how the last one failed
    (see :func:`prompting.retry_request`)."""
    return retry_request(
        context, job.prompt, failure_summary(error), max_output_tokens=max_output_tokens
    )


def run_prompt(
    session: CodegenSession,
    job: PromptJob,
    *,
    build_request: RequestBuilder = default_request,
    verify: Verifier | None = None,
    extract: Extractor = extract_code,
    precheck: Precheck | None = None,
    repair: RepairBuilder = default_repair,
    trusted: Trusted | None = None,
) -> Outcome:
    """Run a ``%%gemini`` cell end to end. Raises :class:`CodegenError` subclasses (one line).

    Modes that produce code (plain code, ``--ui=code``, ``--ui=spec``) share this loop:
    ``build_request`` makes their first request, ``extract`` turns a reply into the cell's code,
    ``precheck`` may reject code before it runs, ``verify`` checks the result after it ran (e.g.
    exercising widgets), ``repair`` asks for a fix and ``trusted`` code skips the policy.
    """
    shell, config = session.shell, session.config
    session.just_ran = None  # this prompt cell is "the cell after" any earlier one
    # A credential typed into the prompt never reaches the model, the history or the pins.
    scan = scan_namespace(shell.user_ns)  # once a cell: the secrets, and what the context reads
    known = scan.secrets
    job = replace(job, prompt=redact(job.prompt, known))
    choice = session.choose_model(job.model_flag)
    model = choice.model
    cell_id = session.running_cell_id()
    if session.link.take_regenerate(cell_id):
        job = replace(job, regenerate=True)
    linked = session.link.linked_cell(cell_id)
    phash = prompt_hash(job.prompt, job.mode, job.model_flag)
    key = PinStore.key(job.prompt, model, job.mode)
    status = StatusLine(shell, enabled=not job.quiet)
    header = CodeHeader(job.quiet)
    kind = tool_calls.backend_kind_of(session, model)
    tools = tool_calls.offer_mode(job.tools, kind)
    if repair is default_repair and kind == "local":
        repair = retry_repair
    calls = CallLog(shell, show=not job.quiet)
    context = ""  # built when the model is asked: a pinned run needs none (unless repaired)

    request: ModelRequest | None = None
    reply_text = ""
    pinned = _linked_pin(linked, phash, job)
    if pinned is None and not job.regenerate and (pin := session.pins.get(key)) is not None:
        pinned = pin.code
    if pinned is not None:
        code, source = pinned, "pinned"
        status.attach(header)  # one block: the code, and under it how its run ended
    else:
        context = tool_calls.context_text(session, job.prompt, tools, scan)
        request = build_request(context, job, config.max_output_tokens)
        request = tool_calls.with_tools(request, session.functions, tools)
        reply, code = generate(session, request, model, status, "generating", extract, calls)
        reply_text, source = reply.text or f"```python\n{code}```", "generated"

    attempts, fixes_left, placed_once = 1, job.max_fixes, False
    meta = GeneratedMeta(cell_id, phash, model, job.mode, now_iso(), attempts, source)

    def title() -> str:
        what = {"pinned": "pinned code", "generated": "generated", "repaired": "repaired"}[source]
        return f"%%gemini · {model} · {what}" + (f" · attempt {attempts}" if attempts > 1 else "")

    recorded: list[HistoryEntry] = []

    def record(status_text: str, final_code: str | None) -> None:
        """One history entry per prompt run: a placed run's outcome replaces its "placed"."""
        entry = HistoryEntry(
            now_iso(),
            job.prompt,
            model,
            job.mode,
            source,
            attempts,
            status_text,
            final_code,
            cell_id,
            tuple(calls.records),
        )
        if recorded:
            session.history.replace(recorded[-1], entry)
        else:
            session.history.add(entry)
        recorded.append(entry)
        calls.finish()

    if pinned is None and not code:  # answered in prose from native function calls
        tool_calls.show_answer(reply.text)
        record("answered", None)
        status.done(f"✓ {model} · answered from {calls.native_count} function call(s)")
        return Outcome("", model, source, attempts, placed=False)

    user_names = session.user_names()
    policy = job.policy or config.policy
    timeout = config.timeout if job.timeout is None else job.timeout

    def loop(resumed: bool) -> Outcome:
        """Check, place or run, and repair. ``resumed``: the frontend placed the code and this
        is the generated cell's own execution (its outputs sit under it, the prompt cell's
        header and status keep updating); fixes go back to the frontend as replacements of the
        cell's code and run in this same execution."""
        nonlocal code, source, attempts, fixes_left, placed_once, request, reply_text, context
        nonlocal meta
        while True:
            meta = replace(meta, attempts=attempts, source=source, code_hash=code_hash(code))
            header.show(CodeRecord(code, meta, title()))
            finding = None
            if policy != "off" and not (trusted is not None and trusted(code)):
                registered = session.functions.names()
                aliases = code_aliases(code, shell.user_ns)
                finding = check(
                    code, user_names, policy=policy, registered=registered, aliases=aliases
                )
            if finding is not None and finding.kind == "blocked":
                record("blocked", code)
                status.done(f"✗ {model} · blocked, nothing ran")
                raise PolicyError(f"{finding.message()}; the code was not run.")
            ask_reason = "You asked to confirm (--confirm)" if job.confirm else None
            if finding is not None and finding.kind == "confirm":
                ask_reason, finding = finding.message(), None
            rejected = finding.message() if finding is not None else None
            if rejected is None and precheck is not None:
                rejected = precheck(session, code)
            if rejected is None:
                if ask_reason is not None and job.run:
                    pin = Pin(code, model, job.mode, phash, meta.created, attempts)

                    def confirmed(
                        code: str = code, pin: Pin = pin, meta: GeneratedMeta = meta
                    ) -> None:
                        # Runs from the Run button, after this cell ended: same limits, then pin.
                        with session.functions.calls_from_generated_code(shell.user_ns, calls):
                            outcome = run_code(shell, code, timeout=timeout)
                        calls.finish()
                        if not outcome.ok:
                            record(f"failed: {outcome.error_line[:60]}", code)
                            raise CodeFailedError(
                                f"The confirmed code failed: {outcome.error_line}"
                            )
                        session.pins.put_soon(key, pin)
                        session.frontend.place(Placement(cell_id, code, meta, fresh=True))
                        record("ok (confirmed)", code)

                    try:
                        question = confirm.ConfirmRequest(code, ask_reason, model)
                        confirm.ask(shell, question, confirmed, config=config)
                    except CodegenError:
                        record("awaiting confirmation", code)
                        status.done(f"? {model} · waiting for confirmation, nothing ran")
                        raise
                if not placed_once:
                    placed_once = True
                    placement = Placement(
                        cell_id,
                        code,
                        meta,
                        fresh=source != "pinned",
                        update_cell_id=linked.cell_id if linked and not linked.edited else None,
                        supersede_cell_id=linked.cell_id
                        if linked and linked.edited and pinned is None
                        else None,
                        run=job.run,
                        resume=lambda: loop(True),
                    )
                    if session.frontend.place(placement):
                        record("placed" if job.run else "not run", code)
                        where = "running in the cell below" if job.run else "not run (--no-run)"
                        status.done(f"✓ {model} · {source} · {where}")
                        return Outcome(code, model, source, attempts, placed=True)
                if not job.run:
                    session.frontend.place(Placement(cell_id, code, meta, fresh=True))
                    record("not run", code)
                    status.done(f"✓ {model} · {source} · not run (--no-run)")
                    return Outcome(code, model, source, attempts, placed=False)
                if not (source == "pinned" and status.attached):
                    # (Pinned code starts at once, under a header that says "pinned code".)
                    status.update(f"▶ {model} · running {source} code", force=True)
                # The cell-start scan holds until code ran (a failed run may have set secrets).
                fresh_scan = known if attempts == 1 and not resumed else None
                with session.functions.calls_from_generated_code(shell.user_ns, calls):
                    outcome = run_code(
                        shell,
                        code,
                        show_traceback=fixes_left == 0,
                        timeout=timeout,
                        known=fresh_scan,
                    )
                if outcome.ok:
                    problem = verify(session) if verify is not None else None
                    if problem is None:
                        break
                    outcome = replace(
                        outcome,
                        ok=False,
                        error_line=problem.splitlines()[0][:300],
                        error_text=problem,
                    )
                if outcome.interrupted:
                    record("interrupted", code)
                    status.done(f"■ {model} · interrupted")
                    raise CodegenError(
                        "Interrupted: the generated code was stopped; your variables are bound "
                        "as before it ran (objects it changed in place stay changed)."
                    )
                if outcome.timed_out:
                    record("timed out", code)
                    status.done(f"■ {model} · stopped at the time limit")
                    raise CodegenError(
                        f"The generated code ran longer than {timeout:g} s and was stopped; your "
                        "variables are as before it ran. Raise the limit with --timeout S or "
                        "%gemini config timeout=N."
                    )
                error, error_line = outcome.error_text or outcome.error_line, outcome.error_line
                if hints := error_hints(error_line, code, shell.user_ns):
                    error = f"{error}\n{hints}"
            else:
                error = error_line = rejected
            if fixes_left == 0:
                record(f"failed: {error_line[:60]}", code)
                status.done(f"✗ {model} · still failing after {attempts} attempt(s)")
                raise CodeFailedError(
                    f"The generated code still fails after {attempts} attempt(s): {error_line}. "
                    "Edit the prompt, or run with --regenerate or --max-fixes N."
                )
            note(f"✗ attempt {attempts} failed: {error_line} — asking {model} for a fix")
            fixes_left -= 1
            attempts += 1
            context = tool_calls.context_text(session, job.prompt, tools)
            request = repair(
                request,
                reply_text,
                code,
                error,
                context,
                job,
                attempts - 1,
                config.max_output_tokens,
            )
            reply, code = generate(
                session, request, model, status, f"fixing (attempt {attempts})", extract, calls
            )
            reply_text, source = reply.text or f"```python\n{code}```", "repaired"
            if resumed:  # the fix replaces the generated cell's code, then runs right here
                meta = replace(meta, attempts=attempts, source=source, code_hash=code_hash(code))
                session.frontend.place(Placement(cell_id, code, meta, fresh=True))

        meta = replace(meta, attempts=attempts, source=source, code_hash=code_hash(code))
        header.show(CodeRecord(code, meta, title()))
        if source != "pinned" or getattr(session.pins.get(key), "code", None) != code:
            session.pins.put_soon(key, Pin(code, model, job.mode, phash, meta.created, attempts))
        if source != "pinned":
            session.frontend.place(Placement(cell_id, code, meta, fresh=True))
        if not resumed:
            session.just_ran = code
        record("ok", code)
        status.done(
            f"✓ {model} · {source}"
            + (f" after {attempts} attempts" if attempts > 1 else "")
            + f" · {status.elapsed():.1f} s"
        )
        return Outcome(code, model, source, attempts, placed=False)

    return loop(False)
