"""Model round trips for one task: native tool calling vs code that calls registered functions.

The task (the registered-functions issue): "get the weather for these 20 cities (registered
``get_weather``) and report the three warmest". Each mode runs through the real engine
(``%%gemini`` on an IPython shell) and the real google-genai SDK, talking HTTP to the project's
Gemini REST test server, whose responder plays a model that behaves in one of three ways:

(a) native, one call per turn: one ``functionCall`` per reply until it has all 20 results;
(b) native, parallel: all 20 ``functionCall`` parts in its first reply;
(c) code mode: one reply with a loop over the cities (``--tools code``).

(a) and (b) end with a prose answer computed from the function results the engine sent back;
(c)'s code computes it. Each row counts the model requests, the calls of ``get_weather``, and
the wall time twice: with the server answering at once (the engine's own overhead: SDK, HTTP,
function calls, logging) and with a simulated model latency per request (``--latency``,
default 0.8 s, about what a fast model needs for a short reply), which is what a user waits.

Row (d) runs code mode on the embedded model (``-m local``) for real, when it is installed:
a 0.5B model on the CPU writing the loop itself (repairs included in its request count).

Usage::

    python benchmarks/round_trips.py            # all rows, 0.8 s simulated latency
    python benchmarks/round_trips.py --quick    # CI: no simulated latency, no embedded model
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import report  # noqa: E402
from gemini_server import (  # noqa: E402
    FAKE_GEMINI_KEY,
    GeminiTestServer,
    RecordedRequest,
    Reply,
    function_calls,
    pick,
    stall,
    text,
)
from IPython.core.interactiveshell import InteractiveShell  # noqa: E402

from jupyter_codegen.model.backends.base import BackendEvent, ModelRequest  # noqa: E402
from jupyter_codegen.session import session_for  # noqa: E402

CITIES = [
    "Lisbon", "Madrid", "Paris", "Rome", "Athens", "Berlin", "Vienna", "Prague", "Warsaw",
    "Oslo", "Stockholm", "Helsinki", "Dublin", "London", "Amsterdam", "Brussels", "Zurich",
    "Budapest", "Bucharest", "Sofia",
]  # fmt: skip
MODEL = "gemini-3.8-flash"
PROMPT = (
    "Get the weather for these 20 cities with the registered function `get_weather` and report "
    "the three warmest with their temperatures: " + ", ".join(CITIES) + "."
)
CODE = (
    "cities = [" + ", ".join(repr(c) for c in CITIES) + "]\n"
    "weather = {city: get_weather(city) for city in cities}\n"
    "warmest = sorted(cities, key=lambda c: weather[c]['temp'], reverse=True)[:3]\n"
    "print('The three warmest:', ', '.join(f\"{c} ({weather[c]['temp']} °C)\" for c in warmest))"
)


def temperature(city: str) -> float:
    seed = sum(ord(ch) * (i + 1) for i, ch in enumerate(city.lower()))
    return round(seed % 350 / 10 - 5, 1)


EXPECTED = sorted(CITIES, key=temperature, reverse=True)[:3]


def get_weather(city: str) -> dict:
    """Current weather for a city: temperature in °C and sky.

    Args:
        city: City name in English, e.g. "Lisbon".
    """
    seed = sum(ord(ch) for ch in city)
    return {"city": city, "temp": temperature(city), "sky": ["sunny", "cloudy", "rain"][seed % 3]}


# --- the simulated model ------------------------------------------------------------------


def _results(request: RecordedRequest) -> dict[str, float]:
    """City -> temperature, from every function response in the conversation so far."""
    out: dict[str, float] = {}
    for content in request.contents:
        for part in pick(content, "parts", []) or []:
            response = pick(part, "functionResponse")
            if response is not None:
                result = (pick(response, "response", {}) or {}).get("result") or {}
                if "city" in result:
                    out[result["city"]] = result["temp"]
    return out


def _answer(results: dict[str, float]) -> str:
    top = sorted(results, key=lambda c: results[c], reverse=True)[:3]
    return "The three warmest: " + ", ".join(f"{c} ({results[c]} °C)" for c in top) + "."


def responder(mode: str, latency: float) -> Any:
    def respond(request: RecordedRequest) -> Reply:
        done = _results(request)
        reply: Reply
        if mode == "code":
            reply = text("```python\n" + CODE + "\n```\n")
        elif len(done) == len(CITIES):
            reply = text(_answer(done))
        elif mode == "native-serial":
            city = next(c for c in CITIES if c not in done)
            reply = function_calls([("get_weather", {"city": city}, f"call-{city}")])
        else:  # native-parallel
            reply = function_calls([("get_weather", {"city": c}, f"call-{c}") for c in CITIES])
        return stall(latency, reply) if latency > 0 else reply

    return respond


# --- running one row ----------------------------------------------------------------------


@dataclass
class Row:
    mode: str
    backend: str
    requests: int
    calls: int
    wall_s: float
    wall_latency_s: float | None
    correct: bool
    note: str = ""


@contextlib.contextmanager
def _shell(model: str) -> Iterator[InteractiveShell]:
    shell = InteractiveShell.instance()
    shell.reset(new_session=False)
    if hasattr(shell, "_jupyter_codegen_session"):
        session_for(shell).uninstall()
        del shell._jupyter_codegen_session
    shell.run_line_magic("reload_ext", "jupyter_codegen")  # (re)loads: fresh magics, fresh session
    session = session_for(shell)
    session.config.model = model
    session.functions.add(get_weather, namespace=shell.user_ns)
    try:
        yield shell
    finally:
        session.uninstall()
        del shell._jupyter_codegen_session


def _run(shell: InteractiveShell, tools: str) -> tuple[float, str, int]:
    """Run the prompt; return wall seconds, everything it printed, and get_weather calls."""
    out = io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(out):
        shell.run_cell_magic("gemini", f"--tools {tools} --regenerate", PROMPT)
    wall = time.perf_counter() - started
    entry = session_for(shell).history.entries[-1]
    return wall, out.getvalue(), sum(c.name == "get_weather" and c.ok for c in entry.calls)


def _correct(output: str) -> bool:
    found = re.findall(r"(\w+) \(-?[\d.]+ ?°C\)", output)
    return found[:3] == EXPECTED


def server_row(mode: str, latency: float) -> Row:
    tools = "code" if mode == "code" else "native"
    walls: list[float] = []
    for lat in (0.0, latency) if latency > 0 else (0.0,):
        with GeminiTestServer(responder=responder(mode, lat)) as server, _env(server):
            with _shell(MODEL) as shell:
                wall, output, calls = _run(shell, tools)
            requests = server.request_count
        walls.append(wall)
    return Row(
        {"code": "(c) code mode", "native-serial": "(a) native, one call per turn"}.get(
            mode, "(b) native, parallel calls"
        ),
        "test server",
        requests,
        calls,
        walls[0],
        walls[1] if len(walls) > 1 else None,
        _correct(output),
    )


@contextlib.contextmanager
def _env(server: GeminiTestServer) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in ("GOOGLE_GEMINI_BASE_URL", "GEMINI_API_KEY")}
    os.environ["GOOGLE_GEMINI_BASE_URL"] = server.url
    os.environ["GEMINI_API_KEY"] = FAKE_GEMINI_KEY
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class _Counting:
    """A backend wrapper that counts requests (the embedded model has no server to count)."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.kind, self.model, self.requests = inner, inner.kind, inner.model, 0

    def stream(self, request: ModelRequest) -> Iterator[BackendEvent]:
        self.requests += 1
        return self.inner.stream(request)


def local_row() -> Row | None:
    from jupyter_codegen.model.backends import local

    if not local.is_installed():
        return None
    backend = _Counting(local.LocalBackend("local"))
    backend.inner.load()  # loading the weights is not a round trip
    with _shell("local") as shell:
        session_for(shell).backends["local"] = backend  # type: ignore[assignment]
        note = ""
        cpu = time.process_time()
        try:
            wall, output, calls = _run(shell, "code")
        except Exception as exc:  # a failure is a result too
            wall, output, calls = float("nan"), "", 0
            note = f"{type(exc).__name__}: {exc}"[:80]
        cpu = time.process_time() - cpu
        attempts = session_for(shell).history.entries[-1].attempts
    if not note:
        # Wall time on a shared CPU depends on the load; the process's CPU time less so.
        note = f"{cpu:.0f} s CPU, load {os.getloadavg()[0]:.1f}"
        note += f", {attempts} attempts" if attempts > 1 else ""
    requests, right = backend.requests, _correct(output)
    return Row("(c) code mode", "embedded (-m local)", requests, calls, wall, None, right, note)


# --- the table ----------------------------------------------------------------------------


def table(rows: list[Row], latency: float) -> str:
    lat_head = f"wall, +{latency:g} s/request" if latency > 0 else ""
    head = ["mode", "model", "requests", "get_weather calls", "wall, server instant"]
    head += [lat_head] if lat_head else []
    head += ["right top 3", "note"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r.mode, r.backend, str(r.requests), str(r.calls), f"{r.wall_s:.2f} s"]
        if lat_head:
            cells.append("" if r.wall_latency_s is None else f"{r.wall_latency_s:.2f} s")
        cells += ["yes" if r.correct else "no", r.note]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="no latency, no embedded model")
    parser.add_argument("--latency", type=float, default=0.8, help="simulated s per request")
    parser.add_argument("--no-local", action="store_true", help="skip the embedded model row")
    args = parser.parse_args(argv)
    latency = 0.0 if args.quick else args.latency
    report.fresh_cache("round-trips-")
    server_row("code", 0.0)  # warm-up: imports and the first client are not round trips
    rows = [server_row(m, latency) for m in ("native-serial", "native-parallel", "code")]
    if not (args.quick or args.no_local):
        row = local_row()
        if row is None:
            print("(embedded model not installed: row (d) skipped)")
        else:
            rows.append(row)
    print(f"Task: the three warmest of {len(CITIES)} cities via get_weather; expected {EXPECTED}")
    print(table(rows, latency))
    return 0 if all(r.correct for r in rows if r.backend == "test server") else 1


if __name__ == "__main__":
    sys.exit(main())
