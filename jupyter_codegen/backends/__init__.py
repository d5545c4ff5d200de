"""Backends behind one interface (:class:`~.base.Backend`), chosen by model name."""

from __future__ import annotations

from .base import Backend, ModelRequest, Reply, collect

__all__ = ["Backend", "ModelRequest", "Reply", "collect"]
