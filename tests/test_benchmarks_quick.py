"""Each benchmark in ``--quick`` mode, in a subprocess: they still run (not how fast).

Quick modes measure a few points only; all four together stay well under two minutes on two
cores (the embedded-model one needs the model and is marked ``local_model``). The jupyter-ai
comparison runs in its own virtualenv (``benchmarks/.venv-bench``); when that venv cannot be
built offline (no wheelhouse yet) the test is skipped with the benchmark's own loud message.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"
#: The exit status with which a benchmark says "cannot run here" (venv or model missing).
EXIT_CANNOT_RUN = 3


def run_quick(script: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(BENCH / script), "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def check(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    if result.returncode == EXIT_CANNOT_RUN:
        pytest.skip(result.stderr.strip().replace("\n", " ")[-400:])
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert "machine:" in result.stdout
    for text in expected:
        assert text in result.stdout, result.stdout[-2000:]


@pytest.mark.timeout(420)
def test_overhead_vs_jupyter_ai_quick() -> None:
    result = run_quick("overhead_vs_jupyter_ai.py", 400)
    check(result, "ratio", "empty", "{df}")


@pytest.mark.timeout(320)
def test_context_scaling_quick() -> None:
    check(
        run_quick("context_scaling.py", 300),
        "log-log slope",
        "largest context",
        "engine work 0 tasks (ok)",
        "engine work 0 UDF calls (ok)",
    )


@pytest.mark.kernel
@pytest.mark.timeout(320)
def test_pinned_rerun_quick() -> None:
    check(run_quick("pinned_rerun.py", 300), "ratio pinned/plain", "model requests 0: ok")


@pytest.mark.local_model
@pytest.mark.kernel
@pytest.mark.timeout(920)
def test_local_end_to_end_quick() -> None:
    check(run_quick("local_end_to_end.py", 900), "warm cells:", "first after kernel start")


@pytest.mark.timeout(320)
def test_mcp_round_trips_quick() -> None:
    result = run_quick("mcp_round_trips.py", 300)
    check(
        result,
        "| 20 | (c) code mode | 1 | 20 |",
        "| 20 | (a) native, one call per turn | 21 | 20 |",
    )
