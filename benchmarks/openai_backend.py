"""Our OpenAI-compatible backend against the raw ``openai`` SDK, on the same llama.cpp server.

Both sides stream the same request (prompt, max tokens, greedy decoding) from llama.cpp's own
OpenAI-compatible server (``python -m llama_cpp.server``) on the embedded 0.5B GGUF, alternated
run by run after one warm-up each, so load and cache effects fall on both alike. For each run:
the first-token latency (request sent to first text delta) and the decode rate (text deltas per
second after the first; llama.cpp sends one token per delta and no usage while streaming, so
deltas are counted on both sides). Prints the medians and the ratios ours / raw (goal: tokens per
second >= 0.95).

Usage::

    python benchmarks/openai_backend.py            # 7 runs per side, 96 tokens
    python benchmarks/openai_backend.py --runs 3 --max-tokens 48
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import report  # noqa: E402
from llama_server import ALIAS, llama_server  # noqa: E402

from jupyter_codegen.model.backends.base import ModelRequest, TextDelta, Turn  # noqa: E402
from jupyter_codegen.model.backends.openai_compat import OpenAICompatibleBackend  # noqa: E402

SYSTEM = "You write Python. Reply with one code block."
PROMPT = "Write a function that returns the n-th Fibonacci number, then print the first 15."


def _ours(url: str, max_tokens: int) -> tuple[float, float]:
    shared: dict = {"config": type("C", (), {"openai_base_url": url})()}
    backend = OpenAICompatibleBackend.create(f"openai:{ALIAS}", request_timeout=300, shared=shared)
    request = ModelRequest(
        mode="code",
        system=SYSTEM,
        turns=(Turn.user(PROMPT),),
        max_output_tokens=max_tokens,
        temperature=0.0,
    )
    start = time.perf_counter()
    first, count = 0.0, 0
    for event in backend.stream(request):
        if isinstance(event, TextDelta) and event.text:
            count += 1
            if count == 1:
                first = time.perf_counter()
    end = time.perf_counter()
    return first - start, (count - 1) / max(end - first, 1e-9)


def _raw(url: str, max_tokens: int) -> tuple[float, float]:
    import openai

    client = openai.OpenAI(base_url=url, api_key="no-key-needed", timeout=300, max_retries=0)
    start = time.perf_counter()
    stream = client.chat.completions.create(
        model=ALIAS,
        messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": PROMPT}],
        max_tokens=max_tokens,
        temperature=0.0,
        stream=True,
    )
    first, count = 0.0, 0
    for chunk in stream:
        for choice in chunk.choices:
            if choice.delta is not None and choice.delta.content:
                count += 1
                if count == 1:
                    first = time.perf_counter()
    end = time.perf_counter()
    return first - start, (count - 1) / max(end - first, 1e-9)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--max-tokens", type=int, default=96)
    args = parser.parse_args(argv)
    from jupyter_codegen.model import local_weights

    work = report.scratch("openai-bench-")
    gguf = local_weights.ensure_weights("qwen2.5-coder-0.5b")
    results: dict[str, list[tuple[float, float]]] = {"ours": [], "raw": []}
    with llama_server(gguf, work / "server.log") as url:
        _ours(url, args.max_tokens), _raw(url, args.max_tokens)  # warm-up: load, prefix cache
        for _ in range(args.runs):
            results["raw"].append(_raw(url, args.max_tokens))
            results["ours"].append(_ours(url, args.max_tokens))
    med = {
        side: (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs))
        for side, runs in results.items()
    }
    lines = [
        f"llama.cpp server, {ALIAS} (embedded 0.5B GGUF), {args.max_tokens} max tokens, "
        f"greedy, {args.runs} alternated runs per side after a warm-up",
        f"{'side':<6} {'first token (ms)':>17} {'tokens/s':>9}",
        *(f"{side:<6} {ms * 1000:>17.1f} {tps:>9.1f}" for side, (ms, tps) in med.items()),
        f"ratio ours/raw: tokens/s {med['ours'][1] / med['raw'][1]:.3f} (goal >= 0.95), "
        f"first-token latency {med['ours'][0] / med['raw'][0]:.3f}",
    ]
    text = "\n".join(lines)
    print(text)
    out = ROOT / "benchmarks" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "openai_backend.txt").write_text(text + "\n")
    (out / "openai_backend.json").write_text(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
