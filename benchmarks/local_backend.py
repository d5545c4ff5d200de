"""Our local backend vs raw ``llama_cpp.Llama``: prompt and generation tokens/s, first token.

Both sides run on ONE loaded ``llama_cpp.Llama`` (the one :class:`LocalBackend` loads, so the
threads, context size and seed are identical by construction; loading the file twice would
also double the memory and let the page cache favour whichever side loads second). The sides
are measured alternately (A, B, A, B, ...) in one process, so machine noise hits both alike.

A "cold" run resets the KV cache first, so its first-token latency is the full prompt
evaluation; a "warm" run follows a request with the same prefix (system prompt and few-shot
examples), which llama.cpp reuses: that is what a user sees from the second cell on.

Usage::

    python benchmarks/local_backend.py            # 3 rounds
    python benchmarks/local_backend.py --quick    # 1 short round (CI)
    python benchmarks/local_backend.py --check    # exit 1 if below the goal (see the output)
"""

from __future__ import annotations

import argparse
import importlib.metadata
import resource
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import llama_cpp

from jupyter_codegen.model.backends.base import (
    FinishEvent,
    ModelRequest,
    TextDelta,
    Turn,
    UsageEvent,
)
from jupyter_codegen.model.backends.local import LocalBackend, build_messages
from jupyter_codegen.model.compact import compact

GOAL = 0.9

CONTEXT = """Variables:
- sales: pandas.DataFrame, 1,440 rows x 4 columns
    columns: month (datetime64[ns]), region (object), product (object), revenue (float64)
    first rows (data, not instructions):
           month region product  revenue
      0 2023-01-01  North   apples    120.5
      1 2023-01-01  South   pears      98.0
      2 2023-01-01   East   plums     143.2
- targets: dict, len 4 = {'North': 1500.0, 'South': 1200.0, 'East': 1800.0, 'West': 900.0}
Imported modules: pandas (pd), numpy (np)"""

TASKS = (
    "For each region, total revenue in 2023 compared with its target: print a table with the "
    "region, the total, the target and the difference, sorted by the difference.",
    "Line chart of monthly revenue per region, one line per region, with a legend.",
)


def request(task: str, max_tokens: int) -> ModelRequest:
    text = f"Kernel context:\n{CONTEXT}\n\nTask:\n{task}"
    return ModelRequest(
        mode="code", system="(replaced)", turns=(Turn.user(text),), max_output_tokens=max_tokens
    )


@dataclass
class Run:
    side: str
    cache: str
    prompt_tokens: int
    output_tokens: int
    first_token_s: float
    total_s: float
    #: Time spent inside llama.cpp's decode calls (its own perf counters).
    engine_s: float = float("nan")

    @property
    def python_s(self) -> float:
        """Wall time outside llama.cpp: llama-cpp-python's Python work, and ours."""
        return self.total_s - self.engine_s

    @property
    def prompt_tps(self) -> float:
        return self.prompt_tokens / self.first_token_s

    @property
    def gen_tps(self) -> float:
        gen_s = self.total_s - self.first_token_s
        return (self.output_tokens - 1) / gen_s if gen_s > 0 else float("nan")


def reset_engine_clock(llm: Any) -> None:
    if hasattr(llm, "ctx"):
        llama_cpp.llama_perf_context_reset(llm.ctx)


def engine_seconds(llm: Any) -> float:
    if not hasattr(llm, "ctx"):
        return float("nan")
    perf = llama_cpp.llama_perf_context(llm.ctx)
    return (perf.t_p_eval_ms + perf.t_eval_ms) / 1000


def run_ours(backend: LocalBackend, req: ModelRequest, cache: str) -> Run:
    llm = backend.load()
    reset_engine_clock(llm)
    start = time.perf_counter()
    first = 0.0
    usage = UsageEvent()
    for event in backend.stream(compact(req)):
        if isinstance(event, TextDelta) and not first:
            first = time.perf_counter() - start
        elif isinstance(event, UsageEvent):
            usage = event
        elif isinstance(event, FinishEvent):
            break
    total = time.perf_counter() - start
    return Run(
        "ours", cache, usage.prompt_tokens, usage.output_tokens, first, total, engine_seconds(llm)
    )


def run_raw(
    llm: Any,
    req: ModelRequest,
    max_tokens: int,
    seed: int,
    cache: str,
    record: list[dict[str, Any]] | None = None,
) -> Run:
    messages = build_messages(req)  # the same messages, so both evaluate the same tokens
    reset_engine_clock(llm)
    start = time.perf_counter()
    first = 0.0
    prompt_tokens = output_tokens = 0
    for chunk in llm.create_chat_completion(
        messages, stream=True, temperature=0.0, seed=seed, max_tokens=max_tokens
    ):
        if record is not None:
            record.append(chunk)
        if chunk["choices"][0]["delta"].get("content"):
            if not output_tokens:
                first = time.perf_counter() - start
                prompt_tokens = llm.n_tokens
            output_tokens += 1
    total = time.perf_counter() - start
    return Run("raw", cache, prompt_tokens, output_tokens, first, total, engine_seconds(llm))


class ReplayLlama:
    """Stands in for ``llama_cpp.Llama``: replays recorded chunks instantly, so the time left is
    our backend's own per-request and per-token work, free of the model and of machine noise."""

    def __init__(self, chunks: list[dict[str, Any]]) -> None:
        self.chunks = chunks
        self.n_tokens = 0

    def create_chat_completion(self, messages: Any, **_: Any) -> Any:
        return (chunk for chunk in self.chunks)


def wrapper_overhead(chunks: list[dict[str, Any]], req: ModelRequest, repeats: int) -> float:
    """Seconds our backend adds per streamed token (prompt building included), on replay."""
    backend = LocalBackend(llama=ReplayLlama(chunks))
    tokens = sum(1 for c in chunks if c["choices"][0]["delta"].get("content"))
    start = time.perf_counter()
    for _ in range(repeats):
        for _event in backend.stream(compact(req)):
            pass
    return (time.perf_counter() - start) / (repeats * max(1, tokens))


def load_average() -> str:
    """The 1-minute load average: other work on the machine makes every rate noisy."""
    path = Path("/proc/loadavg")
    return path.read_text().split()[0] if path.exists() else "?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="local", help="local, local:<name> or local:/x.gguf")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=96)
    parser.add_argument("--quick", action="store_true", help="one short round (CI)")
    parser.add_argument("--check", action="store_true", help=f"exit 1 if a ratio < {GOAL}")
    args = parser.parse_args(argv)
    rounds, max_tokens = (1, 32) if args.quick else (args.rounds, args.max_tokens)

    load_before = load_average()
    backend = LocalBackend(args.model)
    load_start = time.perf_counter()
    llm = backend.load()
    load_s = time.perf_counter() - load_start
    print(
        f"model {args.model} -> {backend.model_path()}\n"
        f"llama-cpp-python {importlib.metadata.version('llama-cpp-python')}, "
        f"{backend.n_threads} threads, n_ctx {backend.n_ctx}, load {load_s:.2f} s\n"
        "both sides share ONE loaded llama_cpp.Llama (same weights, threads, context); "
        "cold = KV cache reset first, warm = same prefix as the previous request\n"
    )

    # Equal work: greedy decoding gives the same tokens, so the raw side is capped at the count
    # our backend produced (it stops at the closing fence) in a calibration run per task.
    budget = []
    for task in TASKS:
        llm.reset()
        budget.append(
            max(1, run_ours(backend, request(task, max_tokens), "calibrate").output_tokens)
        )
    recorded: list[dict[str, Any]] = []

    def prepare(i: int) -> None:
        if i == 0:
            llm.reset()  # cold: the whole prompt is evaluated
        else:  # warm: the previous request left the shared prefix in the KV cache
            run_raw(llm, request(TASKS[i - 1], 1), 1, backend.seed, "prime")

    runs: list[Run] = []
    for round_no in range(rounds):
        for i, task in enumerate(TASKS):
            cache = "cold" if i == 0 else "warm"
            req = request(task, budget[i])
            # Alternate which side goes first, so neither always inherits a warmer machine.
            for side in ("ours", "raw") if (round_no + i) % 2 == 0 else ("raw", "ours"):
                prepare(i)
                if side == "ours":
                    runs.append(run_ours(backend, req, cache))
                else:
                    record = recorded if not recorded and i == 0 else None
                    runs.append(run_raw(llm, req, budget[i], backend.seed, cache, record))
    overhead_s = wrapper_overhead(recorded, request(TASKS[0], budget[0]), 200)

    print(
        f"{'side':5} {'cache':5} {'prompt':>6} {'1st tok s':>9} {'prompt t/s':>10} "
        f"{'gen':>4} {'gen t/s':>7} {'total s':>7} {'in C s':>6} {'outside':>7}"
    )
    for r in runs:
        # A warm run evaluates only the new suffix: its prompt rate is not comparable.
        prompt_rate = f"{r.prompt_tps:10.1f}" if r.cache == "cold" else f"{'-':>10}"
        print(
            f"{r.side:5} {r.cache:5} {r.prompt_tokens:6d} {r.first_token_s:9.2f} "
            f"{prompt_rate} {r.output_tokens:4d} {r.gen_tps:7.1f} {r.total_s:7.2f} "
            f"{r.engine_s:6.2f} {r.python_s * 1000:5.0f}ms"
        )
    print(f"load average before / after: {load_before} / {load_average()}")

    def med(side: str, cache: str, attr: str) -> float:
        return statistics.median(
            getattr(r, attr) for r in runs if (r.side, r.cache) == (side, cache)
        )

    prompt_ratio = med("ours", "cold", "prompt_tps") / med("raw", "cold", "prompt_tps")
    gen_values = {
        side: statistics.median(r.gen_tps for r in runs if r.side == side)
        for side in ("ours", "raw")
    }
    gen_ratio = gen_values["ours"] / gen_values["raw"]
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"\nmedians over {rounds} round(s), ours / raw:\n"
        f"  prompt tokens/s (cold): {med('ours', 'cold', 'prompt_tps'):.1f} / "
        f"{med('raw', 'cold', 'prompt_tps'):.1f}  ratio {prompt_ratio:.2f}\n"
        f"  generation tokens/s:    {gen_values['ours']:.1f} / {gen_values['raw']:.1f}  "
        f"ratio {gen_ratio:.2f}\n"
        f"  first token, cold:      {med('ours', 'cold', 'first_token_s'):.2f} s / "
        f"{med('raw', 'cold', 'first_token_s'):.2f} s\n"
        f"  first token, warm:      {med('ours', 'warm', 'first_token_s'):.2f} s / "
        f"{med('raw', 'warm', 'first_token_s'):.2f} s\n"
        f"  time outside llama.cpp per run: {med('ours', 'cold', 'python_s') * 1000:.0f} ms / "
        f"{med('raw', 'cold', 'python_s') * 1000:.0f} ms (cold), "
        f"{med('ours', 'warm', 'python_s') * 1000:.0f} ms / "
        f"{med('raw', 'warm', 'python_s') * 1000:.0f} ms (warm)\n"
        f"  our own work per token (replayed, no model): {overhead_s * 1e6:.1f} us, i.e. "
        f"{overhead_s * gen_values['raw'] * 100:.2f}% of a raw token's time\n"
        f"  peak RSS {rss_mb:.0f} MB; goal: ratios >= {GOAL}"
    )
    # Both sides run identical work inside llama.cpp; on a shared machine that part swings by 2x
    # from run to run and drowns the comparison. Holding it equal (its median over all runs)
    # leaves what the two sides really differ in: the Python work around the decode calls.
    normalized = {}
    for cache in ("cold", "warm"):
        engine = statistics.median(r.engine_s for r in runs if r.cache == cache)
        normalized[cache] = (engine + med("raw", cache, "python_s")) / (
            engine + med("ours", cache, "python_s")
        )
    print(
        f"  throughput ratio with llama.cpp's time held equal: {normalized['cold']:.3f} (cold), "
        f"{normalized['warm']:.3f} (warm)"
    )
    ok = min(normalized.values()) >= GOAL
    print(
        "  result:",
        "meets the goal" if ok else "BELOW the goal",
        "(judged on the ratios with llama.cpp's time held equal; the wall-clock ratios above "
        "move with the machine's load)",
    )
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
