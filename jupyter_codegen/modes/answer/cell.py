"""The generated cell of an ``--answer`` run: the steps' code with the answer as comments.

:func:`combine` writes it (it is what gets pinned), :func:`split_cell` reads a pinned one back
into its code and stored answer, so a rerun can replay it without a model call.
"""

from __future__ import annotations

from collections.abc import Sequence

from jupyter_codegen.modes.answer.capture import Step

#: Line in the generated cell after which the answer is kept, as comments.
ANSWER_RULE = "# ---- answer"
_SANDBOX_HEADER = (
    "# Ran by Gemini's code execution on Google's servers, not in this kernel "
    "(%%gemini --answer --sandbox).\n# Running this cell runs the same code here.\n"
)


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
