"""Execution-verified candidates: sample several codes, run each in an isolated copy of the
kernel, keep the result most of them agree on.

Where a backend samples cheaply (the embedded model), one greedy reply is often wrong where a
few sampled ones, run and compared, are right: the ones that raise or miss the prompt's intent
are dropped, and among the rest the result that most candidates reach wins (execution-based
selection, as in MBR-exec, Shi et al. 2022, and AlphaCode's clustering). Sampling stops as soon
as a majority agrees.

Safety first: a candidate runs in a copy only when the policy allows it outright. When the first
(greedy) code needs a confirmation, nothing is sampled: the loop asks the user as before. Each
copy is a fork (kernel/candidates.py) with the time limit and output cap: what a losing candidate
does to its copy's namespace, output or displays never reaches the kernel, the notebook or the
pins. Only the winner comes back, and the loop then runs it in the live kernel as any code.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from jupyter_codegen.config import candidates_for
from jupyter_codegen.core import intent_checks as intents
from jupyter_codegen.core.intent import Intent
from jupyter_codegen.core.prompt_run import PromptRun
from jupyter_codegen.errors import CodegenError, NoCodeError
from jupyter_codegen.kernel.candidates import (
    CandidateRun,
    can_isolate,
    comparable_output,
    run_isolated,
)
from jupyter_codegen.model.backends.base import ModelRequest, Reply

#: Temperature of the sampled candidates (the first is the backend's own, greedy, choice).
TEMPERATURE = 0.7
#: A candidate's run in its copy is stopped at the cell's time limit, or this when there is
#: none: a copy that never ends must not hold the cell.
UNLIMITED_CAP_S = 60.0


def candidate_count(run: PromptRun) -> int:
    """How many candidates this cell samples (config.candidates_for)."""
    count, _ = candidates_for(
        run.job.candidates,
        run.session.config.candidates,
        cheap_sampling=run.capabilities.cheap_sampling,
        can_fork=can_isolate(),
    )
    return count


@dataclass(frozen=True)
class Candidate:
    """One sampled code and what its isolated run showed."""

    number: int
    code: str
    request: ModelRequest
    reply_text: str
    #: None: not run in a copy (no code, or the policy does not allow it outright).
    result: CandidateRun | None
    #: Why it was dropped; None for a candidate that ran and met the intent.
    dropped: str | None

    def agreement_key(self, names: Sequence[str]) -> tuple[str, ...]:
        """What two candidates must share to agree: their printed output (blanks folded,
        memory addresses out) and the values of the names the prompt asks for."""
        assert self.result is not None
        output = comparable_output(self.result.output)
        return (output, *(self.result.values.get(n, "") for n in names))


@dataclass(frozen=True)
class Selection:
    """The winner, and what the status line says about the vote."""

    winner: Candidate
    agreeing: int
    sampled: int
    #: How many ran or were judged and passed (the others raised or missed a check).
    passed: int = 0

    def label(self) -> str:
        if self.sampled <= 1:
            return ""
        if self.agreeing == 0:
            return f"none of {self.sampled} candidates passed"
        if self.agreeing == 1 and self.passed == 1:
            return f"1 of {self.sampled} candidates passed the checks"
        if self.agreeing == 1:
            return f"{self.sampled} candidates, no two agree"
        return f"{self.agreeing} of {self.sampled} candidates agree"


#: ``generate(request, label) -> (reply, code)``: one model call with the live status line.
Generate = Callable[[ModelRequest, str], tuple[Reply, str]]
#: ``allowed(code) -> problem``: None when the policy and the static checks let it run as is.
Allowed = Callable[[str], str | None]


def select(
    run: PromptRun,
    intent: Intent,
    first: Candidate,
    count: int,
    generate: Generate,
    allowed: Allowed,
) -> Selection:
    """Sample up to ``count`` candidates (``first`` is the greedy one, not run yet), run the
    allowed ones in isolated copies, and choose by agreement. Stops early at a majority."""
    names = [e.name for e in intent.names]
    first = _judge(run, intent, first, allowed, names)
    pool = [first]
    majority = count // 2 + 1
    for number in range(2, count + 1):
        if _best(pool, names)[1] >= majority:
            break
        request = replace(first.request, temperature=TEMPERATURE, seed=number)
        try:
            with run.status.provisional():
                reply, code = generate(request, f"candidate {number} of {count}")
        except NoCodeError as err:
            pool.append(Candidate(number, "", request, "", None, str(err).splitlines()[0]))
            continue
        except CodegenError:  # the model stopped answering: choose among what came
            break
        said = reply.text or f"```python\n{code}```"
        candidate = Candidate(number, code, request, said, None, None)
        pool.append(_judge(run, intent, candidate, allowed, names))
    winner, agreeing = _best(pool, names)
    passed = sum(1 for candidate in pool if candidate.dropped is None)
    return Selection(winner, agreeing, len(pool), passed)


def _judge(
    run: PromptRun, intent: Intent, candidate: Candidate, allowed: Allowed, names: list[str]
) -> Candidate:
    """Run ``candidate`` in a copy when it may run as is; drop it when it fails."""
    if not candidate.code:
        return replace(candidate, dropped="no code")
    problem = allowed(candidate.code)
    if problem is not None:
        return replace(candidate, dropped=problem)
    limit = run.timeout if run.timeout > 0 else UNLIMITED_CAP_S
    run.status.update(f"▶ {run.model} · trying candidate {candidate.number}", force=True)
    result = run_isolated(
        run.shell.user_ns,
        candidate.code,
        names=names,
        timeout=limit,
        known=run.scan.secrets,
        judge=lambda namespace: intents.check_namespace(intent, namespace),
    )
    if not result.ok:
        return replace(candidate, result=result, dropped=result.error_line or "failed")
    # The judge ran every namespace check in the copy (check_namespace: the kinds among them).
    dropped = result.problem or intents.check_printed(intent, result.output)
    return replace(candidate, result=result, dropped=dropped)


def _best(pool: list[Candidate], names: list[str]) -> tuple[Candidate, int]:
    """The earliest candidate of the largest group that agrees; the first one (greedy) with 0
    votes when none passed (the loop then runs and repairs it as it would without sampling)."""
    groups: dict[tuple[str, ...], list[Candidate]] = {}
    for candidate in pool:
        if candidate.dropped is None:
            groups.setdefault(candidate.agreement_key(names), []).append(candidate)
    if not groups:
        return pool[0], 0
    best = max(groups.values(), key=lambda group: (len(group), -group[0].number))
    return best[0], len(best)
