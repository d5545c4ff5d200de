"""Registered functions: the user's Python functions offered to the model.

This module holds the registry the context reads; schemas, native tool calls and validation
build on it (see the registered-functions issue).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar, overload

F = TypeVar("F", bound=Callable[..., Any])


class FunctionRegistry:
    """Functions registered in one kernel, by the name the model sees."""

    def __init__(self) -> None:
        self.functions: dict[str, Callable[..., Any]] = {}

    def add(self, fn: Callable[..., Any], name: str | None = None) -> None:
        self.functions[name or fn.__name__] = fn

    def remove(self, name: str) -> None:
        self.functions.pop(name, None)

    def describe_for_prompt(self) -> list[str]:
        """Python signatures and first docstring lines, as the code-mode prompt shows them."""
        lines = []
        for name, fn in self.functions.items():
            doc = (inspect.getdoc(fn) or "").strip()
            first = doc.splitlines()[0] if doc else ""
            lines.append(f"- def {name}{inspect.signature(fn)}" + (f"  # {first}" if first else ""))
        return lines


def _registry() -> FunctionRegistry:
    from .session import current_session

    return current_session().functions


@overload
def register(fn: F) -> F: ...
@overload
def register(*, name: str | None = None) -> Callable[[F], F]: ...
def register(fn: Any = None, *, name: str | None = None) -> Any:
    """Offer ``fn`` to the model: ``@register``, ``@register(name=...)`` or ``register(fn)``."""

    def add(f: F) -> F:
        _registry().add(f, name)
        return f

    return add(fn) if fn is not None else add


def unregister(name_or_fn: str | Callable[..., Any]) -> None:
    """Stop offering a function to the model."""
    name = name_or_fn if isinstance(name_or_fn, str) else name_or_fn.__name__
    _registry().remove(name)
