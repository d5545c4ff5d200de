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

The package's modules, one job each: :mod:`.capture` (what a step showed), :mod:`.steps` (the
step protocol with the model), :mod:`.numbers` (the answer's numbers against the observations),
:mod:`.cell` (the generated cell), :mod:`.view` (what the prompt cell shows) and :mod:`.run`
(the run, and the mode's entry points). This module re-exports what callers use.
"""

from __future__ import annotations

from jupyter_codegen.errors import NoAnswerError
from jupyter_codegen.modes.answer.capture import Observation, Step
from jupyter_codegen.modes.answer.cell import ANSWER_RULE, combine, split_cell
from jupyter_codegen.modes.answer.numbers import flag_unsupported, unsupported_figures
from jupyter_codegen.modes.answer.run import AnswerMode, AnswerOutcome, run_answer
from jupyter_codegen.modes.answer.steps import FINAL_MARK, parse_move

__all__ = [
    "ANSWER_RULE",
    "FINAL_MARK",
    "AnswerMode",
    "AnswerOutcome",
    "NoAnswerError",
    "Observation",
    "Step",
    "combine",
    "flag_unsupported",
    "parse_move",
    "run_answer",
    "split_cell",
    "unsupported_figures",
]
