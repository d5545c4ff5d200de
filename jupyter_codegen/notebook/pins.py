"""The local pin store: code that answered a prompt, reused when the same prompt runs again.

Keyed by prompt text, model and mode (never by kernel state, so re-running in the same kernel
hits). One small JSON file per key under a per-user cache directory: safe to delete at any time,
written atomically (temp file, rename) so concurrent kernels never see a torn file (the last
writer wins, whole), and a corrupt, truncated or foreign file is simply a miss. No fsync: it
cost 5-15 ms a cell, and a pin torn by a power cut is just such a miss (the notebook keeps the
generated cell). The store
is a cache: a write that fails (read-only or full disk, a file where the folder should be) is
dropped with a warning and never fails the prompt cell.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import os
import queue
import tempfile
import threading
import time
import warnings
from dataclasses import asdict, dataclass, fields
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


#: A pin file larger than this is not ours (pins hold one cell of code).
_MAX_PIN_BYTES = 4 * 1024 * 1024


def _pin_from(data: object) -> Pin | None:
    """A :class:`Pin` from decoded JSON, or None unless every field has the right type."""
    if not isinstance(data, dict):
        return None
    wanted = {f.name: f for f in fields(Pin)}
    if not set(data) <= set(wanted):
        return None
    try:
        pin = Pin(**data)
    except TypeError:
        return None
    text_fields = ("code", "model", "mode", "prompt_hash", "created")
    if not all(isinstance(getattr(pin, name), str) for name in text_fields):
        return None
    if not isinstance(pin.attempts, int) or isinstance(pin.attempts, bool):
        return None
    return pin


class PinStore:
    def __init__(self, root: Path | None = None) -> None:
        self.root = (root or cache_root()) / "pins"
        self._swept = False
        #: Pins handed to :meth:`put_soon` and not yet on disk (what :meth:`get` sees first).
        self._pending: dict[str, Pin] = {}
        self._queue: queue.Queue[tuple[str, Pin]] = queue.Queue()
        self._writer: threading.Thread | None = None
        self._lock = threading.Lock()

    @staticmethod
    def key(prompt: str, model: str, mode: str) -> str:
        blob = json.dumps([prompt.strip(), model, mode])
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def _path(self, key: str) -> str:
        # (A str, not a Path: a prompt cell looks its pin up every time, mostly to miss, and
        # pathlib's joins cost that lookup three times the stat.)
        return os.path.join(self.root, key + ".json")

    def get(self, key: str) -> Pin | None:
        """The pin for ``key``, or None when missing, truncated, corrupt or of another shape."""
        pending = self._pending.get(key)
        if pending is not None:
            return pending
        try:
            path = self._path(key)
            if os.stat(path).st_size > _MAX_PIN_BYTES:
                return None
            with open(path, encoding="utf-8") as handle:
                data = json.loads(handle.read())
        except (OSError, ValueError, RecursionError):
            return None  # missing, truncated or not JSON: a miss, not an error
        return _pin_from(data)

    def put(self, key: str, pin: Pin) -> bool:
        """Store ``pin`` atomically; False (with a warning) when the cache cannot be written."""
        tmp = None
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".pin-", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(asdict(pin), handle)
            os.replace(tmp, self._path(key))
            tmp = None
            if not self._swept:  # once per store: the glob lists every pin (2.6 ms at 5,000)
                self._swept = True
                self._sweep()
            return True
        except OSError as exc:
            warnings.warn(
                f"jupyter-codegen: could not write the pin cache at {self.root} "
                f"({type(exc).__name__}); the code ran, it is just not pinned.",
                RuntimeWarning,
                stacklevel=2,
            )
            return False
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)

    def put_soon(self, key: str, pin: Pin) -> None:
        """:meth:`put` on a writer thread, so the prompt cell does not wait for the file system
        (~0.35 ms a cell, an eighth of a fresh cell's own cost). :meth:`get` sees the pin at once;
        :meth:`flush` (also run at interpreter exit) waits for the writes. A kernel killed in the
        millisecond between loses that pin: the notebook's generated cell still holds the code."""
        with self._lock:
            self._pending[key] = pin
            if self._writer is None:
                self._writer = threading.Thread(
                    target=self._write_queued, name="jupyter-codegen-pins", daemon=True
                )
                self._writer.start()
                atexit.register(self.flush)
        self._queue.put((key, pin))

    def _write_queued(self) -> None:
        while True:
            key, pin = self._queue.get()
            try:
                self.put(key, pin)
            finally:
                with self._lock:
                    if self._pending.get(key) is pin:
                        del self._pending[key]
                self._queue.task_done()

    def flush(self) -> None:
        """Wait until every pin handed to :meth:`put_soon` is written (or failed with a warning)."""
        if self._writer is not None:
            self._queue.join()

    def _sweep(self) -> None:
        """Remove temp files that a crashed writer left behind (older than an hour)."""
        cutoff = time.time() - 3600
        with contextlib.suppress(OSError):
            for leftover in self.root.glob(".pin-*.tmp"):
                with contextlib.suppress(OSError):
                    if leftover.stat().st_mtime < cutoff:
                        leftover.unlink()

    def delete(self, key: str) -> None:
        self.flush()  # a queued write must not bring it back
        with contextlib.suppress(OSError):
            os.unlink(self._path(key))
