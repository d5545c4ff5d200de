"""``jupyter-codegen run -m openai:MODEL``: the headless runner on a real kernel, whose backend
talks to tests/openai_server.py through the real ``openai`` SDK (the kernel inherits
OPENAI_BASE_URL). The generated cells, their outputs and their links are in the saved notebook;
a second run is pinned and asks the server nothing."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbrun import make_notebook, text_of
from openai_server import Chat, OpenAITestServer
from shells import fresh_cache

from jupyter_codegen.cli import main
from jupyter_codegen.notebook.frontend import METADATA_KEY

pytestmark = pytest.mark.kernel

MODEL = "openai:tiny-coder"
CELLS = [
    "%load_ext jupyter_codegen\nvalues = [3, 1, 2]",
    "%%gemini\nPrint the largest of `values`.",
    "print('end', len(values))",
]


def test_cli_run_with_an_openai_model_writes_generated_cells(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    reply = Chat(text="```python\nprint('max', max(values))\n```")
    with OpenAITestServer(lambda body, n: reply) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        fresh_cache(monkeypatch, tmp_path / "cache")
        for name in ("OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "JUPYTER_CODEGEN_MODEL"):
            monkeypatch.delenv(name, raising=False)
        path, out = tmp_path / "nb.ipynb", tmp_path / "out.ipynb"
        nbformat.write(make_notebook(CELLS), path)

        assert main(["run", str(path), "-m", MODEL, "-o", str(out)]) == 0
        (body,) = [r.body for r in server.chat_requests()]
        nb = nbformat.read(out, as_version=4)
        assert main(["run", str(out), "-m", MODEL, "-o", str(out)]) == 0
        assert len(server.chat_requests()) == 1  # the saved notebook carries the pin

    assert body["model"] == "tiny-coder" and body["stream"] is True
    assert "values: list" in str(body["messages"])  # the live kernel's context
    nbformat.validate(nb)
    assert [c.source for c in nb.cells][2] == "print('max', max(values))"
    assert "max 3" in text_of(nb.cells[2])
    link = nb.cells[2].metadata[METADATA_KEY]
    assert link["prompt_cell_id"] == nb.cells[1].id and link["model"] == MODEL
    assert "end 3" in text_of(nb.cells[3])
    rerun = nbformat.read(out, as_version=4)
    assert len(rerun.cells) == 4 and "max 3" in text_of(rerun.cells[2])
    assert MODEL in capsys.readouterr().out
