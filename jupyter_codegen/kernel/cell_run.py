"""Generated code run as a cell of its own, as IPython's ``run_cell`` runs it, minus the work
that plain Python does not need.

``run_cell`` first passes the text through IPython's input transformers, which tokenize it to
find IPython syntax (``%magic``, ``!cmd``, ``obj?``, pasted ``>>>`` prompts), then compiles it
once more to see whether it awaits at the top level. Generated code is plain Python nearly
always. When a look at its text shows that none of that syntax can be in it, and the shell's
static transformers are IPython's own, that static pass would give the text back unchanged:
the cell is then run with ``run_cell_async``, as ``run_cell`` would run it. The dynamic
transforms (a one-line cell's automagic, the shell's ``input_transformers_post``) are still
applied, and the same events, display hook, tracebacks and AST transformers still run.
Anything else goes through ``run_cell``.

The look is a superset of what the transformers look for: a line that starts with an escape
character or ends with ``?``, an ``=`` followed by ``%`` or ``!``, a prompt, leading
indentation, a line of only blanks (dedent would empty it, even inside a string). Text that
merely might hold such syntax (a string line that starts with ``%``, a comment ending in ``?``)
takes the full path, which is just as correct, only slower; ``!=`` and ``%`` formats do not.
In the overhead benchmark this made the nested run 0.53 -> 0.35 ms a cell (benchmarks/README.md
§1).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Coroutine
from typing import Any

from IPython.core.inputtransformer2 import TransformerManager
from IPython.core.interactiveshell import ExecutionInfo, ExecutionResult, InteractiveShell

#: The characters that start an escaped line (``%magic``, ``!cmd``, ``?obj``, ``/f x``, ``,f``).
_ESCAPES = frozenset("%!?/,;")
#: IPython syntax the line checks below do not see: ``x = %magic`` / ``x = !cmd``, prompts
#: (``>>>``, ``...``, ``In [1]:``), a line of only blanks.
_SPECIAL = re.compile(r"=[\s\\]*[%!]|>>>|In \[|^\s*\.\.\.|^[ \t]+$", re.MULTILINE)
#: Line breaks other than "\n": IPython splits lines on them too, the patterns above do not.
_OTHER_BREAKS = re.compile("[\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_DEFAULT = TransformerManager()


def run_as_cell(shell: Any, code: str) -> Any:
    """``shell.run_cell(code, store_history=False)``: the same result, events and outputs."""
    cell = _transformed(shell, code)
    if cell is None:
        return shell.run_cell(code, store_history=False, silent=False)
    result = None
    try:
        try:
            result = _finish(
                shell.run_cell_async(code, store_history=False, silent=False, transformed_cell=cell)
            )
        except Exception as error:  # IPython's own code around the cell failed (as run_cell)
            result = ExecutionResult(ExecutionInfo(code, False, False, True, None))
            result.error_in_exec = error
            shell.showtraceback(running_compiled_code=True)
    finally:
        # (run_cell triggers these two, around run_cell_async: matplotlib's inline backend
        # shows the figures on post_execute.)
        shell.events.trigger("post_execute")
        shell.events.trigger("post_run_cell", result)
    return result


def _transformed(shell: Any, code: str) -> str | None:
    """What ``shell.transform_cell(code)`` returns, when that can be had without tokenizing;
    None when only ``run_cell`` itself may run ``code``."""
    if not code or "await" in code or "async" in code or not plain_python(code):
        return None
    if not _own_machinery(shell):
        return None
    cell = code if code.endswith("\n") else code + "\n"
    # From here on, as transform_cell does after its static pass.
    if len(cell.splitlines()) == 1:
        with shell.builtin_trap:
            cell = shell.prefilter_manager.prefilter_lines(cell) + "\n"
    parts = cell.splitlines(keepends=True)
    for transform in shell.input_transformers_post:
        parts = transform(parts)
    return "".join(parts)


def plain_python(code: str) -> bool:
    """Whether IPython's own static input transformers give ``code`` back as it is (but for a
    final newline): no line that starts with an escape character or ends with ``?``, no
    ``= %``/``= !``, no prompt, no leading indentation, no line of only blanks, only "\n"
    line breaks. Any doubt says False (then the transformers themselves must run)."""
    if code[:1].isspace() or _SPECIAL.search(code) or _OTHER_BREAKS.search(code):
        return False
    return not any(
        line.lstrip()[:1] in _ESCAPES or line.rstrip().endswith("?") for line in code.split("\n")
    )


def _own_machinery(shell: Any) -> bool:
    """Whether the shell runs and transforms cells as IPython does: its static transformers
    are IPython's defaults, and no event loop runner other than asyncio's is set."""
    kind = type(shell)
    manager = getattr(shell, "input_transformer_manager", None)
    return (
        getattr(kind, "transform_cell", None) is InteractiveShell.transform_cell
        and getattr(kind, "run_cell", None) in _known_run_cells()
        and type(manager) is TransformerManager
        and manager.cleanup_transforms == _DEFAULT.cleanup_transforms
        and manager.line_transforms == _DEFAULT.line_transforms
        and manager.token_transformers == _DEFAULT.token_transformers
        and getattr(shell, "trio_runner", None) is None
    )


def _known_run_cells() -> tuple[Any, ...]:
    """IPython's ``run_cell``, and ipykernel's, which only clears the last traceback it keeps
    for the reply to the cell being executed (the prompt cell's, which this run is inside)."""
    zmq = sys.modules.get("ipykernel.zmqshell")
    kernel_shell = getattr(zmq, "ZMQInteractiveShell", None)
    own = getattr(kernel_shell, "run_cell", None)
    return (InteractiveShell.run_cell,) if own is None else (InteractiveShell.run_cell, own)


def _finish(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine that never waits (code without ``await``) to its end, as IPython's
    pseudo-synchronous runner does."""
    try:
        coroutine.send(None)
    except StopIteration as stop:
        return stop.value
    coroutine.close()
    raise RuntimeError("the generated cell waited on an event loop")
