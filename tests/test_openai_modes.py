"""Every mode of ``%%gemini`` on an OpenAI-compatible server: the real ``openai`` SDK against
tests/openai_server.py, in a real InteractiveShell. Code mode with a repair and pins,
``--answer``, ``--ui=code``, ``--ui=spec`` (JSON-schema output where the server takes it, text
and validation where it answers 400 or where ``openai_lacks`` says so), and registered functions
called from code and as native tool calls. Each test checks what the server received."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import ipywidgets as widgets
import pytest
from IPython.core.interactiveshell import InteractiveShell
from openai_server import Chat, OpenAITestServer, Reply, Status
from ui_support import DASHBOARD, sales_frame

from jupyter_codegen import register
from jupyter_codegen.errors import UsageError
from jupyter_codegen.modes.answer import FINAL_MARK
from jupyter_codegen.session import session_for
from jupyter_codegen.ui.exercise import live_widgets
from jupyter_codegen.ui.render import SurfaceView

MODEL = "openai:tiny-coder"
WEATHER = {"Paris": 18.0, "Rome": 24.5, "Oslo": 9.0, "Cairo": 31.0}


def fence(code: str) -> str:
    return f"Here it is.\n```python\n{code}\n```\n"


@dataclass
class Served:
    """The shell on ``MODEL``, the scripted server, and the replies it gives in turn (the last
    one again once they run out); ``respond`` overrides them where a reply depends on the
    request."""

    shell: InteractiveShell
    server: OpenAITestServer
    replies: list[Reply] = field(default_factory=list)
    respond: Callable[[dict[str, Any], int], Reply] | None = None

    def answer(self, body: dict[str, Any], n: int) -> Reply:
        if self.respond is not None:
            return self.respond(body, n)
        return self.replies[min(n, len(self.replies)) - 1]

    def bodies(self) -> list[dict[str, Any]]:
        return [r.body for r in self.server.chat_requests()]

    def cell(self, line: str, prompt: str) -> Any:
        return self.shell.run_cell_magic("gemini", line, prompt)


@pytest.fixture
def served(shell: InteractiveShell, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    holder: list[Served] = []
    with OpenAITestServer(lambda body, n: holder[0].answer(body, n)) as server:
        holder.append(Served(shell, server))
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        monkeypatch.delenv("OPENAI_API_KEY", raising=False)
        session_for(shell).config.model = MODEL
        yield holder[0]


def messages_text(body: dict[str, Any], role: str) -> str:
    return "\n".join(str(m.get("content") or "") for m in body["messages"] if m.get("role") == role)


# --- code mode ------------------------------------------------------------------------------


def test_code_that_raises_is_repaired_in_a_second_request(served: Served, capsys: Any) -> None:
    served.shell.user_ns["prices"] = [3.5, 1.25, 7.0]
    served.replies += [
        Chat(text=fence("total = sum(prices) * factor")),  # NameError: the model's slip
        Chat(text=fence("total = sum(prices) * 2")),
    ]
    served.cell("", "Set `total` to twice the sum of `prices`.")
    assert served.shell.user_ns["total"] == 23.5
    first, repair = served.bodies()
    assert "prices" in messages_text(first, "user")
    # The repair request carries the failed code and its error, after the model's own turn.
    assert "sum(prices) * factor" in messages_text(repair, "assistant")
    assert "NameError" in messages_text(repair, "user")
    assert "✓ openai:tiny-coder · repaired after 2 attempts" in capsys.readouterr().out


def test_a_rerun_is_pinned_and_makes_no_request(served: Served, capsys: Any) -> None:
    served.shell.user_ns["values"] = [4, 9, 2]
    served.replies.append(Chat(text=fence("biggest = max(values)")))
    served.cell("", "Set `biggest` to the largest of `values`.")
    assert served.shell.user_ns["biggest"] == 9
    served.shell.user_ns["values"] = [4, 11, 2]
    capsys.readouterr()
    served.cell("", "Set `biggest` to the largest of `values`.")
    assert len(served.bodies()) == 1  # the pinned code ran on today's data, no model call
    assert served.shell.user_ns["biggest"] == 11
    assert "✓ openai:tiny-coder · pinned" in capsys.readouterr().out


# --- --answer -------------------------------------------------------------------------------


def test_answer_mode_runs_a_step_sees_its_output_then_answers(served: Served, capsys: Any) -> None:
    served.shell.user_ns["loan"] = 200_000
    served.replies += [
        Chat(
            text=fence(
                "rate = 0.04 / 12\nn = 20 * 12\n"
                "payment = loan * rate / (1 - (1 + rate) ** -n)\n"
                "print('payment', round(payment, 2))"
            )
        ),
        Chat(text=f"{FINAL_MARK}\nThe monthly payment is **1,211.96**."),
    ]
    served.cell("--answer", "What monthly payment repays `loan` at 4% over 20 years?")
    assert round(served.shell.user_ns["payment"], 2) == 1211.96
    first, second = served.bodies()
    assert FINAL_MARK in messages_text(first, "system")
    assert "loan: int = 200000" in messages_text(first, "user")
    # The step's printed output went back to the model before it answered.
    assert "payment 1211.96" in second["messages"][-1]["content"]
    assert second["messages"][-2]["role"] == "assistant"
    out = capsys.readouterr().out
    assert "1,211.96" in out and "⚠" not in out  # the number is backed by the step's output


# --- --ui=code ------------------------------------------------------------------------------

SLIDER = """\
import ipywidgets as widgets
from IPython.display import display
month = widgets.IntSlider(min=1, max=12, description="Month")
out = widgets.Output()
def show(change):
    with out:
        out.clear_output(wait=True)
        print(sales[sales.month == change["new"]].revenue.sum())
month.observe(show, "value")
display(widgets.VBox([month, out]))
"""


def test_ui_code_builds_widgets_bound_to_the_data(served: Served) -> None:
    served.shell.user_ns["sales"] = sales_frame()
    served.replies.append(Chat(text=fence(SLIDER)))
    served.cell("--ui=code", "a month slider showing that month's revenue")
    (body,) = served.bodies()
    assert "response_format" not in body
    assert "ipywidgets" in messages_text(body, "system")
    assert "sales: pandas.DataFrame" in messages_text(body, "user")
    slider = served.shell.user_ns["month"]
    assert isinstance(slider, widgets.IntSlider) and slider.value == 1  # exercised, left as it was


# --- --ui=spec ------------------------------------------------------------------------------


def surfaces() -> list[Any]:
    return [w.surface for w in live_widgets().values() if isinstance(w, SurfaceView)]


def _spec_surface(before: int) -> Any:
    views = surfaces()
    assert len(views) == before + 1
    return views[-1]


def test_ui_spec_asks_for_json_schema_output_where_the_server_takes_it(served: Served) -> None:
    served.shell.user_ns["sales"] = sales_frame()
    served.replies.append(Chat(text=json.dumps(DASHBOARD)))
    before = len(surfaces())
    served.cell("--ui=spec", "region dropdown, month range and a chart for `sales`")
    (body,) = served.bodies()
    schema = body["response_format"]["json_schema"]["schema"]
    assert body["response_format"]["type"] == "json_schema" and schema["type"] == "array"
    view = _spec_surface(before)
    assert view.errors == {}
    chart = view.widget("chart").value
    view.widget("region").value = "East"
    assert (
        view.data["region"] == "East" and view.widget("chart").value != chart
    )  # bound to the live `sales`


def _rejects_response_format(body: dict[str, Any], n: int) -> Reply:
    if "response_format" in body:
        return Status(400, "response_format is not supported by this server")
    return Chat(text="The spec:\n```json\n" + json.dumps(DASHBOARD) + "\n```")


def test_ui_spec_falls_back_to_text_and_validation_on_a_400_with_one_note(
    served: Served, capsys: Any
) -> None:
    served.shell.user_ns["sales"] = sales_frame()
    served.respond = _rejects_response_format
    before = len(surfaces())
    served.cell("--ui=spec", "a sales dashboard")
    rejected, again = served.bodies()
    assert "response_format" in rejected and "response_format" not in again
    assert _spec_surface(before).errors == {}
    served.cell("--ui=spec", "another sales dashboard")
    assert len(served.bodies()) == 3  # remembered: asked for text at once
    assert "response_format" not in served.bodies()[2]
    notes = [
        line
        for line in capsys.readouterr().out.splitlines()
        if "does not support JSON-schema output" in line
    ]
    assert len(notes) == 1, notes
    assert "openai_lacks=response_format" in notes[0]


def test_openai_lacks_leaves_response_format_out_from_the_start(
    served: Served, capsys: Any
) -> None:
    served.shell.user_ns["sales"] = sales_frame()
    served.respond = _rejects_response_format
    served.shell.run_line_magic("gemini", "config openai_lacks=response_format")
    before = len(surfaces())
    served.cell("--ui=spec", "a sales dashboard")
    (body,) = served.bodies()  # no failed first request
    assert "response_format" not in body
    assert _spec_surface(before).errors == {}
    assert "does not support" not in capsys.readouterr().out  # declared: nothing to note


# --- registered functions -------------------------------------------------------------------


@pytest.fixture
def weather(served: Served) -> list[str]:
    """``get_weather`` registered in the shell; the cities it was called for."""
    called: list[str] = []

    def get_weather(city: str, unit: Literal["C", "F"] = "C") -> dict:
        """Current weather for a city.

        Args:
            city: City name, e.g. "Paris".
            unit: Temperature unit.
        """
        called.append(city)
        temp = WEATHER[city]
        return {"city": city, "temp": temp if unit == "C" else round(temp * 9 / 5 + 32, 1)}

    register(get_weather)
    return called


def test_functions_called_from_generated_code(
    served: Served, weather: list[str], capsys: Any
) -> None:
    served.replies.append(
        Chat(
            text=fence(
                "temps = {c: get_weather(c)['temp'] for c in ['Paris', 'Rome', 'Oslo', 'Cairo']}\n"
                "top = sorted(temps, key=temps.get, reverse=True)[:3]"
            )
        )
    )
    served.cell("--tools code", "The three warmest of Paris, Rome, Oslo, Cairo into `top`.")
    assert served.shell.user_ns["top"] == ["Cairo", "Rome", "Paris"]
    assert weather == ["Paris", "Rome", "Oslo", "Cairo"]
    (body,) = served.bodies()  # four calls, one model request
    assert "tools" not in body
    assert "get_weather(city: str" in messages_text(body, "user")  # described as a callable
    assert "⚙ 4 function calls (4 from code)" in capsys.readouterr().out


def test_a_call_written_as_json_text_goes_back_for_repair(
    served: Served, weather: list[str], capsys: Any
) -> None:
    """A small model on a server without tools writes the call as JSON: not a ✓ (issue 17's
    quickstart through llama.cpp's server showed the dict and said ✓)."""
    as_json = '{"name": "get_weather", "arguments": {"city": "Rome"}}'
    served.replies.append(Chat(text=fence(as_json)))
    served.replies.append(Chat(text=fence("rome = get_weather('Rome')['temp']")))
    served.cell("--tools code", "Rome's temperature into `rome`.")
    assert served.shell.user_ns["rome"] == 24.5
    first, second = served.bodies()
    assert "`get_weather` written as JSON text" in json.dumps(second)
    assert "written as JSON" in capsys.readouterr().out  # the attempt line says why


def test_native_tool_call_runs_and_its_result_goes_back_as_a_tool_message(
    served: Served, weather: list[str], capsys: Any
) -> None:
    served.replies += [
        Chat(tool_calls=[("get_weather", {"city": "Rome"})], finish="tool_calls"),
        Chat(text=fence("rome_temp = 24.5\nprint('Rome is', rome_temp)")),
    ]
    served.cell("", "How warm is Rome? Put it in `rome_temp`.")
    assert weather == ["Rome"]
    assert served.shell.user_ns["rome_temp"] == 24.5  # the final reply's code ran
    first, second = served.bodies()
    assert [t["function"]["name"] for t in first["tools"]] == ["get_weather"]
    assert first["tools"][0]["function"]["parameters"]["properties"]["unit"]["enum"] == ["C", "F"]
    call, result = second["messages"][-2:]
    assert call["role"] == "assistant"
    assert [
        (c["id"], c["function"]["name"], json.loads(c["function"]["arguments"]))
        for c in call["tool_calls"]
    ] == [("call_0", "get_weather", {"city": "Rome"})]
    assert result["role"] == "tool" and result["tool_call_id"] == "call_0"
    assert json.loads(result["content"]) == {"result": {"city": "Rome", "temp": 24.5}}
    out = capsys.readouterr().out
    assert "✓ native get_weather(city='Rome') → {'city': 'Rome', 'temp': 24.5}" in out
    assert "Rome is 24.5" in out


def test_openai_lacks_tools_sends_no_tools_and_status_says_so(
    served: Served, weather: list[str], capsys: Any
) -> None:
    def respond(body: dict[str, Any], n: int) -> Reply:
        if "tools" in body:
            return Status(400, "tools are not supported")
        city = "Paris" if n == 1 else "Oslo"
        return Chat(text=fence(f"temp_{n} = get_weather('{city}')['temp']"))

    served.respond = respond
    served.shell.run_line_magic("gemini", "config openai_lacks=tools")
    served.cell("", "Paris's temperature into `temp_1`.")
    served.cell("", "Oslo's temperature into `temp_2`.")
    assert (served.shell.user_ns["temp_1"], served.shell.user_ns["temp_2"]) == (18.0, 9.0)
    assert weather == ["Paris", "Oslo"]
    first, second = served.bodies()  # no failed request, no retry
    assert "tools" not in first and "tools" not in second
    # From the first cell on (before any backend exists too) the functions are callables only.
    for body in (first, second):
        assert "also available to you as tools" not in messages_text(body, "system")
        assert "get_weather(city: str" in messages_text(body, "user")
    capsys.readouterr()
    served.shell.run_line_magic("gemini", "status")
    out = capsys.readouterr().out
    assert (
        "server: native function calls (tools): no (openai_lacks) · "
        "JSON-schema output (response_format): yes"
    ) in out


def test_status_says_what_a_400_revealed(served: Served, capsys: Any) -> None:
    served.respond = _rejects_response_format
    served.shell.user_ns["sales"] = sales_frame()
    served.shell.run_line_magic("gemini", "status")
    assert "JSON-schema output (response_format): yes" in capsys.readouterr().out
    served.cell("--ui=spec", "a sales dashboard")
    capsys.readouterr()
    served.shell.run_line_magic("gemini", "status")
    assert "JSON-schema output (response_format): no (the server rejected it)" in (
        capsys.readouterr().out
    )


def test_openai_lacks_takes_only_known_features(served: Served) -> None:
    config = session_for(served.shell).config
    served.shell.run_line_magic("gemini", "config openai_lacks=Response_Format,tools")
    assert config.openai_lacks == "response_format,tools"
    with pytest.raises(UsageError, match="Bad value for openai_lacks") as info:
        served.shell.run_line_magic("gemini", "config openai_lacks=vision")
    assert "\n" not in str(info.value)
    assert config.openai_lacks == "response_format,tools"
