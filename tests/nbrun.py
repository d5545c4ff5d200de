"""Run notebooks in a real ipykernel through nbclient (shared by kernel-level tests)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient


def make_notebook(cells: Sequence[str]) -> Any:
    """A notebook of code cells (``%%gemini`` cells are code cells too), with stable cell ids."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i}"
    return nb


def execute(nb: Any, cwd: Path, timeout: int = 120) -> Any:
    """Execute ``nb`` in a fresh kernel (errors stay in the outputs); return it."""
    NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(cwd)}},
    ).execute()
    return nb


def text_of(cell: Any) -> str:
    """Everything a cell printed or displayed as text, errors included."""
    parts: list[str] = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type in ("display_data", "execute_result", "update_display_data"):
            parts.append(out.data.get("text/plain", ""))
        elif out.output_type == "error":
            parts.append("\n".join(out.traceback))
    return "\n".join(parts)


def errors_of(cell: Any) -> list[Any]:
    return [out for out in cell.get("outputs", []) if out.output_type == "error"]
