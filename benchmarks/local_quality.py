"""How often a model gets typical analyst prompts right, one after another: the quality benchmark.

Small models are fragile: a change to the few-shot examples, the repeat penalty or the repair
prompt can flip answers that looked unrelated (session 2 measured 0.5B going from 3/6 to 4/6 and
back with single edits). This replays the analyst tasks of ``quality_tasks.py`` (aggregation,
filtering, joins, dates, statistics, finance formulas, text, charts, registered functions and
``--answer``) over the quickstart's ``sales`` and ``fx_rate`` and a few more small frames, in one
shell, each after the others (generated variables stay, as in a notebook), with a fresh pin cache.
Each cell is checked against pandas' own answer: the named result it was asked to store (type and
value), what it printed, the chart on the current figure, or the ``--answer`` prose; and every
input must be unchanged afterwards (inputs are restored and figures closed before the next task).
Run it before and after touching ``prompts/local/`` or the generation loop.

Usage::

    python benchmarks/local_quality.py                          # the default embedded model
    python benchmarks/local_quality.py -m local:qwen2.5-coder-1.5b
    python benchmarks/local_quality.py --only charts,finance --json /tmp/q.json
    python benchmarks/local_quality.py --tasks n_big,npv --candidates 3
    python benchmarks/local_quality.py --self-test              # checks vs. correct code, no model
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("MPLBACKEND", "Agg")  # before anything imports matplotlib

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import quality_tasks as qt  # noqa: E402
import report  # noqa: E402

#: The magic's own closing status line when it is printed (outside a kernel).
_STATUS = re.compile(r"^[✓✗■⚠?] \S.* · .*$", re.M)


def select(only: str | None, names: str | None) -> list[qt.Task]:
    tasks = list(qt.TASKS)
    if only:
        wanted = {c.strip() for c in only.split(",") if c.strip()}
        unknown = wanted - set(qt.CATEGORIES)
        if unknown:
            raise SystemExit(f"unknown categories: {', '.join(sorted(unknown))}")
        tasks = [t for t in tasks if t.category in wanted]
    if names:
        wanted = {n.strip() for n in names.split(",") if n.strip()}
        unknown = wanted - {t.name for t in qt.TASKS}
        if unknown:
            raise SystemExit(f"unknown tasks: {', '.join(sorted(unknown))}")
        tasks = [t for t in tasks if t.name in wanted]
    return tasks


class Displays:
    """Splits displays: the magic's own (header, status, log, answer: they carry its metadata
    key) are kept apart; the code's own displays print as usual, so they land in its output."""

    def __init__(self, shell: Any) -> None:
        from jupyter_codegen.notebook.frontend import METADATA_KEY

        self.key = METADATA_KEY
        self.own: list[tuple[dict[str, Any], dict[str, Any]]] = []
        self._publish = shell.display_pub.publish
        shell.display_pub.publish = self.publish

    def publish(self, data: dict[str, Any], metadata: dict[str, Any] | None = None, **kw: Any):
        if isinstance(metadata, dict) and self.key in metadata:
            self.own.append((data, metadata))
            return None
        return self._publish(data, metadata=metadata, **kw)

    def code(self) -> str:
        """The code the cell ran: the last code header's, or every ``--answer`` step's."""
        from jupyter_codegen.notebook.frontend import MIME_TYPE

        for data, _ in reversed(self.own):
            if isinstance(data.get(MIME_TYPE), dict) and "code" in data[MIME_TYPE]:
                return str(data[MIME_TYPE]["code"])
        steps = [str(d.get("text/plain", "")) for d, _ in self.own]
        return "\n".join(s for s in steps if s.startswith("── Step"))

    def answer(self) -> str:
        """The prose of the last ``--answer`` display (without its caption line)."""
        for data, metadata in reversed(self.own):
            if metadata.get(self.key, {}).get("kind") == "answer":
                plain = str(data.get("text/plain", ""))
                lines = plain.split("\n")[1:]  # "Answer (caption):" first
                return "\n".join(line for line in lines if not line.startswith("⚠"))
        return ""


def snapshot(ns: dict[str, Any]) -> dict[str, Any]:
    """Copies of the user's inputs, and the registered functions themselves."""
    data = {name: ns[name].copy() for name in qt.INPUTS}
    return data | {name: ns[name] for name in qt.FUNCTIONS}


def changed(ns: dict[str, Any], pristine: dict[str, Any]) -> list[str]:
    """The inputs a cell rebound, modified or deleted."""
    bad = []
    for name in qt.INPUTS:
        now, then = ns.get(name), pristine[name]
        same = (
            now == then
            if isinstance(then, list)
            else then.equals(now)
            if now is not None
            else False
        )
        if not same or type(now) is not type(then):
            bad.append(name)
    bad += [name for name in qt.FUNCTIONS if ns.get(name) is not pristine[name]]
    return bad


def restore(ns: dict[str, Any], pristine: dict[str, Any]) -> None:
    for name in qt.INPUTS:
        ns[name] = pristine[name].copy()
    for name in qt.FUNCTIONS:
        ns[name] = pristine[name]


def data_for_check(pristine: dict[str, Any]) -> dict[str, Any]:
    """Fresh copies of the inputs (a check cannot spoil the next) and the real functions."""
    data = {name: pristine[name].copy() for name in qt.INPUTS}
    return data | {name: pristine[name] for name in qt.FUNCTIONS}


@contextlib.contextmanager
def captured() -> Iterator[io.StringIO]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        yield out


def run_cell(shell: Any, source: str, displays: Displays | None) -> tuple[bool, str, str, Any]:
    """Run ``source``; (ran without error, what it printed, the answer prose, the figure)."""
    import matplotlib.pyplot as plt

    if displays is not None:
        displays.own.clear()
    with captured() as out:
        result = shell.run_cell(source)
    printed = _STATUS.sub("", out.getvalue())
    figure = plt.gcf() if plt.get_fignums() else None
    answer = displays.answer() if displays is not None else printed
    return bool(result.success), printed, answer, figure


def judge(task: qt.Task, ok: bool, cell: qt.Cell, ns: dict[str, Any], pristine: dict[str, Any]):
    """Why the cell is wrong ("" when right): it raised, the check failed, or an input changed."""
    if not ok:
        return "raised"
    why = qt.verdict(task, cell)
    if why:
        return why
    touched = changed(ns, pristine)
    return f"changed `{touched[0]}`" if touched else ""


def new_shell() -> Any:
    from IPython.core.interactiveshell import InteractiveShell

    return InteractiveShell.instance()


def self_test(tasks: list[qt.Task]) -> int:
    """Every task's hand-written correct solution must pass its check (no model is loaded)."""
    import matplotlib.pyplot as plt

    shell = new_shell()
    with captured():
        shell.run_cell(qt.SETUP, store_history=False)
    ns = shell.user_ns
    pristine = snapshot(ns)
    failures = []
    for task in tasks:
        ok, out, answer, figure = run_cell(shell, task.solution, None)
        cell = qt.Cell(ns, out, answer, figure, data_for_check(pristine))
        why = judge(task, ok, cell, ns, pristine)
        if why:
            failures.append([task.name, task.category, why])
        restore(ns, pristine)
        plt.close("all")
    if failures:
        print(report.table(["task", "category", "why"], failures))
    print(f"self-test: {len(tasks) - len(failures)}/{len(tasks)} solutions pass their checks")
    return 1 if failures else 0


def per_category(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    summary: dict[str, dict[str, Any]] = {}
    for category in qt.CATEGORIES:
        mine = [r for r in results if r["category"] == category]
        if mine:
            passed = sum(r["ok"] for r in mine)
            summary[category] = {
                "passed": passed,
                "total": len(mine),
                "pct": round(100 * passed / len(mine), 1),
            }
    return summary


def summarize(results: list[dict[str, Any]]) -> dict[str, Any]:
    passed = sum(r["ok"] for r in results)
    return {
        "passed": passed,
        "total": len(results),
        "pass_rate": round(100 * passed / len(results), 1) if results else 0.0,
        "median_seconds": round(report.median([r["seconds"] for r in results]), 2),
        "categories": per_category(results),
    }


def task_rows(results: list[dict[str, Any]]) -> list[list[str]]:
    return [
        [r["name"], r["category"], "right" if r["ok"] else "WRONG", f"{r['seconds']:.1f}", r["why"]]
        for r in results
    ]


def write_json(
    path: str, head: dict[str, Any], results: list[dict[str, Any]], complete: bool
) -> None:
    payload = head | {
        "complete": complete,
        "load_after": report.load(),
        "summary": summarize(results),
        "tasks": results,
    }
    Path(path).write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-m", "--model", default="local")
    parser.add_argument("--candidates", type=int, default=None, help="passed on to the magic")
    parser.add_argument("--only", metavar="CATEGORY[,CATEGORY]", help="run these categories")
    parser.add_argument("--tasks", metavar="NAME,...", help="run these tasks")
    parser.add_argument("--json", metavar="PATH", help="write the results and summary here")
    parser.add_argument(
        "--self-test", action="store_true", help="check the checks against correct solutions"
    )
    args = parser.parse_args(argv)
    tasks = select(args.only, args.tasks)
    if not tasks:
        raise SystemExit("no tasks selected")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if args.self_test:
        return self_test(tasks)

    report.fresh_cache("jcg-quality-")
    started_at = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    shell = new_shell()
    machine = report.machine()
    print(f"machine: {machine}")
    with captured():
        shell.run_line_magic("load_ext", "jupyter_codegen")
        shell.run_cell(qt.SETUP, store_history=False)
    displays = Displays(shell)
    ns = shell.user_ns
    pristine = snapshot(ns)
    flags = f" --candidates {args.candidates}" if args.candidates is not None else ""
    head = {
        "model": args.model,
        "candidates": args.candidates,
        "machine": machine,
        "started": started_at,
        "selected": len(tasks),
    }

    results: list[dict[str, Any]] = []
    for task in tasks:
        line = f"%%gemini -m {args.model}{flags}" + (f" {task.flags}" if task.flags else "")
        started = time.monotonic()
        ok, out, answer, figure = run_cell(shell, f"{line}\n{task.prompt}", displays)
        seconds = time.monotonic() - started
        cell = qt.Cell(ns, out, answer, figure, data_for_check(pristine))
        why = judge(task, ok, cell, ns, pristine)
        restore(ns, pristine)  # the next task sees the real data
        plt.close("all")
        results.append(
            {
                "name": task.name,
                "category": task.category,
                "flags": task.flags,
                "prompt": task.prompt,
                "ok": not why,
                "seconds": round(seconds, 2),
                "why": why,
                "code": displays.code(),
                "output": out[-2000:],
                "answer": answer if task.flags else "",
            }
        )
        print(
            f"  {task.name}: {'right' if not why else 'WRONG ' + why} ({seconds:.1f} s)",
            file=sys.stderr,
            flush=True,
        )
        if args.json:  # after every task: a run cut short still leaves what it measured
            write_json(args.json, head, results, complete=False)

    print(report.table(["task", "category", "result", "s", "why"], task_rows(results)))
    summary = summarize(results)
    print()
    print(
        report.table(
            ["category", "passed", "%"],
            [
                [c, f"{v['passed']}/{v['total']}", f"{v['pct']:.0f}"]
                for c, v in summary["categories"].items()
            ],
        )
    )
    print()
    print(
        f"{args.model}: {summary['passed']}/{summary['total']} right "
        f"({summary['pass_rate']:.0f}%), median {summary['median_seconds']:.1f} s a cell"
    )
    print(f"machine after: {report.load()}")
    if args.json:
        write_json(args.json, head, results, complete=True)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
