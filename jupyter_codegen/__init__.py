"""jupyter-codegen: ``%%gemini`` turns natural language into code that runs in your kernel.

Load it with ``%load_ext jupyter_codegen``.
"""

from __future__ import annotations

from typing import Any

from jupyter_codegen.mcp.client import connect_mcp
from jupyter_codegen.registration import register, unregister

__version__ = "0.1.0"
__all__ = [
    "connect_mcp",
    "register",
    "unregister",
    "load_ipython_extension",
    "unload_ipython_extension",
]


def load_ipython_extension(shell: Any) -> None:
    from jupyter_codegen.magics import GeminiMagics
    from jupyter_codegen.session import session_for

    session = session_for(shell)
    session.install()
    shell.register_magics(GeminiMagics(shell, session))


def unload_ipython_extension(shell: Any) -> None:
    from jupyter_codegen.session import session_for

    session_for(shell).uninstall()


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "jupyter-codegen"}]
