"""The headless runner (``jupyter-codegen run``) on real kernels, real SDK, real notebooks."""

from __future__ import annotations

import nbformat
import pytest
from gemini_server import text
from nbrun import make_notebook
from shells import fresh_cache

from jupyter_codegen.cli import main
from jupyter_codegen.notebook.frontend import METADATA_KEY
from jupyter_codegen.notebook.runner import run_notebook

pytestmark = pytest.mark.kernel


@pytest.fixture
def server(gemini_env, tmp_path, monkeypatch):
    fresh_cache(monkeypatch, tmp_path / "cache")
    monkeypatch.delenv("JUPYTER_CODEGEN_MODEL", raising=False)
    return gemini_env


def code_reply(code: str):
    return text(f"```python\n{code}\n```")


def write(tmp_path, cells):
    path = tmp_path / "nb.ipynb"
    nbformat.write(make_notebook(cells), path)
    return path


def outputs_text(cell) -> str:
    return "".join(
        o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in cell.outputs
    )


CELLS = [
    "%load_ext jupyter_codegen\nvalues = [3, 1, 2]",
    "%%gemini\nPrint the largest of `values`.",
    "%%gemini\nPrint the values sorted.",
    "print('end', len(values))",
]


def test_fresh_run_writes_generated_cells_below_prompts(server, tmp_path):
    server.enqueue(code_reply("print('max', max(values))"), code_reply("print(sorted(values))"))
    report = run_notebook(write(tmp_path, CELLS), progress=lambda line: None)
    assert (report.prompts, report.generated, report.failures) == (2, 2, [])
    nb = nbformat.read(tmp_path / "nb.out.ipynb", as_version=4)
    nbformat.validate(nb)
    sources = [c.source for c in nb.cells]
    assert sources[2] == "print('max', max(values))"
    assert sources[4] == "print(sorted(values))"
    assert "max 3" in outputs_text(nb.cells[2])  # the code's output sits under the generated cell
    assert "max 3" not in outputs_text(nb.cells[1])
    link = nb.cells[2].metadata[METADATA_KEY]
    assert link["prompt_cell_id"] == nb.cells[1].id and link["model"] == "gemini-3.8-flash"
    assert "end 3" in outputs_text(nb.cells[5])


def test_rerun_of_saved_notebook_is_pinned_and_exactly_once(server, tmp_path):
    server.enqueue(
        code_reply("counter = globals().get('counter', 0) + 1\nprint('counter', counter)")
    )
    path = write(tmp_path, ["%load_ext jupyter_codegen", "%%gemini\nCount.", "print(counter)"])
    run_notebook(path, progress=lambda line: None)
    out = tmp_path / "nb.out.ipynb"
    import shutil

    shutil.rmtree(tmp_path / "cache")  # the notebook alone must carry the pin
    report = run_notebook(out, out, progress=lambda line: None)
    assert server.request_count == 1 and report.pinned == 1
    nb = nbformat.read(out, as_version=4)
    assert len(nb.cells) == 4  # no duplicate generated cell
    assert "counter 1" in outputs_text(nb.cells[2])
    assert "1" in outputs_text(nb.cells[3])  # ran once, not twice
    # The pinned prompt cell shows one block: its code, and at its foot how the run ended.
    (own,) = nb.cells[1].outputs
    assert own["metadata"][METADATA_KEY]["role"] == "header"
    plain, markdown = own["data"]["text/plain"], own["data"]["text/markdown"]
    assert plain.startswith("%%gemini · gemini-3.8-flash · pinned code")
    assert plain.splitlines()[-1].startswith("✓ gemini-3.8-flash · pinned")
    assert markdown.endswith("</span>") and "✓ gemini-3.8-flash · pinned" in markdown


def test_edited_generated_cell_is_kept_and_pinned(server, tmp_path):
    server.enqueue(code_reply("print('generated')"), code_reply("print('regenerated')"))
    path = write(tmp_path, ["%load_ext jupyter_codegen", "%%gemini\nSay something."])
    out = tmp_path / "nb.out.ipynb"
    run_notebook(path, out, progress=lambda line: None)
    nb = nbformat.read(out, as_version=4)
    nb.cells[2].source = "print('my edit')"
    nbformat.write(nb, out)

    run_notebook(out, out, progress=lambda line: None)
    nb = nbformat.read(out, as_version=4)
    assert server.request_count == 1
    assert nb.cells[2].source == "print('my edit')" and "my edit" in outputs_text(nb.cells[2])

    run_notebook(out, out, regenerate=True, progress=lambda line: None)
    nb = nbformat.read(out, as_version=4)
    assert server.request_count == 2
    assert nb.cells[2].source == "print('regenerated')"
    assert nb.cells[3].source == "print('my edit')"  # never overwritten
    assert nb.cells[3].metadata[METADATA_KEY]["superseded"] is True


def test_generated_cell_without_a_stored_hash_counts_as_edited(server, tmp_path):
    """No stored hash: nothing says the cell is unedited (notebook/cells.py: is_edited), so it
    is the pinned answer and a regeneration keeps it, superseded, instead of overwriting it."""
    server.enqueue(code_reply("print('generated')"), code_reply("print('regenerated')"))
    path = write(tmp_path, ["%load_ext jupyter_codegen", "%%gemini\nSay something."])
    out = tmp_path / "nb.out.ipynb"
    run_notebook(path, out, progress=lambda line: None)
    nb = nbformat.read(out, as_version=4)
    del nb.cells[2].metadata[METADATA_KEY]["code_hash"]  # e.g. written by an older version
    nb.cells[2].source = "print('mine')"
    nbformat.write(nb, out)

    run_notebook(out, out, progress=lambda line: None)
    nb = nbformat.read(out, as_version=4)
    assert server.request_count == 1 and len(nb.cells) == 3
    assert nb.cells[2].source == "print('mine')" and "mine" in outputs_text(nb.cells[2])

    run_notebook(out, out, regenerate=True, progress=lambda line: None)
    nb = nbformat.read(out, as_version=4)
    assert server.request_count == 2
    assert nb.cells[2].source == "print('regenerated')"
    assert nb.cells[3].source == "print('mine')"  # never overwritten
    assert nb.cells[3].metadata[METADATA_KEY]["superseded"] is True


def test_cli_exit_code_names_failing_cell(server, tmp_path, capsys):
    server.enqueue(*(code_reply("1/0") for _ in range(3)))
    path = write(tmp_path, ["%load_ext jupyter_codegen", "%%gemini\nDivide by zero."])
    assert main(["run", str(path)]) == 1
    err = capsys.readouterr().err
    assert "cell 2" in err and "CodeFailedError" in err
    assert main(["run", str(tmp_path / "missing.ipynb")]) == 2


def test_cell_past_the_timeout_is_reported_and_the_run_goes_on(server, tmp_path):
    path = write(tmp_path, ["x = 1", "while True:\n    pass", "print('after', x)"])
    report = run_notebook(path, cell_timeout=5, progress=lambda line: None)
    assert [f.index for f in report.failures] == [1]
    nb = nbformat.read(tmp_path / "nb.out.ipynb", as_version=4)
    assert "after 1" in outputs_text(nb.cells[2])


class _Kernel:
    def __init__(self, metadata):
        self.metadata = metadata

    def get_parent(self):
        return {"metadata": self.metadata}


@pytest.mark.parametrize(
    "hint",
    [
        {"cell_id": "p1", "linked": {"cell_id": "g1"}},  # missing fields
        {"linked": {"cell_id": "g1", "code": "x", "prompt_hash": "h", "edited": False}},
        {"cell_id": "p1", "linked": "not a dict"},
        "not a dict",
    ],
)
def test_a_malformed_request_hint_is_no_hint(hint):
    """The runner's hint rides in the execute request's metadata; a broken one (any client can
    send metadata) leaves the cell unlinked instead of failing it."""
    from IPython.core.interactiveshell import InteractiveShell

    from jupyter_codegen.session import CodegenSession

    shell = InteractiveShell.instance()
    session = CodegenSession(shell)
    shell.kernel = _Kernel({"cellId": "p1", "jupyter_codegen": hint})
    try:
        assert session.running_cell_id() == "p1"
        assert session.link.linked_cell("p1") is None
    finally:
        del shell.kernel


def test_the_run_prints_no_kernel_transport_warning_and_leaves_no_sockets(
    server, tmp_path, capfd, monkeypatch
):
    """The kernel talks over Unix sockets in a private folder: its "running over TCP without
    encryption" warning (printed by the kernel process itself) never reaches the terminal."""
    import glob
    import tempfile

    monkeypatch.chdir(tmp_path)
    before = set(glob.glob(f"{tempfile.gettempdir()}/jcg-kernel-*"))
    server.enqueue(code_reply("print('max', max(values))"), code_reply("print(sorted(values))"))
    assert main(["run", str(write(tmp_path, CELLS))]) == 0
    out, err = capfd.readouterr()
    assert "without encryption" not in out + err and "TCP" not in out + err
    assert "✓" in out  # the run's own progress still shows
    assert set(glob.glob(f"{tempfile.gettempdir()}/jcg-kernel-*")) == before
    assert not list(tmp_path.glob("kernel-ipc*"))


def test_the_run_shuts_its_kernel_down_before_it_returns(server, tmp_path, monkeypatch):
    """A kernel left running outlives the command and prints "Parent appears to have exited,
    shutting down" into the user's terminal after the summary."""
    import psutil

    monkeypatch.chdir(tmp_path)
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    server.enqueue(code_reply("print('max', max(values))"), code_reply("print(sorted(values))"))
    assert main(["run", str(write(tmp_path, CELLS))]) == 0
    left = [
        p
        for p in psutil.Process().children(recursive=True)
        if p.pid not in before and p.status() != psutil.STATUS_ZOMBIE
    ]
    assert left == []
