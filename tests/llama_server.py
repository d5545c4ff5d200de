"""llama.cpp's own OpenAI-compatible server (``python -m llama_cpp.server``, from
``llama-cpp-python[server]``) on a GGUF file, on a free loopback port: started, waited for
(``/v1/models`` answers, with a deadline and a check that the process lives) and stopped. Used
by tests/test_openai_llama_server.py and benchmarks/openai_backend.py."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ALIAS = "qwen-local"


class ServerFailed(RuntimeError):
    pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def llama_server(gguf: Path, log_path: Path, *, startup_s: float = 120.0) -> Iterator[str]:
    """Serve ``gguf`` as model ``ALIAS``; yields the base URL (``http://127.0.0.1:PORT/v1``)."""
    port = _free_port()
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                str(gguf),
                "--model_alias",
                ALIAS,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--n_ctx",
                "8192",
                "--n_threads",
                "2",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}/v1"
        deadline = time.monotonic() + startup_s
        try:
            while True:
                if process.poll() is not None:
                    raise ServerFailed(f"llama_cpp.server exited: {log_path.read_text()[-800:]}")
                try:
                    with urllib.request.urlopen(f"{url}/models", timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:
                    if time.monotonic() > deadline:
                        msg = f"llama_cpp.server did not answer in {startup_s:g} s"
                        raise ServerFailed(msg) from None
                    time.sleep(0.2)  # polling a starting process, bounded by the deadline
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
