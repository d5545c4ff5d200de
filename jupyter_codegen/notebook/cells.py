"""The notebook rules: which cell is a prompt cell, which generated cell is linked to it, and
whether the user edited it. One home for each, here; the JupyterLab extension mirrors them with
the same names in camelCase (``labextension/src/cells.ts``), and both sides are tested on the
same cases (``tests/cases/notebook_rules.json``).

A *cell* here is a mapping in the notebook's JSON form (an nbformat ``NotebookNode``): ``id``,
``source`` (a string) and ``metadata``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from jupyter_codegen.notebook.protocol import METADATA_KEY

Cell = TypeVar("Cell", bound=Mapping[str, Any])

#: ``%%gemini`` as the cell's magic, the way IPython reads it: after any blank lines, a line that
#: starts with ``%%gemini`` followed by a space or the end of the line (``%%geminis`` is another
#: magic, ``%gemini status`` a line magic, an indented ``  %%gemini`` a line magic too).
_PROMPT = re.compile(r"(?:[ \t\r\f\v]*\n)*%%gemini(?: |[ \t\r\f\v]*(?:\n|\Z))")
#: Trailing whitespace as :func:`code_hash` ignores it (ASCII: what editors strip).
_TRAILING_WHITESPACE = " \t\n\r\f\v"


def is_prompt_cell(source: str) -> bool:
    """True for a ``%%gemini`` cell (flags and leading blank lines allowed)."""
    return _PROMPT.match(source) is not None


def code_hash(code: str) -> str:
    """Identity of a generated cell's code: sha256 of the code without trailing whitespace (as
    editors strip it), 16 hex digits."""
    return hashlib.sha256(code.rstrip(_TRAILING_WHITESPACE).encode("utf-8")).hexdigest()[:16]


def is_edited(code: str, stored_hash: str | None) -> bool:
    """True when a generated cell's ``code`` is not the code that was generated there.

    A cell without a stored hash counts as edited: nothing says it is unedited, and a
    regeneration must never overwrite code the user may have written (it is kept and
    superseded instead)."""
    return not stored_hash or code_hash(code) != stored_hash


def generated_meta(cell: Mapping[str, Any]) -> dict[str, Any] | None:
    """The generated-cell metadata of ``cell`` (``metadata.jupyter_codegen`` with a prompt hash),
    None for any other cell."""
    meta = (cell.get("metadata") or {}).get(METADATA_KEY)
    return meta if isinstance(meta, dict) and "prompt_hash" in meta else None


def is_superseded(cell: Mapping[str, Any]) -> bool:
    """A user-edited generated cell that a later generation replaced (kept, never rewritten)."""
    return bool((generated_meta(cell) or {}).get("superseded"))


def linked_cells(cells: Sequence[Cell], prompt_index: int) -> list[Cell]:
    """The generated cells directly below the prompt cell ``cells[prompt_index]`` that link to
    it (``prompt_cell_id`` is its id), in order; the first other cell ends them."""
    prompt_id = cells[prompt_index].get("id")
    found: list[Cell] = []
    for cell in cells[prompt_index + 1 :]:
        meta = generated_meta(cell)
        if meta is None or meta.get("prompt_cell_id") != prompt_id:
            break
        found.append(cell)
    return found


def linked_cell(cells: Sequence[Cell], prompt_index: int) -> Cell | None:
    """The generated cell linked to a prompt cell: the first of :func:`linked_cells` that is not
    superseded, None if there is none."""
    return next((c for c in linked_cells(cells, prompt_index) if not is_superseded(c)), None)


__all__ = [
    "code_hash",
    "generated_meta",
    "is_edited",
    "is_prompt_cell",
    "is_superseded",
    "linked_cell",
    "linked_cells",
]
