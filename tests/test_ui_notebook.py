"""The example notebook ``notebooks/generative_ui.ipynb``, executed headless in a real kernel: its
pinned UIs run without any model, the widget state is saved for static exports, and its prompts
regenerate the same cells from the local Gemini test server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
import pytest
from gemini_server import GeminiTestServer, closed_port_url, rules_responder
from shells import fresh_cache

from jupyter_codegen.notebook.frontend import METADATA_KEY
from jupyter_codegen.notebook.runner import run_notebook
from jupyter_codegen.ui.spec import document_from_cell

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
EXAMPLE = NOTEBOOKS / "generative_ui.ipynb"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
VIEW = "application/vnd.jupyter.widget-view+json"

pytestmark = pytest.mark.kernel


def _generated(nb: Any) -> list[Any]:
    return [c for c in nb.cells if METADATA_KEY in c.get("metadata", {})]


def _views(cell: Any) -> list[str]:
    return [o.data[VIEW]["model_id"] for o in cell.get("outputs", []) if VIEW in o.get("data", {})]


def test_example_notebook_is_pinned_and_well_formed() -> None:
    nb = nbformat.read(EXAMPLE, as_version=4)
    nbformat.validate(nb)
    spec_cell, code_cell = _generated(nb)
    assert spec_cell.metadata[METADATA_KEY]["mode"] == "ui-spec"
    assert code_cell.metadata[METADATA_KEY]["mode"] == "ui-code"
    assert json.loads(document_from_cell(spec_cell.source) or "")[0]["createSurface"]
    assert "interactive_output" in code_cell.source
    state = nb.metadata["widgets"][WIDGET_STATE]["state"]
    for cell in (spec_cell, code_cell):  # a static export shows both interfaces
        assert _views(cell) and all(view in state for view in _views(cell))


def test_example_notebook_runs_headless_without_a_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, sock = closed_port_url()  # any model request would fail
    sock.close()
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", url)
    monkeypatch.setenv("JUPYTER_CODEGEN_MODEL", "gemini-3.8-flash")
    fresh_cache(monkeypatch, tmp_path / "cache")
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "generative_ui.ipynb"
    nb = nbformat.read(EXAMPLE, as_version=4)
    del nb.metadata["widgets"]  # the state saved now must come from this run
    nbformat.write(nb, path)
    report = run_notebook(path, html=True, progress=lambda line: None)
    assert report.failures == [], report.failures
    assert (report.prompts, report.pinned, report.generated) == (2, 2, 0)
    out = nbformat.read(tmp_path / "generative_ui.out.ipynb", as_version=4)
    spec_cell, code_cell = _generated(out)
    assert _views(spec_cell) and _views(code_cell)
    assert "Traceback" not in json.dumps([spec_cell.outputs, code_cell.outputs])
    state = out.metadata["widgets"][WIDGET_STATE]["state"]
    assert all(view in state for view in _views(spec_cell) + _views(code_cell))
    models = {v["model_name"] for v in state.values()}
    assert {"ImageModel", "IntRangeSliderModel", "DropdownModel", "IntSliderModel"} <= models
    html = (tmp_path / "generative_ui.out.html").read_text(encoding="utf-8")
    assert WIDGET_STATE in html


def test_example_prompts_regenerate_the_same_cells(
    gemini_env: GeminiTestServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh_cache(monkeypatch, tmp_path / "cache")
    monkeypatch.delenv("JUPYTER_CODEGEN_MODEL", raising=False)
    rules = json.loads((NOTEBOOKS / "generative_ui_rules.json").read_text(encoding="utf-8"))
    gemini_env.responder = rules_responder(rules)
    example = nbformat.read(EXAMPLE, as_version=4)
    fresh = nbformat.v4.new_notebook(metadata={"kernelspec": example.metadata.kernelspec})
    fresh.cells = [c for c in example.cells if METADATA_KEY not in c.get("metadata", {})]
    for cell in fresh.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    path = tmp_path / "fresh.ipynb"
    nbformat.write(fresh, path)
    report = run_notebook(path, progress=lambda line: None)
    assert report.failures == [] and report.generated == 2
    assert gemini_env.request_count == 2  # both right the first time: no repair round
    out = nbformat.read(tmp_path / "fresh.out.ipynb", as_version=4)
    assert [c.source for c in _generated(out)] == [c.source for c in _generated(example)]
