"""Drive one notebook in a real JupyterLab (or Notebook 7) page: write it, open it, run cells,
read its model back and wait on conditions (never on timers).

The server runs with ``--expose-app-in-browser``, so ``window.jupyterapp`` is the application:
cell sources, metadata, outputs and execution state are read from the notebook's shared model,
while actions a user takes (Shift-Enter, Run All, clicks in the sidebar) go through the keyboard,
the command registry and the DOM.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import nbformat
from playwright.sync_api import TimeoutError as PlaywrightTimeout

#: JS: the NotebookPanel showing ``path`` (arg), or null.
_PANEL = """
(path) => {
  const app = window.jupyterapp;
  if (!app) { return null; }
  for (const w of app.shell.widgets('main')) {
    if (w.context && w.context.path === path && w.content && w.content.model) { return w; }
  }
  return null;
}
"""

_CELLS = f"""
(path) => {{
  const panel = ({_PANEL})(path);
  if (!panel) {{ return null; }}
  return panel.content.model.sharedModel.cells.map(c => ({{
    id: c.getId(),
    type: c.cell_type,
    source: c.getSource(),
    metadata: c.getMetadata(),
    outputs: c.cell_type === 'code' ? c.getOutputs() : [],
    execution_count: c.cell_type === 'code' ? c.execution_count : null,
    state: c.cell_type === 'code' ? c.executionState : 'idle'
  }}));
}}
"""


def output_text(cell: dict[str, Any]) -> str:
    """Everything a cell (from :meth:`Notebook.cells`) printed or displayed as text."""
    parts: list[str] = []
    for out in cell.get("outputs", []):
        kind = out.get("output_type")
        if kind == "stream":
            text = out.get("text", "")
            parts.append("".join(text) if isinstance(text, list) else text)
        elif kind in ("display_data", "execute_result"):
            text = out.get("data", {}).get("text/plain", "")
            parts.append("".join(text) if isinstance(text, list) else text)
        elif kind == "error":
            parts.append("\n".join(out.get("traceback", [])))
    return "\n".join(parts)


class Notebook:
    """One notebook file under the server's root_dir, open in ``page``."""

    def __init__(self, page: Any, server: Any, name: str) -> None:
        self.page = page
        self.server = server
        self.name = name

    # --- files ------------------------------------------------------------------------------

    @classmethod
    def write(
        cls, page: Any, server: Any, name: str, cells: Sequence[str | dict[str, Any]]
    ) -> Notebook:
        """Write a notebook (code cells from strings, or full cell dicts) with stable ids
        ``cell-0``, ``cell-1``, ... and the python3 kernelspec (no kernel dialog)."""
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
        }
        for i, spec in enumerate(cells):
            if isinstance(spec, str):
                cell = nbformat.v4.new_code_cell(spec)
                cell.id = f"cell-{i}"
            else:
                cell = nbformat.from_dict(spec)
                cell.setdefault("id", f"cell-{i}")
            nb.cells.append(cell)
        path = Path(server.root) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, path)
        return cls(page, server, name)

    def saved(self) -> Any:
        """The notebook as saved on disk (after :meth:`save`)."""
        return nbformat.read(Path(self.server.root) / self.name, as_version=4)

    # --- page -------------------------------------------------------------------------------

    def open(self, workspace: str = "test") -> Notebook:
        """Open the notebook in a fresh workspace and wait until its kernel is idle."""
        self.page.goto(self.server.page_url(self.name, workspace))
        self.wait_kernel_ready()
        return self

    def eval(self, js: str, arg: Any = None) -> Any:
        """Evaluate ``js`` (a function of ``(panel, arg)``) against this notebook's panel."""
        return self.page.evaluate(
            f"([path, arg]) => {{ const panel = ({_PANEL})(path); return ({js})(panel, arg); }}",
            [self.name, arg],
        )

    def wait(
        self,
        js: str,
        arg: Any = None,
        timeout_ms: float | None = None,
        on_timeout: Callable[[], str] | None = None,
    ) -> Any:
        """Wait until ``js`` (a function of ``(panel, arg)``, panel possibly null) is truthy.

        ``on_timeout`` describes the page when the wait fails, so a CI log says what was there.
        """
        kwargs = {} if timeout_ms is None else {"timeout": timeout_ms}
        check = f"([path, arg]) => {{ const panel = ({_PANEL})(path); return ({js})(panel, arg); }}"
        try:
            handle = self.page.wait_for_function(
                check,
                arg=[self.name, arg],
                **kwargs,
            )
        except PlaywrightTimeout as exc:
            if on_timeout is None:
                raise
            raise AssertionError(on_timeout()) from exc
        return handle.json_value()

    def wait_kernel_ready(self) -> None:
        self.wait(
            """(panel) => panel && panel.sessionContext.session
                 && panel.sessionContext.session.kernel
                 && panel.sessionContext.session.kernel.status === 'idle'
                 && panel.content.widgets.length > 0"""
        )

    def cells(self) -> list[dict[str, Any]]:
        """Every cell's id, type, source, metadata, outputs, execution count and state."""
        cells = self.page.evaluate(_CELLS, self.name)
        assert cells is not None, f"{self.name} is not open"
        return list(cells)

    def cell(self, index_or_id: int | str) -> dict[str, Any]:
        cells = self.cells()
        if isinstance(index_or_id, int):
            return cells[index_or_id]
        return next(c for c in cells if c["id"] == index_or_id)

    # --- user actions -----------------------------------------------------------------------

    def select(self, index: int) -> None:
        """Make cell ``index`` active, in command mode, with the notebook focused."""
        self.eval(
            """(panel, i) => {
                 panel.content.mode = 'command';
                 panel.content.activeCellIndex = i;
                 panel.content.deselectAll();
                 panel.content.node.focus();
               }""",
            index,
        )

    def shift_enter(self, index: int | None = None) -> None:
        """Press Shift-Enter like a user (on cell ``index`` if given, else the active cell)."""
        if index is not None:
            self.select(index)
        self.page.keyboard.press("Shift+Enter")

    def command(self, command_id: str, args: dict[str, Any] | None = None) -> None:
        """Execute a JupyterLab command (``notebook:run-all-cells``, ...), not awaiting it."""
        self.page.evaluate(
            "([id, args]) => { void window.jupyterapp.commands.execute(id, args); }",
            [command_id, args or {}],
        )

    def run_all(self) -> None:
        self.command("notebook:run-all-cells")

    def restart_and_run_all(self) -> None:
        """Restart the kernel and run all cells, without the confirmation dialog."""
        self.eval(
            """async (panel) => {
                 await panel.sessionContext.restartKernel();
                 await window.jupyterapp.commands.execute('notebook:run-all-cells');
               }"""
        )

    def save(self) -> None:
        self.eval("async (panel) => { await panel.context.save(); }")

    # --- waiting ----------------------------------------------------------------------------

    def wait_executed(self, index_or_id: int | str, count: int = 1) -> dict[str, Any]:
        """Wait until a cell finished executing (an execution count and state idle)."""
        key = index_or_id if isinstance(index_or_id, str) else None
        idx = index_or_id if isinstance(index_or_id, int) else None
        self.wait(
            """(panel, [key, idx]) => {
                 if (!panel) { return false; }
                 const cells = panel.content.model.sharedModel.cells;
                 const c = key !== null ? cells.find(x => x.getId() === key) : cells[idx];
                 return c && c.cell_type === 'code' && c.execution_count !== null
                   && c.executionState === 'idle';
               }""",
            [key, idx],
        )
        return self.cell(index_or_id)

    def wait_all_idle(self) -> list[dict[str, Any]]:
        """Wait until no code cell is queued or running, and the kernel is idle."""
        self.wait(
            """(panel) => panel
                 && panel.sessionContext.session.kernel.status === 'idle'
                 && panel.content.model.sharedModel.cells.every(
                      c => c.cell_type !== 'code' || c.executionState === 'idle')"""
        )
        return self.cells()

    def wait_output(self, index_or_id: int | str, text: str) -> dict[str, Any]:
        """Wait until a cell's outputs contain ``text``; return the cell."""
        key = index_or_id if isinstance(index_or_id, str) else None
        idx = index_or_id if isinstance(index_or_id, int) else None
        self.wait(
            """(panel, [key, idx, text]) => {
                 if (!panel) { return false; }
                 const cells = panel.content.model.sharedModel.cells;
                 const c = key !== null ? cells.find(x => x.getId() === key) : cells[idx];
                 return c && JSON.stringify(c.getOutputs()).includes(text);
               }""",
            [key, idx, json.loads(json.dumps(text))],
            on_timeout=lambda: f"no {text!r} in cell {index_or_id}; cells: {self._summary()}",
        )
        return self.cell(index_or_id)

    def _summary(self) -> str:
        """Each cell's first source line, state and output text, for a failed wait's message."""
        return "; ".join(
            f"[{i}] {c['source'].splitlines()[0] if c['source'] else ''!r} "
            f"{c.get('state')} -> {output_text(c).strip()!r}"
            for i, c in enumerate(self.cells())
        )


def open_sidebar(page: Any, widget_id: str) -> Any:
    """Click the right-sidebar tab of ``widget_id`` (unless already open); return the panel."""
    panel = page.locator(f"#{widget_id}")
    if not panel.is_visible():
        page.locator(f'.jp-SideBar .lm-TabBar-tab[data-id="{widget_id}"]').click()
    panel.wait_for(state="visible")
    return panel


def ask_the_sidebar(page: Any, panel_id: str, question: str) -> tuple[Any, Any]:
    """Open the Codegen sidebar, wait for its kernel link, send ``question`` and wait for a reply
    with code; returns (the panel, the reply)."""
    panel = open_sidebar(page, panel_id)
    panel.locator("[data-codegen=engine]").get_by_text("connected").wait_for()
    box = panel.get_by_label("Message to the model")
    box.fill(question)
    box.press("Enter")
    reply = panel.locator("[data-codegen-role=assistant]")
    reply.locator("[data-codegen-action=insert-run]").wait_for()
    return panel, reply
