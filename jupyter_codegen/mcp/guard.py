"""``python -m jupyter_codegen.mcp.guard CMD ARGS...``: run an MCP server that dies with its
parent. ``PR_SET_PDEATHSIG`` survives ``exec``, so a kernel killed with SIGKILL (no atexit, no
cleanup) still takes its servers with it; elsewhere than Linux the command just runs."""

from __future__ import annotations

import ctypes
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1


def main(argv: list[str]) -> None:
    if not argv:
        raise SystemExit("usage: python -m jupyter_codegen.mcp.guard CMD [ARGS...]")
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    os.execvp(argv[0], argv)


if __name__ == "__main__":
    main(sys.argv[1:])
