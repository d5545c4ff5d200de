"""Shared pytest fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from gemini_server import FAKE_GEMINI_KEY, GeminiTestServer
from IPython.core.interactiveshell import InteractiveShell

from jupyter_codegen.backends.scripted import ScriptedBackend
from jupyter_codegen.session import session_for

_VERTEX_ENV_VARS = (
    "GOOGLE_API_KEY",
    "GOOGLE_GENAI_USE_VERTEXAI",
    "GOOGLE_GENAI_USE_ENTERPRISE",
    "GOOGLE_CLOUD_PROJECT",
    "GOOGLE_CLOUD_LOCATION",
    "GOOGLE_GENAI_API_VERSION",
    "GOOGLE_VERTEX_BASE_URL",
)


@pytest.fixture
def gemini_server() -> Iterator[GeminiTestServer]:
    """A started local Gemini REST server, stopped (stalls released) after the test."""
    with GeminiTestServer() as server:
        yield server


@pytest.fixture
def gemini_env(
    gemini_server: GeminiTestServer, monkeypatch: pytest.MonkeyPatch
) -> GeminiTestServer:
    """Environment pointing the SDK at ``gemini_server`` with a fake key (GEMINI_API_KEY) and no
    other key or Vertex settings; returns the server."""
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", gemini_server.url)
    monkeypatch.setenv("GEMINI_API_KEY", FAKE_GEMINI_KEY)
    for name in _VERTEX_ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    return gemini_server


@pytest.fixture
def shell(tmp_path, monkeypatch):
    """A real InteractiveShell with the extension loaded and an instant scripted backend;
    pins in a temp dir."""
    monkeypatch.setenv("JUPYTER_CODEGEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("JUPYTER_CODEGEN_MODEL", raising=False)
    sh = InteractiveShell.instance()
    sh.reset(new_session=False)
    if hasattr(sh, "_jupyter_codegen_session"):
        session_for(sh).uninstall()
        del sh._jupyter_codegen_session
    sh.run_line_magic("load_ext", "jupyter_codegen")
    sh.run_line_magic("reload_ext", "jupyter_codegen")
    session = session_for(sh)
    session.config.model = "scripted"
    session.backends["scripted"] = ScriptedBackend()
    yield sh
    session.uninstall()
    del sh._jupyter_codegen_session
