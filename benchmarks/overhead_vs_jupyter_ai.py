"""Magic overhead: jupyter-ai's ``%%ai`` vs our ``%%gemini``, both on an instant model.

Both magics run in ONE ``InteractiveShell`` (memory-backed history), as whole cells through
``shell.run_cell`` (what a user's Shift-Enter does), alternately (ours, theirs, theirs, ours,
...), after a warm-up. The model is instant on both sides and the time spent inside it is
subtracted anyway, so what is left is each tool's own work around the model:

* theirs: jupyter-ai-magics 2.31.x ``%%ai instant:model -f code`` with a provider class on
  jupyter-ai's ``BaseProvider`` + LangChain's ``FakeListLLM``, registered through the
  ``jupyter_ai.model_providers`` entry point (``benchmarks/fake_provider/``); ``-f code`` is
  jupyter-ai's counterpart of ours (the answer becomes a new cell);
* ours: ``%%gemini`` with a :class:`ScriptedBackend` that replies at once; it builds the
  automatic kernel context, checks the code, runs it, shows the header and pins it.

Each run's prompt is new (it ends with its run number), so ours never reuses pinned code.
Namespaces: empty; and 500 variables, the last defined a 3,000,000 x 40 DataFrame ``df``.
Rows: the same short prompt on both sides; their ``{df}``-interpolated prompt (jupyter-ai puts
``str(df)`` into the prompt) vs ours naming `df` (our context describes it).
Targets: ours <= 1.0x theirs on the empty namespace, <= 0.5x their ``{df}`` row.

jupyter-ai-magics pins LangChain 0.3 and would change packages in our virtualenv, so it lives
in its own: ``benchmarks/.venv-bench``, built on first use (from PyPI through a wheelhouse,
``benchmarks/.venv-bench-wheels``; ``JUPYTER_CODEGEN_BENCH_OFFLINE=1`` builds from the wheelhouse
alone, and where that cannot work the script says so loudly and exits 3). The script re-runs
itself there; jupyter_codegen is imported from this checkout.

Usage::

    python benchmarks/overhead_vs_jupyter_ai.py            # 60 timed runs per side and row
    python benchmarks/overhead_vs_jupyter_ai.py --quick    # CI: a few runs, small frame
    python benchmarks/overhead_vs_jupyter_ai.py --check    # exit 1 if a target is missed
    python benchmarks/overhead_vs_jupyter_ai.py --profile ours --row big-df   # pyinstrument
    python benchmarks/overhead_vs_jupyter_ai.py --setup    # only build the venv (online)
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import hashlib
import importlib.metadata
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
#: The benchmark's own virtualenv and the wheelhouse it is built from (CI may cache both).
VENV = Path(os.environ.get("JUPYTER_CODEGEN_BENCH_VENV") or HERE / ".venv-bench")
WHEELS = Path(os.environ.get("JUPYTER_CODEGEN_BENCH_WHEELS") or HERE / ".venv-bench-wheels")
FAKE_PROVIDER = HERE / "fake_provider"
JUPYTER_AI = "jupyter-ai-magics==2.31.*"
#: Exit status when the benchmark venv cannot be built (the quick test skips on it, loudly).
EXIT_NO_VENV = 3
TARGET_EMPTY = 1.0
TARGET_DF = 0.5

sys.path.insert(0, str(HERE))
import report  # noqa: E402

# --- the benchmark's own virtualenv ------------------------------------------------------------


def _venv_python() -> Path:
    return VENV / "bin" / "python"


def _in_bench_venv() -> bool:
    return Path(sys.prefix).resolve() == VENV.resolve()


def _requirements() -> list[str]:
    """jupyter-ai, our runtime dependencies, and the versions of IPython, pandas and numpy that
    our own virtualenv runs (both tools must be measured on the same IPython and pandas)."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = [JUPYTER_AI, *project["dependencies"], "pyinstrument", "setuptools>=61", "wheel"]
    for name in ("ipython", "pandas", "numpy", "traitlets"):
        try:
            reqs.append(f"{name}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            reqs.append(name)
    return reqs


def _fingerprint(reqs: list[str]) -> str:
    blob = json.dumps(reqs) + (FAKE_PROVIDER / "pyproject.toml").read_text()
    blob += (FAKE_PROVIDER / "jcg_fake_provider" / "__init__.py").read_text()
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _pip(*args: str) -> None:
    subprocess.run(
        [str(_venv_python()), "-m", "pip", "--disable-pip-version-check", "-q", *args], check=True
    )


def ensure_venv(offline: bool) -> None:
    """Build or update ``benchmarks/.venv-bench`` when it is missing or stale.

    Online: the wheels are first collected into ``.venv-bench-wheels`` (kept), then installed
    from there. Offline: installed from that wheelhouse only (``--no-index``). An existing venv
    is updated in place; when that fails offline it is used as it is, with a warning. Raises
    ``RuntimeError`` when there is no usable venv at the end.
    """
    reqs = _requirements()
    stamp = VENV / ".ready"
    fingerprint = _fingerprint(reqs)
    if stamp.is_file() and stamp.read_text() == fingerprint and _venv_python().is_file():
        return
    usable = stamp.is_file() and _venv_python().is_file()
    how = "offline, from the wheelhouse" if offline else "online"
    print(f"{'updating' if usable else 'building'} {VENV} ({how})", flush=True)
    if not usable:
        shutil.rmtree(VENV, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    try:
        if not offline:
            WHEELS.mkdir(exist_ok=True)
            _pip("wheel", "--wheel-dir", str(WHEELS), *reqs)
        elif not WHEELS.is_dir():
            raise RuntimeError(f"no wheelhouse at {WHEELS} (run this script once online)")
        _pip("install", "--no-index", "--find-links", str(WHEELS), *reqs)
        # Build the fake provider from a copy: no build/ or egg-info litter in the checkout.
        with tempfile.TemporaryDirectory() as tmp:
            src = Path(tmp) / "fake_provider"
            shutil.copytree(FAKE_PROVIDER, src)
            _pip("install", "--no-index", "--no-build-isolation", "--no-deps", str(src))
    except (subprocess.CalledProcessError, RuntimeError) as err:
        if usable:
            print(
                f"WARNING: could not update {VENV} ({err}); running with the "
                "venv as it is (its packages may lag behind pyproject.toml).",
                file=sys.stderr,
            )
            return
        shutil.rmtree(VENV, ignore_errors=True)
        raise RuntimeError(f"could not build the benchmark venv: {err}") from None
    site = next((VENV / "lib").glob("python3*/site-packages"))
    (site / "jupyter_codegen_checkout.pth").write_text(str(ROOT) + "\n")
    stamp.write_text(fingerprint)


def reexec_in_venv(argv: list[str], quick: bool, setup_only: bool) -> int:
    try:
        # Online (PyPI) unless told otherwise: CI reaches PyPI, and pip's cache makes a rebuild
        # take about a minute. JUPYTER_CODEGEN_BENCH_OFFLINE=1 uses the wheelhouse only.
        ensure_venv(offline=os.environ.get("JUPYTER_CODEGEN_BENCH_OFFLINE") == "1")
    except RuntimeError as err:
        banner = "!" * 78
        print(
            f"{banner}\n!! SKIPPED: the jupyter-ai comparison did not run.\n!! {err}.\n"
            f"!! Build it online once: python benchmarks/overhead_vs_jupyter_ai.py --setup\n"
            f"{banner}",
            file=sys.stderr,
        )
        return EXIT_NO_VENV
    if setup_only:
        print(f"ready: {VENV}")
        return 0
    return subprocess.run([str(_venv_python()), str(Path(__file__).resolve()), *argv]).returncode


# --- the measurement (inside the benchmark venv) -----------------------------------------------


@dataclass
class Side:
    name: str
    cell: Callable[[int], str]
    model_seconds: Callable[[], float]
    prepare: Callable[[], None]
    totals: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    models: list[float] = field(default_factory=list)

    @property
    def overheads(self) -> list[float]:
        """Wall time of each cell less the time spent inside the model."""
        return [t - m for t, m in zip(self.totals, self.models, strict=True)]

    @property
    def cpu_overheads(self) -> list[float]:
        """CPU time of each cell (this process) less the time inside the model: what the cell
        cost, whatever the neighbours on the machine were doing."""
        return [c - m for c, m in zip(self.cpus, self.models, strict=True)]


@dataclass(frozen=True)
class Row:
    key: str
    namespace: str
    label: str
    ours_prompt: str
    theirs_prompt: str
    target: float | None
    #: Our scripted reply, where the shared one would not do: code for a prompt that names
    #: `df` must read `df` (the intent checks send back code that ignores the data named).
    ours_reply: str | None = None


ROWS = (
    Row(
        "empty-short",
        "empty",
        "short prompt",
        "Print the sum of the numbers from 1 to 10.",
        "Print the sum of the numbers from 1 to 10.",
        TARGET_EMPTY,
    ),
    Row(
        "big-short",
        "500 vars + df",
        "short prompt",
        "Print the sum of the numbers from 1 to 10.",
        "Print the sum of the numbers from 1 to 10.",
        None,
    ),
    Row(
        "big-df",
        "500 vars + df",
        "ours `df` / their {df}",
        "Which columns of `df` look like prices? Print their names.",
        "Which columns of {df} look like prices? Print their names.",
        TARGET_DF,
        "```python\nprint(len(df.columns))\n```",
    ),
)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Both tools print their displays to stdout outside a kernel: send it to a sink."""
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        yield


def make_shell() -> Any:
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    shell = InteractiveShell.instance(config=config)
    with _quiet():
        shell.run_line_magic("load_ext", "jupyter_ai_magics")
        shell.run_line_magic("load_ext", "jupyter_codegen")
    return shell


def big_namespace(rows: int) -> dict[str, Any]:
    """500 variables of the kinds an analyst keeps, the last one a ``rows`` x 40 DataFrame."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    ns: dict[str, Any] = {}
    for i in range(499):
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
            ns[f"arr_{i}"] = rng.standard_normal(1000)
        elif kind == 6:
            ns[f"small_{i}"] = pd.DataFrame(
                {"city": ["Oslo", "Lima", "Pune"] * 10, "value": np.arange(30.0)}
            )
        else:
            ns[f"series_{i}"] = pd.Series(np.arange(100), name=f"s{i}")
    columns = [f"price_{i}" if i % 4 == 0 else f"feature_{i}" for i in range(40)]
    ns["df"] = pd.DataFrame(rng.standard_normal((rows, 40)), columns=columns)
    return ns


def make_sides(shell: Any) -> tuple[Side, Side, Callable[[Row], None]]:
    import jcg_fake_provider

    from jupyter_codegen.model.backends.scripted import ScriptedBackend
    from jupyter_codegen.session import session_for

    class TimedScripted(ScriptedBackend):
        """The scripted backend, timing what happens inside it (the "model")."""

        seconds = 0.0

        def stream(self, request: Any) -> Iterator[Any]:
            inner = super().stream(request)
            while True:
                started = time.perf_counter()
                try:
                    event = next(inner)
                except StopIteration:
                    self.seconds += time.perf_counter() - started
                    return
                self.seconds += time.perf_counter() - started
                yield event

    session = session_for(shell)
    session.config.model = "scripted"
    backend = TimedScripted()
    session.backends["scripted"] = backend
    row_box: list[Row] = [ROWS[0]]

    def ours_prepare() -> None:
        # Pins are written by a thread after the cell; a write still going on would take the
        # GIL inside the next timed cell, ours or theirs. A user's next cell comes much later.
        session.pins.flush()
        backend.seconds = 0.0
        backend.push(row_box[0].ours_reply or jcg_fake_provider.REPLY)

    def theirs_prepare() -> None:
        session.pins.flush()  # see ours_prepare
        jcg_fake_provider.MODEL_SECONDS.clear()

    ours = Side(
        "ours %%gemini",
        lambda i: f"%%gemini\n{row_box[0].ours_prompt} (run {i})",
        lambda: backend.seconds,
        ours_prepare,
    )
    theirs = Side(
        "jupyter-ai %%ai",
        lambda i: f"%%ai instant:model -f code\n{row_box[0].theirs_prompt} (run {i})",
        lambda: sum(jcg_fake_provider.MODEL_SECONDS),
        theirs_prepare,
    )

    def set_row(row: Row) -> None:
        row_box[0] = row

    return ours, theirs, set_row


_counter = iter(range(10**9))


def run_once(shell: Any, side: Side, record: bool, profiler: Any = None) -> None:
    gc.collect()  # outside the timing: neither side pays for the other's garbage
    side.prepare()  # also waits for our last pin write (see make_sides)
    cell = side.cell(next(_counter))
    with _quiet():
        if profiler is not None:
            profiler.start()
        started, cpu_started = time.perf_counter(), time.process_time()
        result = shell.run_cell(cell, store_history=True)
        total, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        if profiler is not None:
            profiler.stop()
    if not result.success:
        raise SystemExit(f"{side.name} failed: {result.error_before_exec or result.error_in_exec}")
    if record:
        side.totals.append(total)
        side.cpus.append(cpu)
        side.models.append(side.model_seconds())


def measure_row(shell: Any, ours: Side, theirs: Side, warmup: int, runs: int) -> None:
    for i in range(warmup + runs):
        order = (ours, theirs) if i % 2 == 0 else (theirs, ours)
        for side in order:
            run_once(shell, side, record=i >= warmup)


def profile_row(shell: Any, side: Side, runs: int) -> None:
    """pyinstrument over ``runs`` cells of one side (only the cells, not the harness)."""
    from pyinstrument import Profiler

    for _ in range(3):
        run_once(shell, side, record=False)
    profiler = Profiler(interval=0.0001)
    for _ in range(runs):
        run_once(shell, side, record=False, profiler=profiler)
    print(profiler.output_text(unicode=True, color=False, flat=True))


def measure(args: argparse.Namespace) -> int:
    import jupyter_ai_magics
    import pandas as pd

    import jupyter_codegen

    cache = tempfile.TemporaryDirectory(prefix="jcg-bench-")
    os.environ["JUPYTER_CODEGEN_CACHE_DIR"] = cache.name  # pins go to a throwaway place
    os.environ.pop("JUPYTER_CODEGEN_MODEL", None)
    df_rows = 30_000 if args.quick else 3_000_000
    runs = args.runs or (3 if args.quick else 60)
    warmup = 1 if args.quick else 5

    print(f"machine: {report.machine()}")
    print(
        f"jupyter-ai-magics {jupyter_ai_magics.__version__}, jupyter-codegen "
        f"{jupyter_codegen.__version__}, IPython {importlib.metadata.version('ipython')}, "
        f"pandas {pd.__version__}; {runs} timed runs per side and row after {warmup} warm-up, "
        "alternating, memory-backed history, model time subtracted"
    )
    shell = make_shell()
    ours, theirs, set_row = make_sides(shell)
    big = big_namespace(df_rows)
    results = []
    rows = [r for r in ROWS if args.row in (None, r.key)]
    for row in rows:
        if row.namespace == "empty":
            shell.reset(new_session=False)
        elif "df" not in shell.user_ns:
            shell.push(big)
            gc.collect()
        set_row(row)
        if args.profile:
            profile_row(shell, ours if args.profile == "ours" else theirs, runs)
            continue
        for side in (ours, theirs):
            side.totals.clear()
            side.cpus.clear()
            side.models.clear()
        measure_row(shell, ours, theirs, warmup, runs)
        results.append(
            (
                row,
                list(ours.overheads),
                list(theirs.overheads),
                list(ours.cpu_overheads),
                list(theirs.cpu_overheads),
                list(ours.models),
                list(theirs.models),
            )
        )
        o, t = report.median(ours.overheads), report.median(theirs.overheads)
        print(f"  {row.key}: ours {report.ms(o)} ms, theirs {report.ms(t)} ms  ({report.load()})")
    if args.profile:
        return 0

    header = [
        "namespace",
        "prompt",
        "theirs ms (p25-p75)",
        "ours ms (p25-p75)",
        "ratio",
        "paired ratio",
        "CPU ms theirs/ours",
        "CPU ratio",
        "model ms ours/theirs",
        "target (ratio)",
    ]
    table_rows = []
    missed = []
    for row, mine, their, mine_cpu, their_cpu, mine_model, their_model in results:
        ratio = report.median(mine) / report.median(their)
        paired = report.median([m / t for m, t in zip(mine, their, strict=True)])
        cpu_ratio = report.median(mine_cpu) / report.median(their_cpu)
        ok = row.target is None or ratio <= row.target
        if not ok:
            missed.append(row.key)

        def spread(xs: list[float]) -> str:
            q1, q3 = report.quantile(xs, 0.25), report.quantile(xs, 0.75)
            return f"{report.ms(report.median(xs))} ({report.ms(q1)}-{report.ms(q3)})"

        table_rows.append(
            [
                row.namespace + ("" if row.namespace == "empty" else f" ({df_rows:,} x 40)"),
                row.label,
                spread(their),
                spread(mine),
                f"{ratio:.2f}x",
                f"{paired:.2f}x",
                f"{report.ms(report.median(their_cpu))}/{report.ms(report.median(mine_cpu))}",
                f"{cpu_ratio:.2f}x",
                f"{report.ms(report.median(mine_model))}/{report.ms(report.median(their_model))}",
                "-" if row.target is None else f"<= {row.target}x {'ok' if ok else 'MISSED'}",
            ]
        )
    text = report.table(header, table_rows)
    footer = f"machine after: {report.load()}"
    print()
    print(text)
    print(footer)
    if not args.quick:
        report.save(
            "overhead_vs_jupyter_ai.md", f"machine: {report.machine()}\n\n{text}\n\n{footer}\n"
        )
    if missed:
        print(f"targets missed: {', '.join(missed)}")
    from jupyter_codegen.session import session_for

    session_for(shell).pins.flush()  # pins are written on a thread: let it finish first
    cache.cleanup()
    return 1 if (missed and args.check) else 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="CI: a few runs, small frame")
    parser.add_argument("--runs", type=int, default=0, help="timed runs per side and row")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument("--row", choices=[r.key for r in ROWS], default=None)
    parser.add_argument("--profile", choices=["ours", "theirs"], default=None)
    parser.add_argument("--setup", action="store_true", help="only build the benchmark venv")
    args = parser.parse_args(argv)
    if not _in_bench_venv():
        return reexec_in_venv(argv, args.quick, args.setup)
    return measure(args)


if __name__ == "__main__":
    sys.exit(main())
