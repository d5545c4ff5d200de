"""The frontend hook: how the engine learns about, and writes to, the notebook around a prompt cell.

The kernel cannot ask the notebook a question in the middle of an execution (shell messages are
handled in order, never while a cell runs), so a frontend *tells* the kernel what it needs before
the prompt cell's execute request: which cell is running and which code its linked generated cell
holds (:meth:`FrontendLink.hint`). After generation the engine offers the code to the frontend
(:meth:`Frontend.place`); a frontend that can insert and run cells (the JupyterLab extension)
accepts, and the magic does not run the code itself. Otherwise the magic runs the code under the
prompt cell and inserts it with IPython's ``set_next_input`` (the fallback).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

# The hash rule lives with the other notebook rules (cells.py), the metadata key with the
# protocol; both stay importable from here.
from jupyter_codegen.notebook.cells import code_hash as code_hash
from jupyter_codegen.notebook.protocol import METADATA_KEY as METADATA_KEY
from jupyter_codegen.notebook.protocol import GeneratedMetaJSON

MIME_TYPE = "application/vnd.jupyter-codegen+json"


@dataclass(frozen=True)
class GeneratedMeta:
    """What is stored in a generated cell's metadata under ``jupyter_codegen``."""

    prompt_cell_id: str | None
    prompt_hash: str
    model: str
    mode: str
    created: str  # ISO-8601 UTC
    attempts: int
    source: str  # "generated" | "pinned" | "repaired"
    #: sha256 (16 hex) of the code as generated: a cell whose source hashes differently was edited.
    code_hash: str = ""
    superseded: bool = False

    def to_json(self) -> GeneratedMetaJSON:
        # All fields are plain values: a shallow copy (``asdict`` deep-copies recursively).
        return cast(GeneratedMetaJSON, dict(vars(self)))


@dataclass(frozen=True)
class LinkedCell:
    """The frontend's report on a prompt cell's linked generated cell, sent before execution."""

    prompt_cell_id: str
    cell_id: str
    code: str
    #: The prompt hash stored in the generated cell's metadata; the prompt changed if it differs.
    prompt_hash: str | None = None
    #: True when the user changed the code since it was generated (the edit is the pinned answer;
    #: :func:`.cells.is_edited`: a cell without a stored hash counts as edited).
    edited: bool = False


@dataclass(frozen=True)
class Placement:
    """Generated code offered to the frontend for the cell below the prompt."""

    prompt_cell_id: str | None
    code: str
    meta: GeneratedMeta
    #: A fresh generation (vs pinned code): only fresh code is inserted by the fallback.
    fresh: bool
    #: The linked cell to update in place, if any (never a user-edited one).
    update_cell_id: str | None = None
    #: A user-edited linked cell that a regeneration supersedes (kept, marked, not overwritten).
    supersede_cell_id: str | None = None
    #: False for --no-run: the frontend writes the cell but does not run it.
    run: bool = True
    #: The engine's continuation: a frontend that accepted the placement calls it from the
    #: generated cell's own execution, to run the code with the engine's checks, time limit and
    #: repair loop (each fix comes back through :meth:`Frontend.place` while it runs).
    resume: Callable[[], object] | None = field(default=None, compare=False, repr=False)


class Frontend(Protocol):
    def place(self, placement: Placement) -> bool:
        """Insert or update the generated cell and run it there. Return False if this frontend
        cannot, in which case the engine runs the code under the prompt cell itself."""
        ...


#: Key of a hint in an execute request's metadata (the headless runner sends it there).
HINT_KEY = "jupyter_codegen"


@dataclass
class FrontendLink:
    """Hints a frontend sent before the current execution (one object per session).

    ``hint`` is called from a comm message (JupyterLab) or a silent execute (headless runner);
    the engine reads the hints for the running prompt cell and forgets them afterwards.
    """

    #: Cell id of the next execution, for frontends that do not put ``cellId`` in the request.
    next_cell_id: str | None = None
    linked: dict[str, LinkedCell] = field(default_factory=dict)
    #: Prompt cells whose next run must ask the model again (a runner's --regenerate).
    regenerate: set[str] = field(default_factory=set)

    def hint(
        self,
        prompt_cell_id: str,
        linked: LinkedCell | None = None,
        *,
        is_next: bool = False,
        regenerate: bool = False,
    ) -> None:
        if is_next:
            self.next_cell_id = prompt_cell_id
        if regenerate:
            self.regenerate.add(prompt_cell_id)
        if linked is None:
            self.linked.pop(prompt_cell_id, None)
        else:
            self.linked[prompt_cell_id] = linked

    def take_cell_id(self, request_cell_id: str | None) -> str | None:
        """The running cell's id: the execute request's ``cellId`` or a runner's hint."""
        cell_id, self.next_cell_id = request_cell_id or self.next_cell_id, None
        return cell_id

    def linked_cell(self, prompt_cell_id: str | None) -> LinkedCell | None:
        return self.linked.get(prompt_cell_id) if prompt_cell_id else None

    def take_regenerate(self, prompt_cell_id: str | None) -> bool:
        if prompt_cell_id in self.regenerate:
            self.regenerate.discard(prompt_cell_id)
            return True
        return False

    def hint_data(self, data: dict[str, Any]) -> None:
        """:meth:`hint` from its JSON form (also the ``jupyter_codegen`` key of an execute
        request's metadata, which the headless runner uses)."""
        linked = data.get("linked")
        self.hint(
            data["cell_id"],
            LinkedCell(prompt_cell_id=data["cell_id"], **linked) if linked else None,
            is_next=bool(data.get("is_next")),
            regenerate=bool(data.get("regenerate")),
        )


class FallbackFrontend:
    """No notebook support: the magic runs the code; fresh code is inserted with set_next_input."""

    def __init__(self, shell: Any) -> None:
        self.shell = shell

    def place(self, placement: Placement) -> bool:
        if placement.fresh:
            # IPython keeps only the last payload per execution; one per fresh generation.
            self.shell.set_next_input(placement.code, replace=False)
        return False
