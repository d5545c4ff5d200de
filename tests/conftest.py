"""Shared pytest fixtures."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from gemini_server import FAKE_GEMINI_KEY, GeminiTestServer
from shells import close_session, open_session

# The suite means the 0.5B by `-m local` on every machine, also where `make demo` installed the
# larger model (kernels the tests start inherit it). Set it to run the suite on another one.
os.environ.setdefault("JUPYTER_CODEGEN_LOCAL_MODEL", "qwen2.5-coder-0.5b")

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
    sh, session = open_session(tmp_path, monkeypatch)
    yield sh
    close_session(sh, session)
