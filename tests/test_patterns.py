"""Each gated prompt pattern (core/patterns.py) has needles that every one of its matches holds:
the gate never hides a match. Checked on every match over the prompts and strings the project
has: the quality set, the notebooks, and the string literals of the intent tests."""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

import pytest

from jupyter_codegen.core import formula_checks, intent, join_checks
from jupyter_codegen.core.patterns import Gated

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import quality_tasks  # noqa: E402

#: Wording each pattern is for, in case the corpus below holds none of it.
EXTRA = [
    "Plot a heat map of the correlations, then a scatterplot and a boxplot.",
    "Draw horizontal bars; vertical bars next.",
    "Add a column, fill the gaps in place, convert the dates, rename it, reset the index.",
    "Print the region and its total. Print the average revenue per region.",
    "The sample standard deviation and the population variance of `x`.",
    "Variances, standard deviations, the average and the mean.",
    "A dict mapping each currency to the converted amount.",
    "Highest first, in descending order; oldest first, ascending, alphabetically; newest first.",
    "A Series `z` with the same index as `sales`.",
    "A list called `top`, store the count in `n_high`, as `out`, the variable x1.",
    "Store a dict `totals_fx`; create `by_month`, a DataFrame.",
    "Join them, keeping only the orders whose customer we know; keep every order even if not.",
    "The monthly payment of a 250,000 mortgage over 30 years; a loan that repays; an annuity.",
]


def _gated() -> list[tuple[str, Gated]]:
    found = []
    for module in (intent, join_checks, formula_checks):
        for name, value in vars(module).items():
            for i, item in enumerate(value if isinstance(value, list) else [value]):
                if isinstance(item, Gated):
                    found.append((f"{module.__name__}.{name}[{i}]", item))
    return found


def _strings_of(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) > 8
    ]


def _corpus() -> list[str]:
    texts = [task.prompt for task in quality_tasks.TASKS] + EXTRA
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            source = cell["source"]
            texts.append("".join(source) if isinstance(source, list) else source)
    for name in ("test_intent.py", "test_join_checks.py", "test_formula_checks.py"):
        texts += _strings_of(ROOT / "tests" / name)
    return texts


CORPUS = _corpus()


def test_the_patterns_are_gated():
    assert len(_gated()) >= 20


@pytest.mark.parametrize(("name", "gated"), _gated(), ids=[name for name, _ in _gated()])
def test_every_match_holds_a_needle(name, gated):
    matches = [m for text in CORPUS for m in gated.pattern.finditer(text)]
    assert matches, f"{name}: nothing in the corpus matches it (add its wording to EXTRA)"
    for match in matches:
        assert any(needle in match.group(0).lower() for needle in gated.needles), (
            name,
            match.group(0),
        )
    for text in CORPUS:
        assert bool(gated.search(text)) == bool(gated.pattern.search(text)), (name, text)
