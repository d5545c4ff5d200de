"""The pin store survives concurrent kernels, torn and corrupt files, and an unwritable cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from jupyter_codegen.notebook.pins import Pin, PinStore

KEY = PinStore.key("plot revenue", "gemini-3.8-flash", "code")


def pin(code: str = "x = 1\n") -> Pin:
    return Pin(code, "gemini-3.8-flash", "code", "abc", "2026-01-01T00:00:00+00:00", 1)


def test_round_trip(tmp_path: Path) -> None:
    store = PinStore(tmp_path)
    assert store.get(KEY) is None
    assert store.put(KEY, pin()) is True
    assert store.get(KEY) == pin()
    store.delete(KEY)
    assert store.get(KEY) is None


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b'{"code": "x = 1\\n", "model": "gemini',  # truncated mid-write
        b"\x00\xff\xfe garbage",
        b"[1, 2, 3]",
        b'"just a string"',
        b'{"code": 1, "model": "m", "mode": "code", "prompt_hash": "h", "created": "c"}',
        b'{"code": "x", "model": "m", "mode": "code", "prompt_hash": "h", "created": "c", '
        b'"attempts": "2"}',
        b'{"code": "x", "model": "m", "mode": "code", "prompt_hash": "h", "created": "c", '
        b'"evil": true}',
        b"[" * 100_000,  # deeply nested: RecursionError in the decoder
    ],
    ids=[
        "empty",
        "truncated",
        "binary",
        "list",
        "string",
        "bad-type",
        "bad-attempts",
        "extra",
        "deep",
    ],
)
def test_corrupt_file_is_a_miss_and_is_overwritten(tmp_path: Path, content: bytes) -> None:
    store = PinStore(tmp_path)
    store.root.mkdir(parents=True)
    (store.root / f"{KEY}.json").write_bytes(content)
    assert store.get(KEY) is None
    assert store.put(KEY, pin("y = 2\n"))
    assert store.get(KEY) == pin("y = 2\n")


def test_oversized_file_is_not_read(tmp_path: Path) -> None:
    store = PinStore(tmp_path)
    store.root.mkdir(parents=True)
    (store.root / f"{KEY}.json").write_text(json.dumps({"code": "x" * 5_000_000}))
    assert store.get(KEY) is None


def test_unwritable_cache_warns_and_does_not_raise(tmp_path: Path) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the folder should be")
    store = PinStore(blocker)
    with pytest.warns(RuntimeWarning, match="could not write the pin cache"):
        assert store.put(KEY, pin()) is False
    assert store.get(KEY) is None


def test_stale_temp_files_are_swept(tmp_path: Path) -> None:
    store = PinStore(tmp_path)
    store.root.mkdir(parents=True)
    stale = store.root / ".pin-crashed.tmp"
    fresh = store.root / ".pin-writing.tmp"
    stale.write_text("{")
    fresh.write_text("{")
    old = time.time() - 7200
    os.utime(stale, (old, old))
    store.put(KEY, pin())
    assert not stale.exists() and fresh.exists()


_WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from jupyter_codegen.notebook.pins import Pin, PinStore
    root, key, tag, rounds = Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
    store = PinStore(root)
    print("ready", flush=True)
    sys.stdin.readline()  # start together
    body = tag * 20_000  # large enough that a torn write would be visible
    for i in range(rounds):
        assert store.put(key, Pin(body + str(i), "m", "code", "h", "c", 1))
    print("done", flush=True)
    """
)


def test_two_processes_writing_at_once_never_tear_a_pin(tmp_path: Path) -> None:
    """Two kernels pin the same prompt at once while a third reads: every read is a whole pin
    from one writer (or a miss before the first write), never a torn or mixed file."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(tmp_path), KEY, tag, "150"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for tag in ("A", "B")
    ]
    for proc in writers:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    for proc in writers:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    store = PinStore(tmp_path)
    reads = 0
    while any(proc.poll() is None for proc in writers) or reads == 0:
        got = store.get(KEY)
        reads += 1
        if got is not None:
            body = got.code.rstrip("0123456789")
            assert body in ("A" * 20_000, "B" * 20_000), "torn or mixed pin"
    for proc in writers:
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0 and "done" in out
    final = store.get(KEY)
    assert final is not None and final.code.rstrip("0123456789") in ("A" * 20_000, "B" * 20_000)
    assert not list(store.root.glob(".pin-*.tmp"))  # no temp file left behind


def test_put_soon_is_seen_at_once_and_written_by_flush(tmp_path: Path) -> None:
    store = PinStore(tmp_path)
    pin = Pin("print(1)\n", "m", "code", "h", "2026-01-01T00:00:00")
    key = PinStore.key("p", "m", "code")
    store.put_soon(key, pin)
    assert store.get(key) == pin  # before or after the write: the same pin
    store.flush()
    assert store._pending == {}
    assert PinStore(tmp_path).get(key) == pin  # on disk, for another kernel


def test_put_soon_into_an_unwritable_cache_warns_and_forgets(tmp_path: Path) -> None:
    (tmp_path / "pins").write_text("a file where the folder should be")
    store = PinStore(tmp_path)
    key = PinStore.key("p", "m", "code")
    with pytest.warns(RuntimeWarning, match="could not write the pin cache"):
        store.put_soon(key, Pin("x = 1\n", "m", "code", "h", "t"))
        store.flush()
    assert store.get(key) is None  # not written, not pending: a miss, the cell still ran


def test_put_soon_after_delete_keeps_the_order(tmp_path: Path) -> None:
    store = PinStore(tmp_path)
    key = PinStore.key("p", "m", "code")
    store.put_soon(key, Pin("a = 1\n", "m", "code", "h", "t"))
    store.delete(key)
    assert store.get(key) is None
