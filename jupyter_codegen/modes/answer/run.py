"""One ``%%gemini --answer`` run: pinned replay, the step loop (kernel or sandbox), the answer.

The mode's entry points (:class:`AnswerMode`, :func:`run_answer`) and the run's phases; the
pieces they use (capturing, the step protocol, the number check, the generated cell, the
displays) are the package's other modules. See :mod:`jupyter_codegen.modes.answer`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from jupyter_codegen.core.formula_checks import check_loan_periods
from jupyter_codegen.core.intent import Intent
from jupyter_codegen.core.intent_checks import check_inputs, check_namespace, checked_label
from jupyter_codegen.core.job import PromptJob, Source
from jupyter_codegen.core.join_checks import check_row_pairing
from jupyter_codegen.core.prompt_run import PromptRun
from jupyter_codegen.core.row_labels import check_row_labels
from jupyter_codegen.errors import CodegenError, NoAnswerError, PolicyError, UsageError
from jupyter_codegen.kernel.policy import Finding
from jupyter_codegen.kernel.redact import redact
from jupyter_codegen.model.backends.base import (
    BackendEvent,
    CodeEvent,
    CodeResultEvent,
    ModelRequest,
    TextDelta,
)
from jupyter_codegen.modes.answer.capture import Observation, Step, run_observed
from jupyter_codegen.modes.answer.cell import combine, split_cell
from jupyter_codegen.modes.answer.numbers import unsupported_figures
from jupyter_codegen.modes.answer.steps import (
    StepProtocol,
    first_request,
    follow_up,
    parse_move,
    retry_request,
    sandbox_request,
    step_note,
)
from jupyter_codegen.modes.answer.view import SANDBOX_NOTE, StepView, show_answer
from jupyter_codegen.notebook.display import CodeHeader, CodeRecord, note
from jupyter_codegen.notebook.frontend import GeneratedMeta, Placement
from jupyter_codegen.notebook.pins import Pin
from jupyter_codegen.session import CodegenSession


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
        #: The named results the prompt asks for (a chart or frames are code mode's checks).
        intent = run.intent()
        self.intent = Intent(names=intent.names)
        #: What a step's code is judged by before it runs (a printed idxmax of a 0..n-1 frame:
        #: the 1.5B answered "the month with the highest revenue" with "16"; a monthly loan
        #: counted in years), and what a failed step is told about the data the prompt names
        #: (a step that never read `customers`).
        self.full_intent = intent
        self.told_intent = False

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
        problem = finding.message() if finding is not None else None
        if problem is None:
            problem = (
                check_row_labels(self.full_intent.row_numbered, code)
                or check_loan_periods(self.full_intent.loan_years, code)
                or check_row_pairing(code, self.run.scan.values)
            )
        if problem is not None:
            # Rejected (sent back), or needing the user's confirmation: a step cannot wait for
            # a click mid-loop, so the model is told to compute without it.
            observation = Observation(error=f"Not run: {problem}")
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
        if observation.error and (unread := check_inputs(self.full_intent, code)):
            hints = "\n".join(filter(None, (observation.hints, f"Hint: {unread}")))
            observation = replace(observation, hints=hints)
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
                problem = check_namespace(self.intent, self.shell.user_ns)
                if problem is None or left <= 0 or self.told_intent or self.job.sandbox:
                    return move.text
                # Told once, as a failed step: the steps must bind what the task names.
                self.told_intent = True
                missed = Step(max(1, len(steps)), "", "", Observation(error=problem))
                request = follow_up(request, reply.text, missed, left, self.protocol)
                continue
            if move.kind != "step" or left <= 0:
                return None
            step = self.run_step(len(steps) + 1, move.code, move.text)
            steps.append(step)
            if self.protocol.local and left > 1 and not any(s.observation.ok for s in steps):
                # Nothing computed yet: a fresh start that is told why, not the failing code.
                request = retry_request(
                    self.context,
                    self.job.prompt,
                    f"{step.observation.error}\n{step.observation.hints}",
                    self.protocol,
                    max_output_tokens=self.max_output_tokens,
                )
                continue
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
                    len(steps) + 1, event.code, step_note(segments[-1]), Observation(), "sandbox"
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
        ns = self.shell.user_ns
        missing = [e.name for e in self.intent.names if e.name not in ns]
        checked = checked_label(self.intent, ns) if not missing else ""
        # An answer that rests on no output, or quotes figures none showed, is no ✓.
        unsure = [
            *([] if grounded else ["no step computed it"]),
            *([f"{len(flagged)} figure(s) in no step's output"] if flagged else []),
        ]
        self.status.done(
            ("⚠" if missing or unsure else "✓")
            + f" {self.model} · answered after {len(steps)} step(s)"
            + (f" · not computed: {', '.join(missing)}" if missing else "")
            + "".join(f" · {why}" for why in unsure)
            + (f" · checked: {checked}" if checked else "")
            + f" · {self.status.elapsed():.1f} s"
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
    """``--answer``: compute in steps, then answer in prose (see the package docstring,
    :mod:`jupyter_codegen.modes.answer`)."""

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
