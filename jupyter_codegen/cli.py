"""``jupyter-codegen run NOTEBOOK.ipynb [-o OUT.ipynb] [--model M] [--regenerate] [--html]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from jupyter_codegen import __version__


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="jupyter-codegen", description=__doc__)
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="Execute a notebook headless, writing generated cells.")
    run.add_argument("notebook", type=Path)
    run.add_argument("-o", "--output", type=Path, help="Where to write (default NAME.out.ipynb).")
    run.add_argument("-m", "--model", help="Model for prompts without -m (e.g. local).")
    run.add_argument("-r", "--regenerate", action="store_true", help="Ignore pinned code.")
    run.add_argument("--html", action="store_true", help="Also write an HTML export.")
    run.add_argument(
        "--cell-timeout", type=int, default=600, help="Seconds a cell may run (default 600)."
    )
    args = parser.parse_args(argv)

    from jupyter_codegen.notebook.runner import run_notebook

    if not args.notebook.is_file():
        print(f"jupyter-codegen: no such notebook: {args.notebook}", file=sys.stderr)
        return 2
    report = run_notebook(
        args.notebook,
        args.output,
        regenerate=args.regenerate,
        model=args.model,
        html=args.html,
        cell_timeout=args.cell_timeout,
    )
    print(
        f"{report.path.name}: {len(report.cells)} cells, {report.prompts} prompts "
        f"({report.generated} generated, {report.pinned} pinned), {len(report.failures)} failed, "
        f"{report.seconds:.1f} s"
    )
    for failure in report.failures:
        print(
            f"  failed: cell {failure.index + 1} {failure.label}: {failure.detail}", file=sys.stderr
        )
    return 1 if report.failures else 0
