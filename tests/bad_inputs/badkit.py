"""Helpers of the bad-input matrix: cases routed by a tag in the prompt, a thread-safe responder
for the Gemini test server, and the checks every case makes (one-line message, state intact)."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from gemini_server import RecordedRequest, Reply, error, pick, text

#: The user's state every kernel case starts from; a check cell after each case reads it back.
SETUP = """\
%load_ext jupyter_codegen
%gemini config request_timeout=1
import pandas as pd
sales = pd.DataFrame({'month': [1, 2, 3], 'revenue': [10.0, 20.5, 30.0]})
sentinel = 123
"""
STATE_CHECK = "print('STATE', sentinel == 123, len(sales) == 3, list(sales.columns))"
STATE_OK = "STATE True True ['month', 'revenue']"

_TAG = re.compile(r"\[case:([a-z0-9_\-]+)\]")


def code_reply(code: str) -> Reply:
    """A model reply with one fenced Python block, streamed in three chunks."""
    return text("Here is the code.\n```python\n", code, "\n```\n")


@dataclass(frozen=True)
class Case:
    """One row of the matrix: the prompt cell, the server's replies (by request number within
    the case, from 1), and what the cell must end in."""

    tag: str
    category: str
    replies: Callable[[int], Reply]
    #: Substring of the one-line error (None: the cell must not end in an error).
    error: str | None = None
    #: Exception class name of that error.
    ename: str | None = None
    #: Substrings the cell's output must contain / must not contain.
    output: Sequence[str] = ()
    absent: Sequence[str] = ()
    flags: str = ""
    #: No quoted variable: a reply that never reads `sales` would fail the inputs check, and
    #: these cases are about what the kernel survives, not about that check.
    prompt: str = "Do the thing with the data."
    #: Extra assertion on (cell text, requests of this case).
    check: Callable[[str, list[RecordedRequest]], None] | None = None

    @property
    def source(self) -> str:
        return f"%%gemini {self.flags}\n{self.prompt} [case:{self.tag}]"


def always(reply: Reply) -> Callable[[int], Reply]:
    return lambda _n: reply


def sequence(*replies: Reply) -> Callable[[int], Reply]:
    """The n-th request gets the n-th reply (the last one repeats)."""
    return lambda n: replies[min(n, len(replies)) - 1]


def first_user_text(request: RecordedRequest) -> str:
    for content in request.contents:
        if pick(content, "role", "user") == "user":
            return "".join(str(pick(p, "text", "")) for p in pick(content, "parts", []) or [])
    return ""


@dataclass
class Router:
    """The server's responder: the case tag in the first user turn picks the case."""

    cases: dict[str, Case]
    counts: dict[str, int] = field(default_factory=dict)
    seen: dict[str, list[RecordedRequest]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, request: RecordedRequest) -> Reply:
        match = _TAG.search(first_user_text(request))
        if match is None or match.group(1) not in self.cases:
            return error(500, "bad-input matrix: no case tag in the request", "INTERNAL")
        tag = match.group(1)
        with self.lock:
            self.counts[tag] = self.counts.get(tag, 0) + 1
            self.seen.setdefault(tag, []).append(request)
            n = self.counts[tag]
        return self.cases[tag].replies(n)


def printed(cell: Any) -> str:
    """The cell's printed text, joined as written (a kernel may split one print into several
    stream messages when its flush timer fires in between)."""
    return "".join(o.text for o in cell.get("outputs", []) if o.output_type == "stream")


def cells_for(cases: Sequence[Case], setup: str = SETUP) -> list[str]:
    cells = [setup]
    for case in cases:
        cells += [case.source, STATE_CHECK]
    return cells


def assert_case(nb: Any, index: int, case: Case, router: Router) -> None:
    """The case's prompt cell ended as expected, and the check cell after it saw the user's
    state unchanged."""
    from nbrun import errors_of, text_of

    cell, after = nb.cells[1 + 2 * index], nb.cells[2 + 2 * index]
    out = text_of(cell) + "\n" + printed(cell)
    errors = errors_of(cell)
    if case.error is None:
        assert not errors, f"{case.tag}: unexpected error {errors and errors[0].traceback}"
    else:
        # The last attempt may show the generated code's own traceback first; the cell ends
        # in the project's one-line error.
        assert errors, f"{case.tag}: expected an error, got {out[-2000:]!r}"
        err = errors[-1]
        assert len(err.traceback) == 1 and "\n" not in err.traceback[0], (
            f"{case.tag}: the error is not one line: {err.traceback}"
        )
        assert case.error in err.traceback[0], f"{case.tag}: {err.traceback[0]!r}"
        if case.ename:
            assert err.ename == case.ename, f"{case.tag}: {err.ename}"
    for piece in case.output:
        assert piece in out, f"{case.tag}: {piece!r} not in {out[-2000:]!r}"
    for piece in case.absent:
        assert piece not in out, f"{case.tag}: {piece!r} in output"
    assert STATE_OK in printed(after), f"{case.tag}: state changed: {text_of(after)!r}"
    assert not errors_of(after), f"{case.tag}: the kernel is not usable after the case"
    if case.check is not None:
        case.check(out, router.seen.get(case.tag, []))
