"""Backends behind one interface (:class:`~.base.Backend`), chosen by model name."""

from __future__ import annotations

from jupyter_codegen.errors import UsageError
from jupyter_codegen.model.backends.base import Backend, Capabilities, ModelRequest, Reply, collect

__all__ = [
    "Backend",
    "Capabilities",
    "ModelRequest",
    "Reply",
    "backend_kind",
    "capabilities_of",
    "collect",
]

_GEMINI_PREFIXES = ("gemini-", "gemma-", "learnlm-", "models/", "tunedModels/")


def backend_kind(model: str) -> str:
    """Which backend serves ``model``: "gemini", "local" or "scripted" (tests)."""
    if model == "local" or model.startswith("local:"):
        return "local"
    if model.startswith(_GEMINI_PREFIXES):
        return "gemini"
    if model == "scripted" or model.startswith("scripted:"):
        return "scripted"
    raise UsageError(
        f"Unknown model '{model}': use a Gemini model (e.g. gemini-3.8-flash), "
        "'local' for the embedded offline model, or 'local:/path/to/model.gguf'."
    )


def capabilities_of(model: str) -> Capabilities:
    """What the backend for ``model`` can do, read from its class (nothing is created, so a
    pinned run pays no client or model load)."""
    kind = backend_kind(model)
    if kind == "gemini":
        from .gemini import GeminiBackend

        return GeminiBackend.capabilities
    if kind == "local":
        from .local import LocalBackend

        return LocalBackend.capabilities
    from .scripted import SCRIPTED_CAPABILITIES

    return SCRIPTED_CAPABILITIES
