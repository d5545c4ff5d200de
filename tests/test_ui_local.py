"""``%%gemini --ui=spec`` on the real embedded model (llama.cpp, CPU), decoding against the
spec's JSON Schema (constrained decoding), then validated, rendered and exercised like any spec.

The request carries the schema in ``ModelRequest.response_schema``; the embedded backend passes
it to llama.cpp as ``response_format={"type": "json_object", "schema": ...}``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from ui_support import ui_shell  # noqa: F401

from jupyter_codegen.model.backends import local
from jupyter_codegen.model.backends.base import BackendEvent, ModelRequest
from jupyter_codegen.model.backends.local import LocalBackend
from jupyter_codegen.session import session_for
from jupyter_codegen.ui.exercise import live_widgets
from jupyter_codegen.ui.render import SurfaceView

pytestmark = pytest.mark.local_model


class _RecordingLocal(LocalBackend):
    """The embedded backend, remembering the requests it was sent."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[ModelRequest] = []

    def stream(self, request: ModelRequest) -> Iterator[BackendEvent]:
        self.requests.append(request)
        yield from super().stream(request)


@pytest.fixture(scope="module")
def embedded() -> Any:
    if not local.is_installed():
        pytest.skip('embedded model not installed (pip install "jupyter-codegen[local]")')
    return _RecordingLocal()


@pytest.mark.timeout(1800)  # prompt evaluation and grammar-constrained decoding on 2 CPU cores
def test_embedded_model_builds_a_working_spec(ui_shell: Any, embedded: Any) -> None:  # noqa: F811
    session = session_for(ui_shell)
    session.config.model = "local"
    session.config.max_output_tokens = 1200
    session.backends["local"] = embedded
    before = set(live_widgets())
    ui_shell.run_cell_magic(
        "gemini",
        "--ui=spec",
        "A dropdown to pick a region of `sales` and a bar chart of its revenue by month.",
    )
    surfaces = [
        w.surface
        for key, w in live_widgets().items()
        if key not in before and isinstance(w, SurfaceView)
    ]
    assert surfaces, "no interface was rendered"
    surface = surfaces[-1]
    assert surface.errors == {}
    kinds = {c["component"] for c in surface.spec.components.values()}
    assert "Plot" in kinds and kinds & {"Dropdown", "ChoicePicker"}
    assert embedded.requests[0].response_schema is not None
