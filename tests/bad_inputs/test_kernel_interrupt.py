"""Ctrl-C (the kernel's interrupt, as the stop button sends it) and an extension crash, in a
real kernel: the prompt cell ends in one line, the user's variables survive, the next cell
runs, and a notebook saved afterwards is valid."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from badkit import code_reply
from gemini_server import FAKE_GEMINI_KEY, GeminiTestServer, stall
from jupyter_client.manager import KernelManager, start_new_kernel
from nbrun import errors_of, execute, make_notebook, text_of
from shells import fresh_cache

pytestmark = pytest.mark.kernel


@pytest.fixture
def kernel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[KernelManager, Any, GeminiTestServer]]:
    with GeminiTestServer() as server:
        monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", server.url)
        monkeypatch.setenv("GEMINI_API_KEY", FAKE_GEMINI_KEY)
        fresh_cache(monkeypatch, tmp_path / "cache")
        monkeypatch.setenv("JUPYTER_CODEGEN_MODEL", "gemini-3.8-flash")
        km, kc = start_new_kernel(kernel_name="python3", cwd=str(tmp_path))
        try:
            _run(kc, "%load_ext jupyter_codegen\nsentinel = 123")
            yield km, kc, server
        finally:
            server.release_stalls()
            kc.stop_channels()
            km.shutdown_kernel(now=True)


def _run(kc: Any, code: str, on_output: Any = None, timeout: float = 60) -> list[dict[str, Any]]:
    """Execute ``code``; return its iopub outputs. ``on_output(msg)`` sees each as it comes."""
    msg_id = kc.execute(code)
    outputs: list[dict[str, Any]] = []
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind = msg["msg_type"]
        if kind == "status" and msg["content"]["execution_state"] == "idle":
            break
        if kind in ("stream", "error", "display_data", "execute_result"):
            outputs.append(msg)
            if on_output is not None:
                on_output(msg)
    return outputs


def _errors(outputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m["content"] for m in outputs if m["msg_type"] == "error"]


def _printed(outputs: list[dict[str, Any]]) -> str:
    return "".join(m["content"].get("text", "") for m in outputs if m["msg_type"] == "stream")


def test_interrupt_while_generated_code_runs(kernel: Any) -> None:
    km, kc, server = kernel
    server.enqueue(code_reply("sentinel = 0\nprint('started', flush=True)\nwhile True:\n    pass"))

    def interrupt_once_started(msg: dict[str, Any]) -> None:
        if "started" in msg["content"].get("text", ""):
            km.interrupt_kernel()

    outputs = _run(kc, "%%gemini --timeout 0\nspin", interrupt_once_started)
    (err,) = _errors(outputs)
    # (The whole error and the server's record, so a failure on a loaded CI machine says why.)
    seen = (err, server.request_count, _printed(outputs))
    assert err["ename"] == "CodegenError" and len(err["traceback"]) == 1, seen
    assert "Interrupted: the generated code was stopped" in err["traceback"][0]
    assert "sentinel 123" in _printed(_run(kc, "print('sentinel', sentinel)"))


def test_interrupt_while_waiting_for_the_model(kernel: Any) -> None:
    km, kc, server = kernel
    server.enqueue(stall(60))
    msg_id = kc.execute("%%gemini\nanything")
    assert server.wait_for_requests(1, timeout=30)  # the request is in flight
    km.interrupt_kernel()
    errors = []
    while True:
        msg = kc.get_iopub_msg(timeout=60)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "error":
            errors.append(msg["content"])
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    (err,) = errors
    assert len(err["traceback"]) == 1 and "Interrupted" in err["traceback"][0]
    assert "sentinel 123" in _printed(_run(kc, "print('sentinel', sentinel)"))


def test_extension_crash_mid_generation_leaves_a_valid_notebook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug inside the extension (not a user-facing error) while the reply streams: the cell
    shows the traceback, the kernel and the user's variables survive, the notebook validates."""
    fresh_cache(monkeypatch, tmp_path / "cache")
    cells = [
        "%load_ext jupyter_codegen\nsentinel = 123\n"
        "from jupyter_codegen.session import session_for\n"
        "from jupyter_codegen.model.backends.scripted import ScriptedBackend, ScriptedReply\n"
        "backend = ScriptedBackend()\n"
        "backend.push(ScriptedReply(error=RuntimeError('simulated extension bug')))\n"
        "session_for(get_ipython()).backends['scripted'] = backend",
        "%%gemini -m scripted\nanything",
        "print('alive', sentinel)",
    ]
    nb = execute(make_notebook(cells), tmp_path, timeout=60)
    (err,) = errors_of(nb.cells[1])
    assert err.ename == "RuntimeError"
    assert "alive 123" in text_of(nb.cells[2])
    nbformat.validate(nb)
    saved = tmp_path / "after-crash.ipynb"
    nbformat.write(nb, saved)
    nbformat.validate(nbformat.read(saved, as_version=4))
