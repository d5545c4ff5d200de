"""Generative UI in the kernel: the A2UI v0.9 spec, its catalog, renderer and expressions, and
the harness that exercises a rendered interface.

``%%gemini --ui`` builds a live ipywidgets interface in one of two modes
(:mod:`jupyter_codegen.modes.ui_code`, :mod:`jupyter_codegen.modes.ui_spec`):

- ``--ui=code``: the model writes ipywidgets code; after it renders, every control is exercised
  once (:mod:`.exercise`) and any exception goes back to the model.
- ``--ui=spec``: the model returns a declarative A2UI v0.9 spec, validated against the
  published catalog (:mod:`.catalog`, ``catalog.json``) and rendered by :mod:`.render` without
  running any code it wrote, so it is allowed under the strict policy.

Without a value, ``--ui`` picks ``spec`` under the strict policy and ``code`` otherwise. Either
way the generated cell is the pinned answer: the code, or the spec in one
:func:`render_a2ui` call (this package's one public name, which pinned cells import).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jupyter_codegen.ui.render import Surface

__all__ = ["render_a2ui"]


def render_a2ui(document: str) -> Surface:
    """Render an A2UI v0.9 spec (a JSON array of messages) as live ipywidgets, bound to this
    kernel's variables and registered functions. The generated cell of ``--ui=spec`` is one call
    of this; edit the JSON to change the interface. Raises a one-line error for a spec that does
    not validate; the returned surface shows itself when it is the cell's last value."""
    from IPython import get_ipython

    from jupyter_codegen.ui.bindings import checked_functions
    from jupyter_codegen.ui.render import Surface
    from jupyter_codegen.ui.spec import check_spec, normalize, read_messages

    shell = get_ipython()
    namespace: dict[str, Any] = shell.user_ns if shell is not None else {}
    hidden: dict[str, Any] = getattr(shell, "user_ns_hidden", {}) if shell is not None else {}
    functions: dict[str, Any] = {}
    if shell is not None:
        from jupyter_codegen.session import session_for

        functions = checked_functions(session_for(shell).functions)
    spec = check_spec(normalize(read_messages(document)), namespace=namespace, functions=functions)
    return Surface(spec, namespace, functions, hidden)
