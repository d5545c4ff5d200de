"""How often the embedded model gets typical analyst prompts right, one after another.

Small models are fragile: a change to the few-shot examples, the repeat penalty or the repair
prompt can flip answers that looked unrelated (session 2 measured 0.5B going from 3/6 to 4/6 and
back with single edits). This replays six prompts over the quickstart's ``sales`` frame and
``fx_rate``, in one shell, each after the others (generated variables stay, as in a notebook),
with a fresh pin cache, and checks each printed result against pandas' own answer and that
``sales`` is unchanged afterwards (the chart prompt is judged by that and by running). Run it
before and after touching ``prompts/local/``.

Usage::

    python benchmarks/local_quality.py                          # the default embedded model
    python benchmarks/local_quality.py -m local:qwen2.5-coder-1.5b
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import report  # noqa: E402

SETUP = '''
import numpy as np
import pandas as pd
rng = np.random.default_rng(7)
sales = pd.DataFrame({
    "month": pd.date_range("2024-01-01", periods=24, freq="MS"),
    "region": ["North", "South", "East"] * 8,
    "revenue": rng.uniform(100, 200, 24).round(2),
})
from jupyter_codegen import register
@register
def fx_rate(currency: str) -> float:
    """Exchange rate: how many units of `currency` one US dollar buys (EUR, GBP or JPY)."""
    return {"EUR": 0.92, "GBP": 0.79, "JPY": 151.3}[currency]
'''


def prompts(sales: object) -> list[tuple[str, Callable[[str], bool]]]:
    """(prompt, check of what the cell printed) against pandas' own answers."""
    import pandas as pd

    assert isinstance(sales, pd.DataFrame)
    totals = sales.groupby("region")["revenue"].sum()
    means = sales.groupby("region")["revenue"].mean()
    low = sales.loc[sales["revenue"].idxmin(), "month"]
    return [
        (
            "Which region has the highest total revenue in `sales`? Print the region and its "
            "total.",
            lambda out: str(totals.idxmax()) in out,
        ),
        ("Plot the total revenue per month from `sales` as a bar chart.", lambda out: True),
        (
            "Sum the revenue in `sales`, convert that total from dollars to euros with "
            "`fx_rate('EUR')`, and print it.",
            lambda out: f"{sales['revenue'].sum() * 0.92:.1f}" in out,
        ),
        (
            "Print the average revenue per region in `sales`.",
            lambda out: f"{means.iloc[0]:.2f}"[:-1] in out,
        ),
        (
            "How many months had revenue above 150 in `sales`? Print the count.",
            lambda out: str(int((sales["revenue"] > 150).sum())) in out,
        ),
        (
            "Print the month with the lowest revenue in `sales`.",
            lambda out: low.strftime("%Y-%m") in out,
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-m", "--model", default="local")
    args = parser.parse_args(argv)

    cache = tempfile.mkdtemp(prefix="jcg-quality-")
    models = Path(os.environ.get("JUPYTER_CODEGEN_CACHE_DIR", "")) / "models"
    from jupyter_codegen.notebook.pins import cache_root

    shared = models if models.parent != Path("") else cache_root() / "models"
    if shared.is_dir():  # reuse assembled weights; pins start empty
        os.symlink(shared, Path(cache) / "models")
    os.environ["JUPYTER_CODEGEN_CACHE_DIR"] = cache

    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    print(f"machine: {report.machine()}")
    with contextlib.redirect_stdout(io.StringIO()):
        shell.run_line_magic("load_ext", "jupyter_codegen")
        shell.run_cell(SETUP)
    reference = shell.user_ns["sales"].copy()
    rows, passed = [], 0
    for prompt, good in prompts(reference):
        out = io.StringIO()
        started = time.monotonic()
        with contextlib.redirect_stdout(out):
            result = shell.run_cell(f"%%gemini -m {args.model}\n{prompt}")
        seconds = time.monotonic() - started
        intact = shell.user_ns["sales"].equals(reference)
        ok = bool(result.success) and good(out.getvalue()) and intact
        passed += ok
        why = "" if ok else ("changed `sales`" if not intact else "wrong or failed")
        rows.append([prompt[:60], "right" if ok else "WRONG", f"{seconds:.1f}", why])
        shell.user_ns["sales"] = reference.copy()  # the next prompt sees the real data
    print(report.table(["prompt", "result", "s", "why"], rows))
    print(f"{args.model}: {passed}/{len(rows)} right")
    return 0


if __name__ == "__main__":
    sys.exit(main())
