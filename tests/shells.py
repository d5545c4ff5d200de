"""The one InteractiveShell, reset, with a fresh jupyter-codegen session (shared by fixtures)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

from jupyter_codegen.model import local_weights
from jupyter_codegen.model.backends.scripted import ScriptedBackend
from jupyter_codegen.session import CodegenSession, session_for

# Assembled weights are named by their hash, so every test may share one copy. Each test gets a
# fresh cache (fresh pins), but its models/ links here instead of assembling 491 MB again: seven
# copies a run, kept for three runs, once filled CI's disk. Read before any test moves the cache.
SHARED_MODELS = local_weights.default_cache_dir()


def fresh_cache(monkeypatch: pytest.MonkeyPatch, root: Path) -> Path:
    """Point ``JUPYTER_CODEGEN_CACHE_DIR`` at an empty ``root`` whose models/ is the shared one."""
    SHARED_MODELS.mkdir(parents=True, exist_ok=True)
    root.mkdir(parents=True, exist_ok=True)
    (root / "models").symlink_to(SHARED_MODELS, target_is_directory=True)
    monkeypatch.setenv(local_weights.CACHE_ENV, str(root))
    return root


def open_session(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    model: str = "scripted",
    backend: Any = None,
) -> tuple[InteractiveShell, CodegenSession]:
    """Reset the shell, load the extension anew and answer ``model`` with ``backend`` (a
    ``ScriptedBackend`` when None); pins go to ``tmp_path``."""
    fresh_cache(monkeypatch, tmp_path / "cache")
    monkeypatch.delenv("JUPYTER_CODEGEN_MODEL", raising=False)
    sh = InteractiveShell.instance()
    sh.reset(new_session=False)
    if hasattr(sh, "_jupyter_codegen_session"):
        close_session(sh, session_for(sh))
    sh.run_line_magic("load_ext", "jupyter_codegen")
    sh.run_line_magic("reload_ext", "jupyter_codegen")
    session = session_for(sh)
    session.config.model = model
    session.backends[model] = backend if backend is not None else ScriptedBackend()
    return sh, session


def close_session(sh: InteractiveShell, session: CodegenSession) -> None:
    """Uninstall ``session`` and forget it (a test may have removed it already)."""
    session.uninstall()
    sh.__dict__.pop("_jupyter_codegen_session", None)
