"""The notebook rules (jupyter_codegen/notebook/cells.py) on the shared cases, and the
extension's mirror of them (labextension/src/cells.ts) on the same cases, through `jlpm test`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from jupyter_codegen.notebook.cells import (
    code_hash,
    is_edited,
    is_prompt_cell,
    linked_cell,
    linked_cells,
)

ROOT = Path(__file__).resolve().parent.parent
CASES: dict[str, Any] = json.loads(
    (ROOT / "tests" / "cases" / "notebook_rules.json").read_text(encoding="utf-8")
)
BIN = Path(sys.executable).parent


def cases(rule: str) -> Any:
    return pytest.mark.parametrize("case", CASES[rule], ids=[c["note"] for c in CASES[rule]])


@cases("is_prompt_cell")
def test_is_prompt_cell(case):
    assert is_prompt_cell(case["source"]) is case["expected"]


@cases("code_hash")
def test_code_hash(case):
    assert code_hash(case["code"]) == case["expected"]


@cases("is_edited")
def test_is_edited(case):
    assert is_edited(case["code"], case["stored_hash"]) is case["expected"]


@cases("linked_cells")
def test_linked_cells(case):
    cells, index = case["cells"], case["prompt_index"]
    assert [c["id"] for c in linked_cells(cells, index)] == case["expected"]
    linked = linked_cell(cells, index)
    assert (linked["id"] if linked else None) == case["expected_linked"]


def test_each_rule_has_both_answers():
    for rule in ("is_prompt_cell", "is_edited"):
        assert {c["expected"] for c in CASES[rule]} == {True, False}, rule
    assert any(c["stored_hash"] is None for c in CASES["is_edited"])
    assert any(c["expected_linked"] is None and c["expected"] for c in CASES["linked_cells"])


def test_the_extension_follows_the_same_rules():
    """`jlpm test` in labextension/: cells.ts on the same cases (Node's test runner)."""
    jlpm = BIN / "jlpm"
    if not jlpm.exists():
        pytest.fail("jlpm is not installed: make install-test installs the [browser] extra")
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(
        [str(jlpm), "test"],
        cwd=ROOT / "labextension",
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    passed = re.search(r"^(?:# |ℹ )pass (\d+)$", output, re.MULTILINE)
    failed = re.search(r"^(?:# |ℹ )fail (\d+)$", output, re.MULTILINE)
    assert passed and failed, output[-4000:]
    rules = ("is_prompt_cell", "code_hash", "is_edited", "linked_cells")
    assert int(passed.group(1)) == sum(len(CASES[rule]) for rule in rules), output[-4000:]
    assert int(failed.group(1)) == 0
