"""Context cost at scale: build time and size of the kernel context vs the namespace.

Sweeps ``build_context`` (what every ``%%gemini`` cell pays before the model is asked) over

* the number of variables, 10 ... 10,000 (a mix an analyst keeps: numbers, strings, lists,
  dicts, arrays, Series and small DataFrames);
* the rows of one DataFrame, 1e3 ... 1e8, for 5, 50 and 500 columns, next to 20 small
  variables. Frames are built from zero-stride (``np.broadcast_to``) columns of mixed dtypes
  (float, int, bool, datetime, str): a 1e8 x 500 frame costs no memory, yet pandas sees its
  real shape and dtypes, which is all the context may read;

* the rows behind one engine's object, lazily built and never materialised
  (``engine_scaling.py``): Dask on a LocalCluster, DuckDB, Polars 1e3 ... 1e9, Spark local
  1e3 ... 1e7 (full mode only: its JVM takes ~10 s), with the engine work counted (tasks,
  UDF calls inside the query, jobs), which must be zero;

and checks the promises: time flat in rows (t at 1e8 rows / t at 1e3 rows), near-linear in
variables (log-log slope from 1,000 to 10,000), both on CPU time (the machine is shared, and
wall time then mostly measures the neighbours), the text always within the budget and never cut
(the lines after the variables, modules, functions and the last error, stay whole).

``--baseline REV`` also times ``build_context`` as it was at git revision REV, alternately with
today's in the same run, to show what a change bought.

Usage::

    python benchmarks/context_scaling.py               # table, benchmarks/out/*.md and *.png
    python benchmarks/context_scaling.py --quick       # CI: a few small points
    python benchmarks/context_scaling.py --baseline HEAD~3
    python benchmarks/context_scaling.py --check         # exit 1 if a promise is broken
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import math
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import engine_scaling  # noqa: E402
import report  # noqa: E402

from jupyter_codegen.kernel.context import build_context  # noqa: E402
from jupyter_codegen.kernel.context_cache import DescriptionCache  # noqa: E402

BUDGET = 6000
#: t(1e8 rows) / t(1e3 rows) at or under this is "flat".
FLAT = 1.5
#: log-log slope of time vs variables from 1,000 to 10,000 at or under this is "near-linear".
NEAR_LINEAR = 1.15

Builder = Callable[..., Any]


def baseline_builder(rev: str) -> Builder:
    """``build_context`` from ``jupyter_codegen/context.py`` at git revision ``rev`` (its
    relative imports resolve to today's package)."""
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{rev}:jupyter_codegen/context.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = report.scratch("context-baseline-") / "context_baseline.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("jupyter_codegen._context_baseline", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "jupyter_codegen"
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    builder: Builder = module.build_context
    return builder


# --- namespaces ----------------------------------------------------------------------------


def mixed_namespace(n: int) -> dict[str, Any]:
    """``n`` variables of the kinds an analyst keeps, plus two modules."""
    rng = np.random.default_rng(0)
    small = pd.DataFrame({"city": ["Oslo", "Lima", "Pune"] * 10, "value": np.arange(30.0)})
    ns: dict[str, Any] = {"np": np, "pd": pd}
    for i in range(n):
        kind = i % 8
        if kind == 0:
            ns[f"count_{i}"] = i
        elif kind == 1:
            ns[f"rate_{i}"] = i / 7
        elif kind == 2:
            ns[f"label_{i}"] = f"region {i}"
        elif kind == 3:
            ns[f"ids_{i}"] = list(range(i % 50))
        elif kind == 4:
            ns[f"params_{i}"] = {"alpha": i, "beta": [1, 2, 3], "name": f"run {i}"}
        elif kind == 5:
            ns[f"arr_{i}"] = rng.standard_normal(100)
        elif kind == 6:
            ns[f"frame_{i}"] = small.copy()
        else:
            ns[f"series_{i}"] = pd.Series(np.arange(100), name=f"s{i}")
    return ns


def zero_cost_frame(rows: int, cols: int) -> pd.DataFrame:
    """A ``rows`` x ``cols`` frame of mixed dtypes whose columns are zero-stride views."""
    makers: list[Callable[[], Any]] = [
        lambda: np.broadcast_to(np.float64(19.99), (rows,)),
        lambda: np.broadcast_to(np.int64(42), (rows,)),
        lambda: np.broadcast_to(np.True_, (rows,)),
        lambda: np.broadcast_to(np.datetime64("2024-03-01", "ns"), (rows,)),
        lambda: np.broadcast_to(np.array(["Oslo"], dtype=object), (rows,)),
    ]
    names = ["price", "units", "active", "day", "city"]
    data = {f"{names[j % 5]}_{j}": makers[j % 5]() for j in range(cols)}
    return pd.DataFrame(data, copy=False)


def frame_namespace(rows: int, cols: int) -> dict[str, Any]:
    ns = mixed_namespace(20)
    ns["df"] = zero_cost_frame(rows, cols)
    return ns


# --- measurement ---------------------------------------------------------------------------


@dataclass
class Point:
    sweep: str
    variables: int
    rows: int
    cols: int
    wall: float = math.nan
    cpu: float = math.nan
    base_wall: float = math.nan
    base_cpu: float = math.nan
    #: CPU time of the next prompt cell's build over the unchanged namespace (descriptions
    #: reused from the session's DescriptionCache).
    cached_cpu: float = math.nan
    size: int = 0
    described: int = 0
    omitted: int = 0
    whole: bool = True


def measure(
    point: Point, ns: dict[str, Any], prompt: str, reps: int, baseline: Builder | None
) -> None:
    """Median wall and CPU time of ``build_context`` over ``reps`` runs (alternating with the
    baseline when given), and the size and shape of the text it renders."""
    builders: list[tuple[str, Builder]] = [("now", build_context)]
    if baseline is not None:
        builders.append(("base", baseline))
    walls: dict[str, list[float]] = {name: [] for name, _ in builders}
    cpus: dict[str, list[float]] = {name: [] for name, _ in builders}
    for _, build in builders:  # warm-up: imports, pandas caches
        build(ns, prompt=prompt, budget=BUDGET)
    for i in range(reps):
        for name, build in builders if i % 2 == 0 else builders[::-1]:
            gc.collect()
            c0, w0 = time.process_time(), time.perf_counter()
            build(ns, prompt=prompt, budget=BUDGET)
            wall, cpu = time.perf_counter() - w0, time.process_time() - c0
            walls[name].append(wall)
            cpus[name].append(cpu)
    cache = DescriptionCache()
    build_context(ns, prompt=prompt, budget=BUDGET, cache=cache)  # the cell before
    cached = []
    for _ in range(reps):
        gc.collect()
        c0 = time.process_time()
        build_context(ns, prompt=prompt, budget=BUDGET, cache=cache)
        cached.append(time.process_time() - c0)
    point.cached_cpu = report.median(cached)
    point.wall = report.median(walls["now"])
    point.cpu = report.median(cpus["now"])
    if baseline is not None:
        point.base_wall = report.median(walls["base"])
        point.base_cpu = report.median(cpus["base"])
    ctx = build_context(ns, prompt=prompt, budget=BUDGET)
    text = ctx.render()
    point.size = len(text)
    point.described = len(ctx.variables)
    point.omitted = len(ctx.omitted)
    point.whole = "[...truncated]" not in text


def slope(points: list[Point], lo: int, hi: int) -> float:
    by_n = {p.variables: p.cpu for p in points}
    if lo not in by_n or hi not in by_n:
        return math.nan
    return math.log(by_n[hi] / by_n[lo]) / math.log(hi / lo)


def plot(var_points: list[Point], row_points: list[Point], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    ax = axes[0]
    xs = [p.variables for p in var_points]
    ax.loglog(xs, [p.cpu * 1e3 for p in var_points], "o-", label="now")
    if not math.isnan(var_points[0].base_cpu):
        ax.loglog(xs, [p.base_cpu * 1e3 for p in var_points], "s--", label="baseline")
    ref = var_points[0].cpu * 1e3
    ax.loglog(xs, [ref * x / xs[0] for x in xs], ":", color="grey", label="linear")
    ax.set(xlabel="variables", ylabel="build_context CPU ms", title="time vs variables")
    ax.legend()
    ax = axes[1]
    for cols in sorted({p.cols for p in row_points}):
        pts = [p for p in row_points if p.cols == cols]
        ax.semilogx([p.rows for p in pts], [p.cpu * 1e3 for p in pts], "o-", label=f"{cols} cols")
        if not math.isnan(pts[0].base_cpu):
            ax.semilogx(
                [p.rows for p in pts],
                [p.base_cpu * 1e3 for p in pts],
                "s--",
                alpha=0.5,
                label=f"{cols} cols, baseline",
            )
    ax.set_ylim(bottom=0)
    ax.set(xlabel="DataFrame rows", ylabel="build_context CPU ms", title="time vs rows")
    ax.legend()
    ax = axes[2]
    ax.semilogx(xs, [p.size for p in var_points], "o-", label="vs variables")
    ax.axhline(BUDGET, color="red", linestyle=":", label=f"budget {BUDGET}")
    ax.set_ylim(0, BUDGET * 1.1)
    ax.set(xlabel="variables", ylabel="context chars", title="size")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="CI: a few small points")
    parser.add_argument("--baseline", metavar="REV", help="also time context.py at git REV")
    parser.add_argument("--reps", type=int, default=0, help="timed builds per point")
    parser.add_argument("--check", action="store_true", help="exit 1 if a promise is broken")
    args = parser.parse_args(argv)

    if args.quick:
        var_counts, row_counts, col_counts = [10, 100, 1000], [1_000, 1_000_000], [5, 50]
    else:
        var_counts = [10, 30, 100, 300, 1000, 3000, 10000]
        row_counts = [10**k for k in range(3, 9)]
        col_counts = [5, 50, 500]
    reps = args.reps or (3 if args.quick else 15)
    baseline = baseline_builder(args.baseline) if args.baseline else None

    print(f"machine: {report.machine()}")
    print(
        f"pandas {pd.__version__}, numpy {np.__version__}; budget {BUDGET} chars; median of "
        f"{reps} builds per point" + (f", alternating with {args.baseline}" if baseline else "")
    )
    prompt = "Plot the monthly totals as a bar chart."
    var_points: list[Point] = []
    for n in var_counts:
        point = Point("variables", n, 0, 0)
        measure(point, mixed_namespace(n), prompt, reps, baseline)
        var_points.append(point)
    row_points: list[Point] = []
    for cols in col_counts:
        for rows in row_counts:
            point = Point("rows", 21, rows, cols)
            # `df` named in the prompt: it is described first, sample rows included.
            measure(point, frame_namespace(rows, cols), "Summarise `df` by city.", reps, baseline)
            row_points.append(point)

    engine_points = engine_scaling.run(args.quick, reps, mixed_namespace(20))

    header = ["sweep", "variables", "df rows x cols", "ms (wall)", "ms (CPU)", "ms (CPU) next cell"]
    if baseline:
        header += [f"ms (wall) at {args.baseline}", f"ms (CPU) at {args.baseline}"]
    header += ["chars", "described", "listed by name", "whole"]
    rows_out = []
    for p in var_points + row_points:
        row: list[object] = [
            p.sweep,
            f"{p.variables:,}",
            "-" if p.sweep == "variables" else f"{p.rows:.0e} x {p.cols}",
            report.ms(p.wall),
            report.ms(p.cpu),
            report.ms(p.cached_cpu),
        ]
        if baseline:
            row += [report.ms(p.base_wall), report.ms(p.base_cpu)]
        row += [p.size, p.described, p.omitted, "yes" if p.whole else "CUT"]
        rows_out.append(row)
    text = report.table(header, rows_out) + "\n\n" + engine_scaling.table(engine_points)

    problems: list[str] = []
    verdicts = []
    for cols in col_counts:
        pts = [p for p in row_points if p.cols == cols]
        flat = pts[-1].cpu / pts[0].cpu
        verdicts.append(
            f"rows {pts[0].rows:.0e} -> {pts[-1].rows:.0e}, {cols} cols: CPU time x{flat:.2f} "
            f"(flat <= {FLAT}: {'ok' if flat <= FLAT else 'NO'})"
        )
        if flat > FLAT:
            problems.append(f"not flat in rows at {cols} columns")
    lo, hi = (100, 1000) if args.quick else (1000, 10000)
    k = slope(var_points, lo, hi)
    verdicts.append(
        f"variables {lo:,} -> {hi:,}: log-log slope {k:.2f} "
        f"(near-linear <= {NEAR_LINEAR}: {'ok' if k <= NEAR_LINEAR else 'NO'})"
    )
    if k > NEAR_LINEAR:
        problems.append("worse than near-linear in variables")
    biggest = max(p.size for p in var_points + row_points)
    cut = [p for p in var_points + row_points if not p.whole]
    verdicts.append(
        f"largest context {biggest} chars (budget {BUDGET}: {'ok' if biggest <= BUDGET else 'NO'})"
        f"; cut texts: {len(cut)}"
    )
    if biggest > BUDGET or cut:
        problems.append("context over budget or cut")
    engine_lines, engine_problems = engine_scaling.verdicts(engine_points, FLAT)
    verdicts.extend(engine_lines)
    problems.extend(engine_problems)
    footer = "\n".join(verdicts) + f"\nmachine after: {report.load()}"
    print()
    print(text)
    print(footer)
    if args.quick:
        with tempfile.TemporaryDirectory() as tmp:
            plot(var_points, row_points, Path(tmp) / "plot.png")  # only checks that it draws
    else:
        png = report.OUT_DIR / "context_scaling.png"
        report.OUT_DIR.mkdir(parents=True, exist_ok=True)
        plot(var_points, row_points, png)
        saved = report.save(
            "context_scaling.md", f"machine: {report.machine()}\n\n{text}\n\n{footer}\n"
        )
        print(f"wrote {saved} and {png}")
    if problems:
        print("PROBLEMS: " + "; ".join(problems))
    return 1 if (problems and args.check) else 0


if __name__ == "__main__":
    sys.exit(main())
