"""Native tool calls: unit tests with the scripted backend, then the real google-genai SDK against
the project's Gemini REST test server (functionCall replies, parallel calls, errors, loops in
generated code, mixed native + code), and the example notebook in a real kernel."""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import json
import shutil
from pathlib import Path
from typing import Any, Literal

import nbformat
import pytest
from gemini_server import GeminiTestServer, function_calls, rules_responder, text
from shells import fresh_cache

from jupyter_codegen import register
from jupyter_codegen.core.tool_calls import (
    MAX_RESULT_CHARS,
    offer_mode,
    result_response,
    to_jsonable,
)
from jupyter_codegen.errors import CodegenError, UsageError
from jupyter_codegen.functions.registry import CALLS_MIME_TYPE
from jupyter_codegen.model.backends.base import (
    FunctionCallEvent,
    FunctionCallPart,
    FunctionResponsePart,
    TextPart,
)
from jupyter_codegen.model.backends.gemini import GeminiBackend
from jupyter_codegen.model.backends.scripted import LOCAL_LIKE, ScriptedBackend, ScriptedReply
from jupyter_codegen.session import session_for

ROOT = Path(__file__).resolve().parent.parent
WEATHER = {"Paris": 18.0, "Rome": 24.5, "Oslo": 9.0, "Cairo": 31.0}


def get_weather(city: str, unit: Literal["C", "F"] = "C") -> dict:
    """Current weather for a city.

    Args:
        city: City name, e.g. "Paris".
        unit: Temperature unit.
    """
    temp = WEATHER[city]
    return {"city": city, "temp": temp if unit == "C" else round(temp * 9 / 5 + 32, 1)}


@pytest.fixture
def shell(shell):
    """The shared scripted shell, with ``get_weather`` registered."""
    register(get_weather)
    return shell


def scripted(sh) -> ScriptedBackend:
    return session_for(sh).backends["scripted"]  # type: ignore[return-value]


def calls(*specs: tuple[str, dict[str, Any], str | None]) -> ScriptedReply:
    return ScriptedReply(function_calls=[FunctionCallEvent(n, a, i) for n, a, i in specs])


def fence(code: str) -> str:
    return f"```python\n{code}\n```\n"


def gemini(sh, prompt: str, line: str = "") -> Any:
    return sh.run_cell_magic("gemini", line, prompt)


# --- the loop, with the scripted backend --------------------------------------------------


def test_native_call_result_goes_back_then_code_runs(shell, capsys):
    scripted(shell).push(
        calls(("get_weather", {"city": "Rome"}, "call-1")),
        fence("rome = 24.5\nprint('Rome is', rome)"),
    )
    gemini(shell, "How warm is Rome?")
    assert shell.user_ns["rome"] == 24.5
    first, second = scripted(shell).requests
    assert [t.name for t in first.tools] == ["get_weather"]
    assert "also available to you as tools" in first.system
    model_turn, user_turn = second.turns[-2:]
    assert model_turn.parts == (FunctionCallPart("get_weather", {"city": "Rome"}, "call-1"),)
    assert user_turn.parts == (
        FunctionResponsePart("get_weather", {"result": {"city": "Rome", "temp": 24.5}}, "call-1"),
    )
    out = capsys.readouterr().out
    assert "⚙ 1 function call (1 native)" in out
    assert "✓ native get_weather(city='Rome') → {'city': 'Rome', 'temp': 24.5}" in out
    (entry,) = session_for(shell).history.entries
    assert entry.status == "ok" and [c.source for c in entry.calls] == ["native"]


def test_parallel_calls_answered_in_one_turn_in_order(shell):
    scripted(shell).push(
        calls(
            ("get_weather", {"city": "Paris"}, "a"),
            ("get_weather", {"city": "Oslo", "unit": "F"}, "b"),
            ("get_weather", {"city": "Cairo"}, None),
        ),
        fence("done = True"),
    )
    gemini(shell, "weather in three cities")
    responses = scripted(shell).requests[1].turns[-1].parts
    assert [(p.id, p.response["result"]["temp"]) for p in responses] == [  # type: ignore[union-attr]
        ("a", 18.0),
        ("b", 48.2),
        (None, 31.0),
    ]
    assert len(scripted(shell).requests) == 2


def test_errors_become_function_responses_and_nothing_runs_twice(shell):
    ran: list[str] = []

    def book(city: str, nights: int) -> str:
        """Book a hotel."""
        ran.append(city)
        if city == "Atlantis":
            raise ValueError("no hotels in Atlantis")
        return f"booked {nights} nights in {city}"

    register(book)
    scripted(shell).push(
        calls(
            ("book", {"city": "Atlantis", "nights": 2}, "1"),
            ("book", {"city": "Rome", "nights": "two"}, "2"),
            ("teleport", {"to": "Rome"}, "3"),
            ("book", {"city": "Rome", "nights": 2.0}, "4"),
        ),
        fence("ok = 1"),
    )
    gemini(shell, "book hotels")
    parts = scripted(shell).requests[1].turns[-1].parts
    responses = [p.response for p in parts]  # type: ignore[union-attr]
    assert responses[0] == {"error": "ValueError: no hotels in Atlantis"}
    assert responses[1]["error"].startswith(
        "Invalid arguments for book: nights: expected an integer, got 'two' (str). The function "
        "was not called. Its signature: book(city: str, nights: int) -> str"
    )
    assert responses[2] == {
        "error": "There is no function named 'teleport'. Registered functions: get_weather, book."
    }
    assert responses[3] == {"result": "booked 2 nights in Rome"}
    assert ran == ["Atlantis", "Rome"]  # the bad calls never reached the function
    entry = session_for(shell).history.entries[-1]
    assert [c.ok for c in entry.calls] == [False, False, False, True]


def test_prose_answer_after_native_calls_runs_nothing(shell, capsys):
    scripted(shell).push(
        calls(("get_weather", {"city": "Paris"}, None), ("get_weather", {"city": "Rome"}, None)),
        "Rome is warmer (24.5 °C) than Paris (18.0 °C).",
    )
    outcome = gemini(shell, "Which is warmer, Paris or Rome?")
    out = capsys.readouterr().out
    assert "Rome is warmer (24.5 °C) than Paris (18.0 °C)." in out
    assert "answered from 2 function call(s)" in out
    entry = session_for(shell).history.entries[-1]
    assert entry.status == "answered" and entry.code is None and len(entry.calls) == 2
    assert outcome is None  # the magic returns nothing to display


def test_prose_without_any_call_is_still_no_code(shell):
    scripted(shell).push("I would rather not.")
    with pytest.raises(CodegenError, match="replied without code"):
        gemini(shell, "anything")


def test_rounds_are_bounded(shell):
    session_for(shell).config.max_tool_rounds = 2
    one = ("get_weather", {"city": "Oslo"}, None)
    scripted(shell).push(calls(one), calls(one), fence("x = 1"))
    gemini(shell, "x")
    last_turn = scripted(shell).requests[2].turns[-1]
    assert isinstance(last_turn.parts[-1], TextPart)
    assert "last round of function calls" in last_turn.parts[-1].text
    scripted(shell).push(calls(one), calls(one), calls(one))
    with pytest.raises(CodegenError, match="kept calling functions after 2 rounds"):
        gemini(shell, "y", "-r")


def test_async_calls_of_one_turn_run_concurrently(shell):
    # Each call waits for the other: they can only finish if they run at the same time.
    barrier: dict[str, asyncio.Event] = {}

    async def meet(name: str, other: str) -> str:
        """Wait for the other party."""
        barrier.setdefault(name, asyncio.Event()).set()
        await asyncio.wait_for(barrier.setdefault(other, asyncio.Event()).wait(), timeout=10)
        return f"{name} met {other}"

    register(meet)
    scripted(shell).push(
        calls(
            ("meet", {"name": "a", "other": "b"}, "1"), ("meet", {"name": "b", "other": "a"}, "2")
        ),
        fence("met = True"),
    )
    gemini(shell, "meet")
    parts = scripted(shell).requests[1].turns[-1].parts
    assert [p.response for p in parts] == [  # type: ignore[union-attr]
        {"result": "a met b"},
        {"result": "b met a"},
    ]


def test_tools_flag(shell):
    scripted(shell).push(fence("a = 1"), fence("b = 1"))
    gemini(shell, "a", "--tools code")
    gemini(shell, "b", "--tools native")
    code_req, native_req = scripted(shell).requests
    assert code_req.tools == () and "def get_weather(" in code_req.turns[0].parts[0].text
    assert [t.name for t in native_req.tools] == ["get_weather"]
    assert "def get_weather(" not in native_req.turns[0].parts[0].text  # declared as a tool only
    assert "available to you as tools only" in native_req.system


def test_no_registered_functions_no_tools(shell):
    session_for(shell).functions.remove("get_weather")
    scripted(shell).push(fence("a = 1"))
    gemini(shell, "a")
    assert scripted(shell).requests[0].tools == ()


GEMINI = GeminiBackend.capabilities


def test_offer_mode_defaults():
    assert offer_mode(None, GEMINI) == "both"
    assert offer_mode("native", GEMINI) == "native"
    assert offer_mode(None, LOCAL_LIKE) == "code"
    assert offer_mode("both", LOCAL_LIKE) == "code"
    with pytest.raises(UsageError, match="--tools native needs a model with native tool calls"):
        offer_mode("native", LOCAL_LIKE)


def test_repair_keeps_tools(shell):
    scripted(shell).push(fence("1/0"), fence("z = 2"))
    gemini(shell, "z")
    repair = scripted(shell).requests[1]
    assert repair.mode == "repair" and [t.name for t in repair.tools] == ["get_weather"]


class Sky(enum.Enum):
    SUN = "sun"


@dataclasses.dataclass
class Report:
    sky: Sky
    temps: tuple[float, ...]


def test_results_become_json():
    np = pytest.importorskip("numpy")
    pd = pytest.importorskip("pandas")
    assert to_jsonable(Report(Sky.SUN, (1.0, float("nan")))) == {
        "sky": "sun",
        "temps": [1.0, "nan"],
    }
    assert to_jsonable({"n": np.int64(3), "a": np.arange(3)}) == {"n": 3, "a": [0, 1, 2]}
    frame = pd.DataFrame({"city": ["Rome"], "temp": [24.5]})
    assert to_jsonable(frame) == [{"city": "Rome", "temp": 24.5}]
    assert to_jsonable(object()).startswith("<object object")
    big = result_response("x" * (MAX_RESULT_CHARS + 10))
    assert len(big["result"]) < MAX_RESULT_CHARS and "characters" in big["truncated"]


# --- the real SDK against the Gemini test server -------------------------------------------


@pytest.fixture
def live(shell, gemini_env: GeminiTestServer) -> GeminiTestServer:
    """The shell, now talking to the test server through the real google-genai SDK."""
    session = session_for(shell)
    session.config.model = "gemini-3.8-flash"
    return gemini_env


def code_reply(code: str):
    return text("Here you go.\n```python\n", code, "\n```\n")


def declarations(server: GeminiTestServer, i: int = 0) -> dict[str, Any]:
    return {d["name"]: d for d in server.requests[i].function_declarations}


def responses_sent(server: GeminiTestServer, i: int) -> list[dict[str, Any]]:
    """The functionResponse parts of request ``i``'s last user turn, as sent on the wire."""
    last = server.requests[i].contents[-1]
    assert last["role"] == "user"
    return [p["functionResponse"] for p in last["parts"] if "functionResponse" in p]


def test_sdk_function_call_round_trip(shell, live):
    live.enqueue(
        function_calls(
            [
                {
                    "name": "get_weather",
                    "args": {"city": "Rome"},
                    "id": "c1",
                    "thoughtSignature": "c2ln",
                }
            ]
        ),
        code_reply("rome_temp = 24.5"),
    )
    gemini(shell, "How warm is Rome?")
    assert shell.user_ns["rome_temp"] == 24.5
    decl = declarations(live)["get_weather"]
    assert decl["description"] == "Current weather for a city."
    assert decl["parameters"]["properties"]["unit"] == {
        "type": "string",
        "enum": ["C", "F"],
        "description": "Temperature unit.",
        "default": "C",
    }
    assert live.requests[0].get("toolConfig") is None  # AUTO: the model chooses
    assert responses_sent(live, 1) == [
        {"name": "get_weather", "id": "c1", "response": {"result": {"city": "Rome", "temp": 24.5}}}
    ]
    call_part = live.requests[1].contents[-2]["parts"][0]
    assert call_part["functionCall"]["args"] == {"city": "Rome"}
    assert call_part.get("thoughtSignature", call_part.get("thought_signature")) == "c2ln"


def test_sdk_parallel_calls(shell, live):
    live.enqueue(
        function_calls(
            [("get_weather", {"city": c}, f"id-{c}") for c in ("Paris", "Oslo", "Cairo")]
        ),
        code_reply("warmest = 'Cairo'"),
    )
    gemini(shell, "Which of Paris, Oslo, Cairo is warmest?")
    assert live.request_count == 2
    assert [(r["id"], r["response"]["result"]["temp"]) for r in responses_sent(live, 1)] == [
        ("id-Paris", 18.0),
        ("id-Oslo", 9.0),
        ("id-Cairo", 31.0),
    ]


def test_sdk_function_that_raises(shell, live, capsys):
    live.enqueue(
        function_calls([("get_weather", {"city": "Atlantis"}, "x")]),
        text("There is no weather data for Atlantis."),
    )
    gemini(shell, "Weather in Atlantis?")
    assert responses_sent(live, 1) == [
        {"name": "get_weather", "id": "x", "response": {"error": "KeyError: 'Atlantis'"}}
    ]
    out = capsys.readouterr().out
    assert "✗ native get_weather(city='Atlantis') → KeyError: 'Atlantis'" in out
    assert "There is no weather data for Atlantis." in out


def test_sdk_loop_of_calls_in_generated_code(shell, live, capsys):
    live.enqueue(
        code_reply(
            "temps = {c: get_weather(c)['temp'] for c in ['Paris', 'Rome', 'Oslo', 'Cairo']}\n"
            "top = sorted(temps, key=temps.get, reverse=True)[:3]\nprint(top)"
        )
    )
    gemini(shell, "The three warmest of Paris, Rome, Oslo, Cairo")
    assert shell.user_ns["top"] == ["Cairo", "Rome", "Paris"]
    assert live.request_count == 1  # four calls, one model request
    assert "⚙ 4 function calls (4 from code)" in capsys.readouterr().out


def test_sdk_mixed_native_and_code(shell, live, capsys):
    live.enqueue(
        function_calls([("get_weather", {"city": "Paris", "unit": "F"}, "p")]),
        code_reply(
            "others = [get_weather(c, unit='F')['temp'] for c in ['Rome', 'Oslo']]\n"
            "paris_f = 64.4\nprint(max(others + [paris_f]))"
        ),
    )
    gemini(shell, "Warmest in Fahrenheit of Paris, Rome, Oslo")
    out = capsys.readouterr().out
    assert "76.1" in out
    assert "⚙ 3 function calls (1 native, 2 from code)" in out
    entry = session_for(shell).history.entries[-1]
    assert [(c.source, c.args) for c in entry.calls] == [
        ("native", "city='Paris', unit='F'"),
        ("code", "city='Rome', unit='F'"),
        ("code", "city='Oslo', unit='F'"),
    ]


# --- the example notebook in a real kernel ------------------------------------------------

NOTEBOOK = ROOT / "notebooks" / "functions.ipynb"
RULES = ROOT / "notebooks" / "functions_rules.json"


@pytest.mark.kernel
def test_example_notebook_runs_headless(gemini_env, tmp_path, monkeypatch):
    from nbrun import errors_of, execute, text_of

    fresh_cache(monkeypatch, tmp_path / "cache")
    monkeypatch.delenv("JUPYTER_CODEGEN_MODEL", raising=False)
    gemini_env.responder = rules_responder(json.loads(RULES.read_text(encoding="utf-8")))
    shutil.copy(NOTEBOOK, tmp_path / NOTEBOOK.name)
    nb = execute(nbformat.read(tmp_path / NOTEBOOK.name, as_version=4), tmp_path)
    failing = [text_of(c) for c in nb.cells if c.cell_type == "code" and errors_of(c)]
    assert failing == []
    outputs = "\n".join(text_of(c) for c in nb.cells if c.cell_type == "code")
    assert "get_weather(city: str, unit: Unit = Unit.CELSIUS) -> Weather" in outputs
    assert "function calls (20 from code)" in outputs
    assert "function call (1 native)" in outputs
    records = [
        o.data[CALLS_MIME_TYPE]
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if CALLS_MIME_TYPE in o.get("data", {})
    ]
    assert records and all(call["ok"] for r in records for call in r["calls"])


def test_round_trip_benchmark_quick(capsys, monkeypatch):
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location(
        "round_trips", ROOT / "benchmarks" / "round_trips.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "round_trips", module)  # dataclasses look it up
    monkeypatch.setenv("JUPYTER_CODEGEN_CACHE_DIR", "")  # main() sets it; restored after
    spec.loader.exec_module(module)
    assert module.main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "| (a) native, one call per turn | test server | 21 | 20 |" in out
    assert "| (b) native, parallel calls | test server | 2 | 20 |" in out
    assert "| (c) code mode | test server | 1 | 20 |" in out


@pytest.mark.kernel
def test_async_function_in_a_real_kernel(gemini_env, tmp_path, monkeypatch):
    """ipykernel runs cells inside its event loop: async registered functions still work,
    as plain calls in generated code and as native tool calls."""
    from nbrun import errors_of, execute, make_notebook, text_of

    fresh_cache(monkeypatch, tmp_path / "cache")
    monkeypatch.delenv("JUPYTER_CODEGEN_MODEL", raising=False)
    gemini_env.enqueue(
        code_reply("squares = [slow_square(i) for i in range(5)]\nprint('squares', squares)"),
        function_calls([("slow_square", {"x": 7}, "q")]),
        text("7 squared is 49."),
    )
    setup = (
        "%load_ext jupyter_codegen\nimport asyncio\nfrom jupyter_codegen import register\n\n"
        "@register\nasync def slow_square(x: int) -> int:\n"
        '    """Square x, asynchronously."""\n'
        "    await asyncio.sleep(0)\n    return x * x"
    )
    nb = execute(
        make_notebook(
            [setup, "%%gemini --tools code\nsquares of 0..4", "%%gemini --tools native\n7 squared?"]
        ),
        tmp_path,
    )
    assert not any(errors_of(c) for c in nb.cells), [text_of(c) for c in nb.cells]
    assert "squares [0, 1, 4, 9, 16]" in text_of(nb.cells[1])
    assert "7 squared is 49." in text_of(nb.cells[2])
    assert responses_sent(gemini_env, 2) == [
        {"name": "slow_square", "id": "q", "response": {"result": 49}}
    ]
