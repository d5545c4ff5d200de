"""The local pin store: code that answered a prompt, reused when the same prompt runs again.

Keyed by prompt text, model and mode (never by kernel state, so re-running in the same kernel
hits). One small JSON file per key under a per-user cache directory: safe to delete at any time,
written atomically (temp file + rename) so concurrent kernels never see a torn file, and a
corrupt file is simply a miss.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import platformdirs

CACHE_ENV = "JUPYTER_CODEGEN_CACHE_DIR"


def cache_root() -> Path:
    """``$JUPYTER_CODEGEN_CACHE_DIR`` or the platform's per-user cache directory."""
    return Path(os.environ.get(CACHE_ENV) or platformdirs.user_cache_dir("jupyter-codegen"))


def prompt_hash(prompt: str, mode: str, model_flag: str = "") -> str:
    """Identity of a prompt cell's request: its text, its mode and an explicit ``-m`` flag."""
    text = "\n".join([mode, model_flag, prompt.strip()])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Pin:
    code: str
    model: str
    mode: str
    prompt_hash: str
    created: str
    attempts: int = 1


class PinStore:
    def __init__(self, root: Path | None = None) -> None:
        self.root = (root or cache_root()) / "pins"

    @staticmethod
    def key(prompt: str, model: str, mode: str) -> str:
        blob = json.dumps([prompt.strip(), model, mode])
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def _path(self, key: str) -> Path:
        return self.root / f"{key}.json"

    def get(self, key: str) -> Pin | None:
        try:
            data = json.loads(self._path(key).read_text("utf-8"))
            return Pin(**data)
        except (OSError, ValueError, TypeError):
            return None  # missing, truncated or from another version: a miss, not an error

    def put(self, key: str, pin: Pin) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".pin-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(asdict(pin), handle)
            os.replace(tmp, self._path(key))
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def delete(self, key: str) -> None:
        with contextlib.suppress(OSError):
            self._path(key).unlink()
