"""Registered functions as a spec binds them: called with checked, converted arguments."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any


def checked_functions(registry: Any) -> dict[str, Callable[..., Any]]:
    """The registry's functions by name, each checking and converting its arguments as the
    registry declares them (a slider's 3.0 becomes the int a function asks for)."""
    found = getattr(registry, "functions", {})
    functions = dict(found() if callable(found) else found)
    get = getattr(registry, "get", None)
    out: dict[str, Callable[..., Any]] = {}
    for name, fn in functions.items():
        entry = get(name) if get is not None else None
        check = getattr(getattr(entry, "schema", None), "check", None)
        out[name] = _checked(fn, check) if callable(check) else fn
    return out


def _checked(fn: Callable[..., Any], check: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def call(**kwargs: Any) -> Any:
        return fn(**check(kwargs))

    return call
