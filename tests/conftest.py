"""Shared pytest fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from gemini_server import GeminiTestServer

#: A fake, distinctive API key: tests assert it never shows up in a message or a log.
FAKE_GEMINI_KEY = "AIzaFAKE-test-key-0123456789-do-not-leak"

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
