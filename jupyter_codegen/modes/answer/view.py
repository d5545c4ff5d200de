"""What an ``--answer`` run shows under the prompt cell: each step, then the answer.

Our own displays carry metadata that sets them apart from the steps' output (the headless
runner moves that output under the generated cell). Apart from the run so the rendering (a
collapsible block per step, the flagged answer) is in one place.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from IPython.display import display

from jupyter_codegen.modes.answer.capture import Step
from jupyter_codegen.modes.answer.numbers import Figure, flag_unsupported
from jupyter_codegen.modes.answer.steps import StepProtocol
from jupyter_codegen.notebook.display import note
from jupyter_codegen.notebook.frontend import METADATA_KEY

SANDBOX_NOTE = (
    "--sandbox: the code runs in Gemini's code execution sandbox on Google's servers, "
    "without access to this kernel's variables, files or functions."
)
#: Output metadata marking our own displays apart from the steps' output: the headless runner
#: keeps these under the prompt cell and moves the steps' output under the generated cell.
_HEADER = {METADATA_KEY: {"role": "header"}}
_ANSWER = {METADATA_KEY: {"role": "log", "kind": "answer"}}


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
    flagged: Sequence[Figure],
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
