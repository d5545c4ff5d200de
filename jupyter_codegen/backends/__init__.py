"""Backends behind one interface (:class:`~.base.Backend`), chosen by model name."""

from __future__ import annotations

from ..errors import UsageError
from .base import Backend, ModelRequest, Reply, collect

__all__ = ["Backend", "ModelRequest", "Reply", "collect", "backend_kind"]

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
