"""What every benchmark prints: the machine and its load, robust statistics, Markdown tables.

The machine is shared (other jobs run beside the benchmarks), so each script measures the two
sides of a ratio alternately in one run and prints the load average before and after; compare
ratios, not absolute times, across runs.
"""

from __future__ import annotations

import atexit
import os
import platform
import shutil
import statistics
import tempfile
from collections.abc import Sequence
from pathlib import Path

OUT_DIR = Path(__file__).resolve().parent / "out"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return float("nan")


def load() -> str:
    try:
        one, five, _ = os.getloadavg()
    except OSError:
        return "load n/a"
    return f"load {one:.2f} (1 min) / {five:.2f} (5 min)"


def machine() -> str:
    """One line: CPU, cores, memory, Python, and the load right now."""
    return (
        f"{cpu_model()}, {cores()} cores, {memory_gib():.0f} GiB RAM, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}; {load()}"
    )


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def quantile(values: Sequence[float], q: float) -> float:
    """The q-quantile (0..1) by linear interpolation; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table (it also reads well as plain text)."""
    cells = [[str(c) for c in header], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


def save(name: str, text: str) -> Path:
    """Write ``text`` to ``benchmarks/out/<name>`` (git-ignored) and return the path."""
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / name
    path.write_text(text, encoding="utf-8")
    return path


def scratch(prefix: str) -> Path:
    """A new temporary directory, removed when the benchmark exits (tests run the quick
    benchmarks in every CI run, so each leftover would pile up in the temp dir)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def fresh_cache(prefix: str) -> Path:
    """A scratch ``JUPYTER_CODEGEN_CACHE_DIR`` with no pins, so every prompt is generated, whose
    models/ is the model cache in use: the weights are not assembled again (491 MB or more).
    Sets the variable for this process and the kernels it starts; returns the directory."""
    from jupyter_codegen.model import local_weights

    models = local_weights.default_cache_dir().resolve()  # through an earlier scratch cache
    cache = scratch(prefix)
    models.mkdir(parents=True, exist_ok=True)
    (cache / "models").symlink_to(models, target_is_directory=True)
    os.environ[local_weights.CACHE_ENV] = str(cache)
    return cache
