"""Model requests and prompt tokens for one task done over MCP: native tool calls vs code mode.

The task: "average the daily temperature of the ``oslo`` station over days 1..N" with N = 20
and N = 100, against the example MCP server (notebooks/weather_stations_server.py, a real stdio
server on the official ``mcp`` SDK, bound as ``stations``). Each way runs through the real
engine (``%%gemini`` on an IPython shell) and the real google-genai SDK over HTTP to the
project's Gemini REST test server, whose responder plays a model that

(a) native, one call per turn: one ``functionCall`` per reply until it has all N readings;
(b) native, parallel: all N ``functionCall`` parts in its first reply;
(c) code mode: one reply with a loop over the days (``--tools code``).

Each row counts the model requests, the MCP tool calls the server answered (from the cell's
call log), the prompt tokens sent (every request's JSON body, 4 characters a token: what the
test server reports as usage) and whether the printed average is right. The anchors: Anthropic's
"code execution with MCP" (2025) cut a workflow from 150,000 to 2,000 tokens (-98.7 %);
CodeAct (arXiv 2402.01030) did 20 sequential tool turns in one program.

Usage::

    python benchmarks/mcp_round_trips.py            # N = 20 and 100
    python benchmarks/mcp_round_trips.py --quick    # N = 20 only (CI)
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "notebooks"), str(ROOT / "benchmarks")]

import report  # noqa: E402
import weather_stations_server as example  # noqa: E402
from gemini_server import (  # noqa: E402
    GeminiTestServer,
    RecordedRequest,
    Reply,
    function_calls,
    pick,
    text,
)
from round_trips import _env, _shell  # noqa: E402

from jupyter_codegen import connect_mcp  # noqa: E402
from jupyter_codegen.session import session_for  # noqa: E402

MODEL = "gemini-3.8-flash"
TOOL = "stations__daily_temperature"


def prompt(n: int) -> str:
    return (
        f"Average the daily temperature of the oslo station over days 1 to {n} and print it "
        "with two decimals."
    )


def expected(n: int) -> float:
    return sum(example._reading("oslo", d) for d in range(1, n + 1)) / n


def _readings(request: RecordedRequest) -> list[float]:
    """Every reading the engine sent back so far, from the conversation's function responses."""
    out: list[float] = []
    for content in request.contents:
        for part in pick(content, "parts", []) or []:
            response = pick(part, "functionResponse")
            if response is not None:
                out.append((pick(response, "response", {}) or {}).get("result"))
    return out


def responder(way: str, n: int) -> Any:
    code = (
        f"temps = [stations.daily_temperature(station='oslo', day=d) for d in range(1, {n + 1})]\n"
        "print(f'Average: {sum(temps) / len(temps):.2f} °C')"
    )

    def respond(request: RecordedRequest) -> Reply:
        if way == "code":
            return text("```python\n" + code + "\n```\n")
        done = _readings(request)
        if len(done) >= n:
            return text(f"Average: {sum(done) / len(done):.2f} °C")
        if way == "native-serial":
            day = len(done) + 1
            return function_calls([(TOOL, {"station": "oslo", "day": day}, f"c{day}")])
        every = [(TOOL, {"station": "oslo", "day": d}, f"c{d}") for d in range(1, n + 1)]
        return function_calls(every)

    return respond


@dataclass
class Row:
    way: str
    n: int
    requests: int
    calls: int
    tokens: int
    right: bool


def run(way: str, n: int) -> Row:
    tools = "code" if way == "code" else "native"
    with GeminiTestServer(responder=responder(way, n)) as server, _env(server):
        with _shell(MODEL) as shell:
            session_for(shell).config.max_tool_rounds = n + 5
            stations = connect_mcp("stations", command=[sys.executable, example.__file__])
            shell.user_ns["stations"] = stations
            out = io.StringIO()
            try:
                with contextlib.redirect_stdout(out):
                    shell.run_cell_magic("gemini", f"--tools {tools} --regenerate", prompt(n))
                entry = session_for(shell).history.entries[-1]
                calls = sum(c.ok and c.name.endswith("daily_temperature") for c in entry.calls)
            finally:
                stations.close()
        tokens = sum(len(json.dumps(r.body or {})) // 4 for r in server.requests)
        found = re.findall(r"Average: (-?[\d.]+)", out.getvalue())
        right = bool(found) and abs(float(found[-1]) - expected(n)) < 0.006
        return Row(way, n, server.request_count, calls, tokens, right)


NAMES = {
    "native-serial": "(a) native, one call per turn",
    "native-parallel": "(b) native, parallel calls",
    "code": "(c) code mode",
}


def table(rows: list[Row]) -> str:
    lines = [
        "| N calls | way | model requests | MCP calls | prompt tokens sent | vs (a) | right |",
        "|---|---|---|---|---|---|---|",
    ]
    base = {r.n: r.tokens for r in rows if r.way == "native-serial"}
    for r in rows:
        ratio = f"{r.tokens / base[r.n]:.3f}x" if base.get(r.n) else ""
        lines.append(
            f"| {r.n} | {NAMES[r.way]} | {r.requests} | {r.calls} | {r.tokens:,} | {ratio} | "
            f"{'yes' if r.right else 'no'} |"
        )
    lines.append(
        "| anchor | Anthropic, code execution with MCP (2025) | | | 150,000 -> 2,000 | 0.013x | |"
    )
    lines.append("| anchor | CodeAct (arXiv 2402.01030) | 20 turns -> 1 | | | | |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="N = 20 only")
    args = parser.parse_args(argv)
    report.fresh_cache("mcp-round-trips-")
    sizes = (20,) if args.quick else (20, 100)
    rows = [run(way, n) for n in sizes for way in NAMES]
    text = (
        f"machine: {report.machine()}\n"
        f"Task: average of N daily readings from the example MCP server ({example.__file__})\n"
        + table(rows)
    )
    print(text)
    report.save("mcp_round_trips.md", text + "\n")
    return 0 if all(r.right for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
