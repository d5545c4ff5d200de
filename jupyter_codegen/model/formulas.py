"""Textbook formulas shown to a small model when the task names them (prompts/local/formulas.md).

The embedded 1.5B model knows the pandas calls but not always the definitions: on the quality
set it wrote a CAGR over ``len`` years where there are ``len - 1``, discounted an NPV's sum once,
and counted a 30-year mortgage's payments in years. The definition, given next to the task,
is what a person would look up. Entries are data: a case-insensitive pattern and a note; a
note is a general definition and never names the user's variables.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

from jupyter_codegen.model.prompting import sections

_ENTRY = re.compile(r"^### (.+)$", re.MULTILINE)


@dataclass(frozen=True)
class Formula:
    pattern: re.Pattern[str]
    note: str


def parse_formulas(text: str) -> tuple[Formula, ...]:
    """The entries of a formulas file: each ``### PATTERN`` line and the note under it
    (anything before the first entry, a comment for maintainers, is dropped). A bad pattern
    fails here, when the file is read, not at the first prompt."""
    entries = []
    for pattern, body in sections(text, _ENTRY):
        note = " ".join(body.split())
        if not note:
            raise ValueError(f"formula {pattern!r} has no note")
        entries.append(Formula(re.compile(pattern.strip(), re.IGNORECASE), note))
    return tuple(entries)


@functools.cache
def load_formulas() -> tuple[Formula, ...]:
    path = resources.files("jupyter_codegen").joinpath("prompts", "local", "formulas.md")
    return parse_formulas(path.read_text(encoding="utf-8"))


def formulas_for(task: str, formulas: tuple[Formula, ...] | None = None) -> list[str]:
    """The notes of the formulas ``task`` names, in the file's order, each once."""
    entries = load_formulas() if formulas is None else formulas
    return [f.note for f in entries if f.pattern.search(task)]
