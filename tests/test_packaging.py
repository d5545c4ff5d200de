"""The installed package as a user gets it: entry points and the prebuilt JupyterLab extension."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


def test_console_script_and_module_entry_point():
    assert run(str(BIN / "jupyter-codegen"), "--version").stdout.strip() == "0.1.0"
    help_text = run(sys.executable, "-m", "jupyter_codegen", "run", "--help").stdout
    assert "--regenerate" in help_text and "--model" in help_text


def test_labextension_is_installed_and_enabled():
    if not (BIN / "jupyter-labextension").exists():
        pytest.fail("jupyterlab is not installed: make test installs the [browser] extra")
    result = run(str(BIN / "jupyter"), "labextension", "list")
    listing = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)  # colour codes
    assert re.search(r"jupyter-codegen v\S+ enabled\s+.*OK", listing), listing
