"""The registry of registered functions: registration, descriptions, and the validating wrapper
that generated code calls (through the engine, on a real InteractiveShell)."""

from __future__ import annotations

import asyncio
import dataclasses
import enum
from typing import Literal

import pandas as pd
import pytest

from jupyter_codegen import register, unregister
from jupyter_codegen.errors import CodeFailedError
from jupyter_codegen.functions.registry import (
    CallLog,
    CallRecord,
    FunctionRegistry,
    InvalidArgumentsError,
    RegistrationError,
)
from jupyter_codegen.model.backends.scripted import ScriptedBackend
from jupyter_codegen.session import session_for


def scripted(sh) -> ScriptedBackend:
    return session_for(sh).backends["scripted"]  # type: ignore[return-value]


def fence(code: str) -> str:
    return f"```python\n{code}\n```\n"


class Unit(enum.Enum):
    C = "celsius"
    F = "fahrenheit"


@dataclasses.dataclass
class Stop:
    city: str
    nights: int = 1


WEATHER = {"Paris": 18.0, "Rome": 24.5, "Oslo": 9.0}


def get_weather(city: str, unit: Literal["C", "F"] = "C") -> dict:
    """Current weather for a city.

    Args:
        city: City name, e.g. "Paris".
        unit: Temperature unit.
    """
    temp = WEATHER[city]
    return {"city": city, "temp": temp if unit == "C" else temp * 9 / 5 + 32}


# --- the registry on its own --------------------------------------------------------------


def test_registry_names_specs_and_listing():
    registry = FunctionRegistry()
    registry.add(get_weather)
    assert registry.names() == ["get_weather"] and "get_weather" in registry
    assert registry.functions == {"get_weather": get_weather}
    (spec,) = registry.tool_specs()
    assert spec.name == "get_weather" and spec.description == "Current weather for a city."
    assert spec.parameters["required"] == ["city"]
    assert registry.listing() == [
        "get_weather(city: str, unit: Literal['C', 'F'] = 'C') -> dict"
        "  # Current weather for a city."
    ]
    registry.remove("get_weather")
    assert registry.names() == [] and registry.tool_specs() == ()


def test_describe_for_prompt_is_python_source_with_notes():
    def plan(stops: list[Stop], unit: Unit = Unit.C) -> str:
        """Plan a trip.

        Args:
            stops: The stops, in order.
        """
        return ""

    async def fetch(url: str) -> str:
        """Download a page."""
        return url

    registry = FunctionRegistry()
    registry.add(plan)
    registry.add(fetch)
    plan_text, fetch_text = registry.describe_for_prompt()
    assert plan_text.splitlines() == [
        "def plan(stops: list[Stop], unit: Unit = Unit.C) -> str:",
        '    """Plan a trip.',
        "",
        "    Args:",
        '        stops: The stops, in order."""',
        "    # Stop: dataclass (city: str, nights: int = 1) (or a dict of these)",
        "    # Unit: Enum of 'celsius', 'fahrenheit' (pass a member or its value)",
    ]
    # Async functions are plain calls for generated code (the wrapper runs the coroutine).
    assert fetch_text == 'def fetch(url: str) -> str:\n    """Download a page."""'
    assert registry.listing()[1] == "async fetch(url: str) -> str  # Download a page."


def test_wrapper_validates_converts_and_logs():
    def plan(stops: list[Stop], unit: Unit = Unit.C) -> str:
        return f"{len(stops)} stops in {unit.name}"

    registry = FunctionRegistry()
    registry.add(plan)
    log = CallLog()
    ns: dict = {"plan": plan}
    with registry.calls_from_generated_code(ns, log):
        assert ns["plan"] is not plan
        assert ns["plan"]([{"city": "Rome"}], unit="fahrenheit") == "1 stops in F"
        with pytest.raises(InvalidArgumentsError) as info:
            ns["plan"]([{"town": "Rome"}])
        with pytest.raises(InvalidArgumentsError, match="missing a required argument: 'stops'"):
            ns["plan"]()
    assert ns["plan"] is plan  # restored
    assert str(info.value) == (
        "plan() got invalid arguments: stops[0]: unexpected field 'town' for Stop; fields: "
        "city, nights. Signature: plan(stops: list[Stop], unit: Unit = Unit.C) -> str"
    )
    assert [r.ok for r in log.records] == [True, False, False]
    first = log.records[0]
    assert first.source == "code" and first.summary == "'1 stops in F'"
    assert first.args == "stops=[{'city': 'Rome'}], unit='fahrenheit'"  # as the code wrote them


def test_binding_is_restored_unless_the_code_rebound_the_name():
    registry = FunctionRegistry()
    registry.add(get_weather, name="weather")
    ns: dict = {}
    with registry.calls_from_generated_code(ns, CallLog()):
        assert ns["weather"]("Oslo")["temp"] == 9.0
    assert "weather" not in ns
    ns = {"get_weather": get_weather}
    registry.add(get_weather)
    with registry.calls_from_generated_code(ns, CallLog()):
        ns["get_weather"] = "the code's own value"
    assert ns["get_weather"] == "the code's own value"


def test_async_function_is_a_blocking_call_in_code():
    async def slow_double(x: int) -> int:
        await asyncio.sleep(0)
        return 2 * x

    registry = FunctionRegistry()
    registry.add(slow_double)
    log = CallLog()
    ns: dict = {}
    with registry.calls_from_generated_code(ns, log):
        assert ns["slow_double"](4.0) == 8  # 4.0 is an integral number: converted to 4
    assert log.records[0].summary == "8"


def test_call_log_render_is_compact():
    log = CallLog(head=2, tail=1)
    for i in range(6):
        log.add(CallRecord("f", f"i={i}", "code", i != 3, "1" if i != 3 else "KeyError: 3", 0.02))
    log.add(CallRecord("g", "", "native", True, "None", 1.5))
    lines = log.render().splitlines()
    assert lines[0] == "⚙ 7 function calls (1 native, 6 from code), 1 failed · 1.62 s"
    assert lines[1] == "  ✓ code   f(i=0) → 1 · 20 ms"
    assert lines[3] == "  … 4 more (1 failed, shown below)"
    assert lines[4] == "  ✗ code   f(i=3) → KeyError: 3 · 20 ms"
    assert lines[5] == "  ✓ native g() → None · 1.50 s"
    assert len(lines) == 6


# --- register() in a shell ----------------------------------------------------------------


def test_register_forms_and_functions_subcommand(shell, capsys):
    @register
    def area(width: float, height: float = 1.0) -> float:
        """Area of a rectangle."""
        return width * height

    @register(name="perimeter", description="Perimeter of a rectangle.")
    def _perimeter(width: float, height: float) -> float:
        return 2 * (width + height)

    register(get_weather)
    session = session_for(shell)
    assert session.functions.names() == ["area", "perimeter", "get_weather"]
    assert area(2.0) == 2.0  # @register returns the function itself
    # Names that generated code calls exist in the user namespace.
    assert shell.user_ns["perimeter"] is _perimeter
    assert shell.user_ns["get_weather"] is get_weather
    shell.run_line_magic("gemini", "functions")
    out = capsys.readouterr().out
    assert "area(width: float, height: float = 1.0) -> float  # Area of a rectangle." in out
    assert "perimeter(width: float, height: float) -> float  # Perimeter of a rectangle." in out
    unregister("perimeter")
    unregister(get_weather)
    assert session.functions.names() == ["area"]
    assert "perimeter" not in shell.user_ns and "get_weather" not in shell.user_ns


def test_register_without_annotations_is_one_clear_line(shell):
    with pytest.raises(RegistrationError, match=r"city have no type annotation; annotate"):

        @register
        def weather(city):
            return city

    assert session_for(shell).functions.names() == []


def test_context_describes_functions_for_code(shell):
    register(get_weather)
    scripted(shell).push(fence("t = get_weather('Rome')['temp']"))
    shell.run_cell_magic("gemini", "--tools code", "temperature in Rome")
    request = scripted(shell).requests[0]
    text = request.turns[0].parts[0].text
    assert "def get_weather(city: str, unit: Literal['C', 'F'] = 'C') -> dict:" in text
    assert 'city: City name, e.g. "Paris".' in text
    assert request.tools == ()  # --tools code declares no native tools
    assert shell.user_ns["t"] == 24.5


# --- generated code calling registered functions, through the engine -----------------------


def test_loop_in_generated_code_is_logged_and_kept_in_history(shell, capsys):
    register(get_weather)
    code = "temps = {c: get_weather(c)['temp'] for c in ['Paris', 'Rome', 'Oslo']}"
    scripted(shell).push(fence(code))
    shell.run_cell_magic("gemini", "", "temperatures of three cities")
    assert shell.user_ns["temps"] == WEATHER
    out = capsys.readouterr().out
    assert "⚙ 3 function calls (3 from code)" in out
    assert "✓ code   get_weather(city='Rome') → {'city': 'Rome', 'temp': 24.5}" in out
    entry = session_for(shell).history.entries[-1]
    assert [c.args for c in entry.calls] == ["city='Paris'", "city='Rome'", "city='Oslo'"]
    assert shell.user_ns["get_weather"] is get_weather  # the wrapper is gone again
    shell.run_line_magic("gemini", "history")
    assert "[3 calls]" in capsys.readouterr().out


def test_a_copied_stub_or_a_stand_in_is_dropped_and_a_rebinding_goes_back_for_repair(shell):
    register(get_weather)
    stub = 'def get_weather(city: str, unit: str = "C") -> dict:\n    """The weather."""\n'
    scripted(shell).push(fence(stub + "t = get_weather('Rome')['temp']"))
    shell.run_cell_magic("gemini", "", "temperature in Rome")
    assert shell.user_ns["t"] == 24.5 and shell.user_ns["get_weather"] is get_weather
    assert "def get_weather" not in session_for(shell).history.entries[-1].code
    assert len(scripted(shell).requests) == 1
    # A stand-in with made-up values: the real function answers instead, in one request.
    scripted(shell).push(
        fence("def get_weather(city):\n    return {'temp': 1.0}\nu = get_weather('Rome')['temp']")
    )
    shell.run_cell_magic("gemini", "", "temperature in Rome again")
    assert shell.user_ns["u"] == 24.5 and shell.user_ns["get_weather"] is get_weather
    assert len(scripted(shell).requests) == 2
    scripted(shell).push(
        fence("get_weather = lambda city: {'temp': 1.0}\nv = get_weather('Rome')['temp']"),
        fence("v = get_weather('Rome')['temp']"),
    )
    shell.run_cell_magic("gemini", "", "temperature in Rome once more")
    assert shell.user_ns["v"] == 24.5
    repair = scripted(shell).requests[-1].turns[-1].parts[0].text
    assert "redefines your registered function `get_weather`" in repair
    assert "call `get_weather(...)` and keep what it returns under another name" in repair


def test_invalid_arguments_from_code_go_back_for_repair(shell):
    register(get_weather)
    scripted(shell).push(
        fence("t = get_weather('Rome', unit='kelvin')"),
        fence("t = get_weather('Rome', unit='F')['temp']"),
    )
    shell.run_cell_magic("gemini", "", "Rome in kelvin")
    assert shell.user_ns["t"] == pytest.approx(76.1)
    repair = scripted(shell).requests[1].turns[-1].parts[0].text
    assert "InvalidArgumentsError: get_weather() got invalid arguments: unit: expected one of " in (
        repair
    )
    assert "'C', 'F', got 'kelvin' (str)" in repair
    calls = session_for(shell).history.entries[-1].calls
    assert [c.ok for c in calls] == [False, True]


def test_a_column_handed_to_a_function_of_one_value_is_told_to_call_it_per_row(shell):
    @register
    def parcel_cost(weight_kg: float, zone: str) -> float:
        """Cost of one parcel."""
        return weight_kg * 2

    shell.user_ns["parcels"] = pd.DataFrame({"weight_kg": [1.0, 2.0], "zone": ["eu", "eu"]})
    scripted(shell).push(
        fence("costs = parcel_cost(parcels['weight_kg'], 'eu')"),
        fence("costs = [parcel_cost(w, z) for w, z in zip(parcels['weight_kg'], parcels['zone'])]"),
    )
    shell.run_cell_magic("gemini", "", "Price every parcel in `parcels` into `costs`")
    assert shell.user_ns["costs"] == [2.0, 4.0]
    repair = scripted(shell).requests[1].turns[-1].parts[0].text
    assert "parcel_cost() takes one value per argument, not a column (weight_kg): call it once" in (
        repair
    )


def test_function_raising_in_code_fails_like_any_error(shell):
    register(get_weather)
    scripted(shell).push(fence("get_weather('Atlantis')"))
    with pytest.raises(CodeFailedError, match="KeyError: 'Atlantis'"):
        shell.run_cell_magic("gemini", "--max-fixes 0", "weather in Atlantis")
    (call,) = session_for(shell).history.entries[-1].calls
    assert not call.ok and call.summary == "KeyError: 'Atlantis'"


def test_users_own_calls_are_not_wrapped(shell):
    register(get_weather)
    shell.run_cell("r = get_weather('Paris', unit='kelvin')")  # the user's code: no check
    assert shell.user_ns["r"]["temp"] == pytest.approx(64.4)


class _PlacingFrontend:
    """A frontend that takes the code and runs it later as its own cell (as JupyterLab does)."""

    def __init__(self) -> None:
        self.placed: list = []

    def place(self, placement) -> bool:
        self.placed.append(placement)
        return True


def test_code_the_frontend_runs_is_checked_and_logged(shell, capsys):
    from jupyter_codegen.errors import CodeFailedError

    register(get_weather)
    frontend = _PlacingFrontend()
    session_for(shell).frontend = frontend  # type: ignore[assignment]
    scripted(shell).push(fence("t = get_weather('Oslo')['temp']\nbad = get_weather('Oslo', 'K')"))
    shell.run_cell_magic("gemini", "--max-fixes 0", "Oslo")
    assert "t" not in shell.user_ns  # nothing ran yet: the frontend runs it
    capsys.readouterr()
    with pytest.raises(CodeFailedError, match="InvalidArgumentsError: get_weather()"):
        frontend.placed[0].resume()  # the generated cell's own execution
    out = capsys.readouterr().out
    assert "⚙ 2 function calls (2 from code), 1 failed" in out
    assert "✗ code   get_weather(city='Oslo', unit='K') → invalid arguments: unit: expected " in out
    assert shell.user_ns["get_weather"] is get_weather
    shell.run_cell("again = get_weather('Oslo', 'K')")  # once only: now an ordinary cell
    assert shell.user_ns["again"]["temp"] == pytest.approx(48.2)


def test_code_run_after_confirmation_is_checked_and_logged(shell, monkeypatch):
    from jupyter_codegen.notebook import confirm

    register(get_weather)
    monkeypatch.setattr(confirm, "_widgets_available", lambda sh: True)
    scripted(shell).push(fence("t = get_weather('Rome')['temp']"))
    with pytest.raises(confirm.ConfirmationPending) as pending:
        shell.run_cell_magic("gemini", "--confirm", "Rome")
    assert "t" not in shell.user_ns
    pending.value.panel.run()  # the click on Run
    assert shell.user_ns["t"] == 24.5
    (call,) = session_for(shell).history.entries[-1].calls
    assert call.ok and call.args == "city='Rome'"
