"""Backends behind one interface (:class:`~.base.Backend`), chosen by model name."""

from __future__ import annotations

import importlib
from typing import Any

from jupyter_codegen.errors import UsageError
from jupyter_codegen.model.backends.base import Backend, Capabilities, ModelRequest, Reply, collect

__all__ = [
    "Backend",
    "Capabilities",
    "ModelRequest",
    "Reply",
    "backend_kind",
    "backend_class",
    "capabilities_of",
    "create_backend",
    "served_models",
    "collect",
]

_GEMINI_PREFIXES = ("gemini-", "gemma-", "learnlm-", "models/", "tunedModels/")
#: OpenAI-compatible servers (model/backends/openai_compat.py).
_OPENAI_PREFIXES = ("openai:", "ollama:")


def backend_kind(model: str) -> str:
    """Which backend serves ``model``: "gemini", "local", "openai" or "scripted" (tests)."""
    if model == "local" or model.startswith("local:"):
        return "local"
    if model.startswith(_GEMINI_PREFIXES):
        return "gemini"
    if model.startswith(_OPENAI_PREFIXES):
        return "openai"
    if model == "scripted" or model.startswith("scripted:"):
        return "scripted"
    raise UsageError(
        f"Unknown model '{model}': use a Gemini model (e.g. gemini-3.8-flash), "
        "'local' for the embedded offline model, 'local:/path/to/model.gguf', or an "
        "OpenAI-compatible server's model as openai:MODEL or ollama:MODEL."
    )


#: The backend class of each kind of model name, imported on first use (a pinned run on the
#: embedded model never imports the Gemini SDK). A new backend is a file and a row here.
_CLASSES = {
    "gemini": ("jupyter_codegen.model.backends.gemini", "GeminiBackend"),
    "local": ("jupyter_codegen.model.backends.local", "LocalBackend"),
    "openai": ("jupyter_codegen.model.backends.openai_compat", "OpenAICompatibleBackend"),
    "scripted": ("jupyter_codegen.model.backends.scripted", "ScriptedBackend"),
}


def backend_class(model: str) -> Any:
    """The class of the backend that serves ``model`` (one-line UsageError for unknown names)."""
    module, name = _CLASSES[backend_kind(model)]
    return getattr(importlib.import_module(module), name)


def capabilities_of(model: str, config: Any = None) -> Capabilities:
    """What the backend for ``model`` can do, read from its class (nothing is created, so a
    pinned run pays no client or model load); a class whose capabilities depend on the
    configuration (a server said to lack tools) reads them from ``config``."""
    cls = backend_class(model)
    configured = getattr(cls, "configured_capabilities", None)
    capabilities: Capabilities = (
        configured(config) if configured is not None and config is not None else cls.capabilities
    )
    return capabilities


def create_backend(model: str, *, request_timeout: float, shared: dict[str, Any]) -> Backend:
    """A new backend for ``model``; ``shared``: what a session's backends share (clients)."""
    backend: Backend = backend_class(model).create(
        model, request_timeout=request_timeout, shared=shared
    )
    return backend


def served_models(model: str, *, request_timeout: float, shared: dict[str, Any]) -> list[str]:
    """The models the server behind ``model`` serves (``%gemini models``); a backend without a
    server to ask (the embedded model) lists none."""
    lister = getattr(backend_class(model), "served_models", None)
    if lister is None:
        return []
    names: list[str] = lister(model, request_timeout=request_timeout, shared=shared)
    return names
