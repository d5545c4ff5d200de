"""%%gemini in a real ipykernel (nbclient), with the real google-genai SDK talking HTTP to the
project's Gemini-compatible test server."""

from __future__ import annotations

import json

import pytest
from gemini_server import error, text
from nbrun import errors_of, execute, make_notebook, text_of
from shells import fresh_cache

from jupyter_codegen.notebook.frontend import MIME_TYPE

pytestmark = pytest.mark.kernel

SETUP = (
    "%load_ext jupyter_codegen\nimport pandas as pd\n"
    "sales = pd.DataFrame({'month': [1, 2, 3], 'revenue': [10.0, 20.5, 30.0]})"
)


@pytest.fixture
def kernel_env(gemini_env, tmp_path, monkeypatch):
    fresh_cache(monkeypatch, tmp_path / "cache")
    monkeypatch.delenv("JUPYTER_CODEGEN_MODEL", raising=False)
    return gemini_env


def code_reply(code: str):
    return text("Sure.\n```python\n", code, "\n```\n")


def test_prompt_generates_runs_and_records(kernel_env, tmp_path):
    kernel_env.enqueue(code_reply("total = sales['revenue'].sum()\nprint('total revenue', total)"))
    nb = execute(
        make_notebook(
            [SETUP, "%%gemini\nWhat is the total `revenue` in sales?", "print(total * 2)"]
        ),
        tmp_path,
    )
    prompt_cell = nb.cells[1]
    assert "total revenue 60.5" in text_of(prompt_cell)
    assert "121.0" in text_of(nb.cells[2])  # the variable lives in the user namespace
    record = next(o.data[MIME_TYPE] for o in prompt_cell.outputs if MIME_TYPE in o.get("data", {}))
    assert record["code"].startswith("total = sales")
    assert record["model"] == "gemini-3.8-flash" and record["attempts"] == 1
    assert record["prompt_cell_id"] is None  # nbclient sends no cellId
    request = kernel_env.requests[0]
    assert request.model == "gemini-3.8-flash" and request.stream
    body = json.dumps(request.body)
    assert "revenue (float64)" in body and "What is the total" in body


def test_pinned_rerun_makes_zero_requests(kernel_env, tmp_path):
    kernel_env.enqueue(code_reply("answer = len(sales)\nprint('rows', answer)"))
    cells = [SETUP, "%%gemini\nCount the rows of `sales`."]
    first = execute(make_notebook(cells), tmp_path)
    assert "rows 3" in text_of(first.cells[1])
    assert kernel_env.request_count == 1
    again = execute(make_notebook(cells), tmp_path)  # a new kernel, same prompt
    assert "rows 3" in text_of(again.cells[1])
    assert "pinned" in text_of(again.cells[1])
    assert kernel_env.request_count == 1


def test_runtime_error_repaired_over_http(kernel_env, tmp_path):
    kernel_env.enqueue(
        code_reply("avg = sales['revenu'].mean()"),
        code_reply("avg = sales['revenue'].mean()\nprint('avg', round(avg, 2))"),
    )
    nb = execute(make_notebook([SETUP, "%%gemini\nAverage revenue"]), tmp_path)
    out = text_of(nb.cells[1])
    assert "attempt 1 failed: KeyError" in out and "avg 20.17" in out
    assert not errors_of(nb.cells[1])
    assert "KeyError" in json.dumps(kernel_env.requests[1].body)


def test_server_error_is_one_line_and_kernel_survives(kernel_env, tmp_path):
    kernel_env.enqueue(error(400, "Request contains an invalid argument.", "INVALID_ARGUMENT"))
    nb = execute(make_notebook([SETUP, "%%gemini\nanything", "print(len(sales))"]), tmp_path)
    (err,) = errors_of(nb.cells[1])
    assert err.ename == "BackendError"
    assert len(err.traceback) == 1 and "\n" not in err.traceback[0]
    assert "invalid argument" in err.traceback[0].lower()
    assert "3" in text_of(nb.cells[2])


def test_no_key_gives_one_line(kernel_env, tmp_path, monkeypatch):
    monkeypatch.delenv("GEMINI_API_KEY")
    monkeypatch.setenv("JUPYTER_CODEGEN_MODEL", "gemini-3.8-flash")
    nb = execute(make_notebook([SETUP, "%%gemini\nanything"]), tmp_path)
    (err,) = errors_of(nb.cells[1])
    assert "GEMINI_API_KEY" in err.traceback[0] and len(err.traceback) == 1
    assert kernel_env.request_count == 0
