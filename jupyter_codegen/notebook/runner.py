"""Headless runner: execute a notebook in a real kernel and write the generated cells into it.

It behaves like the JupyterLab extension: each prompt cell's generated cell sits directly below
it with the outputs of its code; an existing linked generated cell is the pinned answer; a
user-edited one is never overwritten (a regeneration inserts a new cell and marks the edited one
superseded). The kernel runs each prompt's code once, inside the prompt cell's execution; the
runner then moves the code's outputs under the generated cell and never executes generated cells
again (exactly once).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient

from jupyter_codegen.errors import CodegenError
from jupyter_codegen.notebook.cells import generated_meta, is_edited, is_prompt_cell, linked_cell
from jupyter_codegen.notebook.frontend import HINT_KEY, METADATA_KEY, MIME_TYPE
from jupyter_codegen.notebook.protocol import RunnerHint, RunnerLinked

_OWN_ROLES = {"status", "header", "log"}


def _subclass_names(cls: type[Exception]) -> set[str]:
    names = {cls.__name__}
    subclasses: list[type[Exception]] = cls.__subclasses__()
    for sub in subclasses:
        names |= _subclass_names(sub)
    return names


#: The names of our one-line errors as a kernel's error output gives them: every CodegenError
#: subclass (all are defined in errors.py, so importing it is enough to know them all).
_OUR_ERRORS = frozenset(_subclass_names(CodegenError))


@dataclass
class CellReport:
    index: int
    label: str
    seconds: float
    ok: bool
    detail: str = ""


@dataclass
class RunReport:
    path: Path
    cells: list[CellReport] = field(default_factory=list)
    prompts: int = 0
    generated: int = 0
    pinned: int = 0
    seconds: float = 0.0

    @property
    def failures(self) -> list[CellReport]:
        return [c for c in self.cells if not c.ok]


def _prompt_label(cell: Any) -> str:
    lines = cell.source.strip().splitlines()
    text = " ".join(lines[1:]) if len(lines) > 1 else lines[0]
    return f'%%gemini "{text[:50]}{"..." if len(text) > 50 else ""}"'


def _is_own(output: Any) -> bool:
    role = output.get("metadata", {}).get(METADATA_KEY, {})
    if isinstance(role, dict) and role.get("role") in _OWN_ROLES:
        return True
    return output.get("output_type") == "error" and output.get("ename") in _OUR_ERRORS


def _record(outputs: list[Any]) -> dict[str, Any] | None:
    for out in outputs:
        data = out.get("data", {})
        if MIME_TYPE in data:
            return dict(data[MIME_TYPE])
    return None


def _error(outputs: list[Any]) -> str:
    """The cell's error; our own one-line error wins over the traceback it summarises."""
    errors = [o for o in outputs if o.get("output_type") == "error"]
    errors.sort(key=lambda o: o.get("ename") not in _OUR_ERRORS)
    return f"{errors[0].get('ename')}: {errors[0].get('evalue')}" if errors else ""


@contextlib.contextmanager
def _request_metadata(client: NotebookClient, metadata: dict[str, Any]) -> Iterator[None]:
    """Send the next cell's execute request with ``metadata`` (as JupyterLab sends ``cellId``).

    The hint rides in the cell's own request: a silent execute before each prompt cell cost a
    kernel round trip (~3 ms a cell). ``KernelClient.execute`` takes no metadata, so the one
    call nbclient makes is swapped for one that builds the same message with it."""
    kc = client.kc
    assert kc is not None
    plain = kc.execute

    def execute(code: str, silent: bool = False, store_history: bool = True, **kw: Any) -> str:
        content = {
            "code": code,
            "silent": silent,
            "store_history": store_history,
            "user_expressions": kw.get("user_expressions") or {},
            "allow_stdin": kc.allow_stdin if kw.get("allow_stdin") is None else kw["allow_stdin"],
            "stop_on_error": kw.get("stop_on_error", True),
        }
        msg = kc.session.msg("execute_request", content, metadata=metadata)
        kc.shell_channel.send(msg)
        return str(msg["header"]["msg_id"])

    kc.execute = execute  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        kc.execute = plain  # type: ignore[method-assign]


class Runner:
    def __init__(
        self,
        nb: Any,
        *,
        cwd: Path,
        regenerate: bool = False,
        timeout: int = 600,
        progress: Callable[[str], None] = print,
        model: str | None = None,
    ) -> None:
        self.nb = nb
        self.regenerate = regenerate
        #: The kernel's environment: ours, with the model to use (this process's is untouched).
        self.kernel_env = {**os.environ, "JUPYTER_CODEGEN_MODEL": model} if model else None
        self.progress = progress
        for cell in nb.cells:  # nbformat >= 4.5 ids; older notebooks get them now
            if not cell.get("id"):
                cell.id = os.urandom(4).hex()
        self._sockets: str | None = None
        self.client = NotebookClient(
            nb,
            km=self._kernel_manager(),
            timeout=timeout,
            kernel_name="python3",
            allow_errors=True,
            # A cell past the limit is interrupted (kernel and namespace survive) and reported
            # as failed, instead of ending the whole run with a traceback.
            interrupt_on_timeout=True,
            resources={"metadata": {"path": str(cwd)}},
        )

    def _kernel_manager(self) -> AsyncKernelManager:
        """The kernel talks over Unix sockets where there are any: nothing leaves the machine,
        and the kernel does not print its "running over TCP without encryption" warning into
        the run's output. The sockets live in a private temporary folder, removed after."""
        if os.name != "posix":
            return AsyncKernelManager(kernel_name="python3")
        self._sockets = tempfile.mkdtemp(prefix="jcg-kernel-")
        return AsyncKernelManager(
            kernel_name="python3", transport="ipc", ip=os.path.join(self._sockets, "k")
        )

    def run(self, path: Path) -> RunReport:
        try:
            return self._run(path)
        finally:
            if self._sockets is not None:
                shutil.rmtree(self._sockets, ignore_errors=True)

    def _run(self, path: Path) -> RunReport:
        report = RunReport(path)
        started = time.monotonic()
        env = {"env": self.kernel_env} if self.kernel_env else {}
        # nbclient shuts down only kernels it made itself; ours (Unix sockets) would outlive
        # the run and print "Parent appears to have exited" into the terminal after it.
        with self.client.setup_kernel(cleanup_kc=True, **env):
            index = 0
            while index < len(self.nb.cells):
                cell = self.nb.cells[index]
                total = len(self.nb.cells)
                if cell.cell_type != "code" or generated_meta(cell) is not None:
                    index += 1  # markdown, or a generated cell: its code ran with its prompt
                    continue
                t0 = time.monotonic()
                if is_prompt_cell(cell.source):
                    report.prompts += 1
                    cell_report = self._run_prompt(index, report)
                else:
                    self.client.execute_cell(cell, index)
                    error = _error(cell.outputs)
                    cell_report = CellReport(index, "code cell", 0.0, not error, error)
                cell_report.seconds = time.monotonic() - t0
                report.cells.append(cell_report)
                mark = "✓" if cell_report.ok else "✗"
                self.progress(
                    f"[{index + 1}/{total}] {mark} {cell_report.label} · "
                    f"{cell_report.seconds:.1f} s"
                    + (f" · {cell_report.detail}" if cell_report.detail else "")
                )
                index += 1
            # Widget state goes into the notebook, so saved widgets (and an HTML export) show
            # without a kernel; nbclient does this only in its own execute().
            self.client.set_widgets_metadata()
        report.seconds = time.monotonic() - started
        return report

    def _run_prompt(self, index: int, report: RunReport) -> CellReport:
        cell = self.nb.cells[index]
        label = _prompt_label(cell)
        # The linked generated cell (the rules: notebook/cells.py, as the extension reads them).
        active = linked_cell(self.nb.cells, index)
        payload: RunnerHint = {
            "cell_id": cell.id,
            "is_next": True,
            "regenerate": self.regenerate,
        }
        edited = False
        if active is not None:
            link = generated_meta(active) or {}
            edited = is_edited(active.source, link.get("code_hash"))
            payload["linked"] = RunnerLinked(
                cell_id=active.id,
                code=active.source,
                prompt_hash=link.get("prompt_hash"),
                edited=edited,
            )
        with _request_metadata(self.client, {"cellId": cell.id, HINT_KEY: payload}):
            self.client.execute_cell(cell, index)

        record = _record(cell.outputs)
        error = _error(cell.outputs)
        if record is None or error:
            return CellReport(index, label, 0.0, False, error or "no code was produced")
        own = [o for o in cell.outputs if _is_own(o)]
        moved = [o for o in cell.outputs if not _is_own(o)]
        code = record.pop("code")
        record["prompt_cell_id"] = cell.id
        if record["source"] == "pinned":
            report.pinned += 1
        else:
            report.generated += 1

        if active is not None and (record["source"] == "pinned" or not edited):
            target = active
            if not edited:  # an unedited generated cell is ours to update
                target.source = code.rstrip("\n")
                target.metadata[METADATA_KEY] = record
        else:
            if active is not None:  # a user-edited cell: kept as written, marked superseded
                active.metadata[METADATA_KEY]["superseded"] = True
            target = nbformat.v4.new_code_cell(code.rstrip("\n"), metadata={METADATA_KEY: record})
            target.id = os.urandom(4).hex()
            self.nb.cells.insert(index + 1, target)
        target.outputs = moved
        target.execution_count = cell.execution_count
        cell.outputs = own
        detail = f"{record['model']} · {record['source']}"
        if record.get("attempts", 1) > 1:
            detail += f" · {record['attempts']} attempts"
        return CellReport(index, label, 0.0, True, detail)


def run_notebook(
    path: Path,
    output: Path | None = None,
    *,
    regenerate: bool = False,
    model: str | None = None,
    html: bool = False,
    cell_timeout: int = 600,
    progress: Callable[[str], None] = print,
) -> RunReport:
    """Execute ``path`` headless and write the result (default: ``<name>.out.ipynb``)."""
    nb = nbformat.read(path, as_version=4)
    runner = Runner(
        nb,
        cwd=path.parent.resolve(),
        regenerate=regenerate,
        timeout=cell_timeout,
        progress=progress,
        model=model,
    )
    report = runner.run(path)
    output = output or path.with_suffix(".out.ipynb")
    nbformat.validate(nb)
    nbformat.write(nb, output)
    if html:
        from nbconvert import HTMLExporter

        body, _ = HTMLExporter().from_notebook_node(nb)
        output.with_suffix(".html").write_text(body, encoding="utf-8")
    return report
