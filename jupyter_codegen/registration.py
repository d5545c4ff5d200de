"""The user's ``register`` / ``unregister``: offer a function to the model in this kernel's
session (``from jupyter_codegen import register``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, overload

from jupyter_codegen.functions.registry import FunctionRegistry
from jupyter_codegen.session import current_session

F = TypeVar("F", bound=Callable[..., Any])


@overload
def register(fn: F, *, name: str | None = None, description: str | None = None) -> F: ...
@overload
def register(*, name: str | None = None, description: str | None = None) -> Callable[[F], F]: ...
def register(fn: Any = None, *, name: str | None = None, description: str | None = None) -> Any:
    """Offer ``fn`` to the model, as a native tool and as a callable in generated code.

    ``@register``, ``@register(name=..., description=...)`` or ``register(fn)``. Every parameter
    needs a type annotation (str, int, float, bool, Literal, Enum, dataclass, Pydantic model,
    list[...], dict[str, ...], optional variants); the docstring's first paragraph and its
    ``Args:`` / ``Parameters`` entries describe the function and its parameters to the model.
    Returns ``fn`` unchanged.
    """

    def add(f: F) -> F:
        session = current_session()
        session.functions.add(f, name, description=description, namespace=session.shell.user_ns)
        return f

    return add(fn) if fn is not None else add


def unregister(name_or_fn: str | Callable[..., Any]) -> None:
    """Stop offering a function to the model (by its registered name or the function)."""
    registry: FunctionRegistry = current_session().functions
    if isinstance(name_or_fn, str):
        name = name_or_fn
    else:
        name = next(
            (n for n, e in registry.entries.items() if e.fn is name_or_fn),
            getattr(name_or_fn, "__name__", ""),
        )
    registry.remove(name, current_session().shell.user_ns)
