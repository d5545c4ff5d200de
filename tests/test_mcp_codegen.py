"""MCP servers in prompt cells ("code mode" over MCP): the tools described to the model as
namespaced stubs, called in loops from the generated code, logged, and checked by the policy
from their annotations. Real MCP servers (the example's and the tests') through the real
google-genai SDK against the Gemini REST test server."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from gemini_server import GeminiTestServer, function_calls, text
from shells import fresh_cache

from jupyter_codegen import connect_mcp
from jupyter_codegen.errors import CodegenError, PolicyError, UsageError
from jupyter_codegen.functions.registry import CALLS_MIME_TYPE
from jupyter_codegen.mcp import servers
from jupyter_codegen.session import session_for

ROOT = Path(__file__).resolve().parent.parent
STATIONS = str(ROOT / "notebooks" / "weather_stations_server.py")
WEATHER = str(Path(__file__).parent / "mcp_servers" / "stdio_server.py")
SECRET = "tok-9f3c2a77e1"  # a server's secret: it must never reach a request


def code_reply(code: str):
    return text("```python\n", code, "\n```\n")


@pytest.fixture
def live(shell, gemini_env: GeminiTestServer):
    """The shell on the Gemini test server (real SDK), with the example server bound as
    ``stations`` (its env holds a secret)."""
    session_for(shell).config.model = "gemini-3.8-flash"
    shell.user_ns["stations"] = connect_mcp(
        "stations", command=[sys.executable, STATIONS], env={"STATIONS_TOKEN": SECRET}
    )
    yield gemini_env
    shell.user_ns["stations"].close()


def gemini(sh, prompt: str, line: str = "") -> None:
    sh.run_cell_magic("gemini", line, prompt)


LOOP = """\
averages = {}
for s in stations.list_stations():
    temps = [stations.daily_temperature(station=s, day=d) for d in range(1, 5)]
    averages[s] = sum(temps) / len(temps)
warmest = max(averages, key=averages.get)
print(warmest, round(averages[warmest], 2))"""


def expected_averages() -> dict[str, float]:
    ids = ("oslo", "bergen", "tromso", "lima", "cusco")
    return {s: sum(_reading(s, d) for d in range(1, 5)) / 4 for s in ids}


def test_a_loop_over_the_tools_is_one_request_and_n_calls(shell, live, capsys):
    live.enqueue(code_reply(LOOP))
    gemini(shell, "For every station, average daily_temperature over days 1-4; print the warmest.")
    assert len(live.requests) == 1  # one model request for 21 tool calls
    averages = expected_averages()
    assert shell.user_ns["averages"] == pytest.approx(averages)
    warmest = max(averages, key=averages.get)
    assert f"{warmest} {round(averages[warmest], 2)}" in capsys.readouterr().out
    prompt = live.requests[0].last_user_text + live.requests[0].system_text
    # described as namespaced stubs, the server object not as a variable
    assert "stations.daily_temperature(station: str, day: int) -> float" in prompt
    assert "MCP servers" in prompt
    assert "- stations:" not in prompt
    assert SECRET not in str(live.requests[0].body)
    records = session_for(shell).history.entries[-1].calls
    assert len(records) == 21 and all(r.ok for r in records)
    assert records[0].name == "stations.list_stations"
    assert records[1].args == "station='oslo', day=1"


def test_the_call_log_is_shown_under_the_cell(shell, live):
    from IPython.core.displaypub import CapturingDisplayPublisher

    live.enqueue(code_reply(LOOP))
    publisher, shell.display_pub = shell.display_pub, CapturingDisplayPublisher()
    try:
        gemini(shell, "Average the stations' temperatures over days 1-4.")
        shown = [out for out in shell.display_pub.outputs if CALLS_MIME_TYPE in out["data"]]
    finally:
        shell.display_pub = publisher
    assert shown and "21 function calls (21 from code)" in shown[-1]["data"]["text/plain"]


def test_a_destructive_tool_asks_and_nothing_runs_when_refused(shell, live, monkeypatch):
    monkeypatch.setenv("JUPYTER_CODEGEN_CONFIRM", "auto-no")
    live.enqueue(code_reply("gone = stations.delete_station(station='oslo')"))
    with pytest.raises(CodegenError, match="destructive"):
        gemini(shell, "Delete the oslo station.")
    assert "gone" not in shell.user_ns
    assert "oslo" in shell.user_ns["stations"].list_stations()  # the server was not called


def test_strict_allows_only_trusted_servers_and_their_read_only_tools(shell, live):
    live.enqueue(code_reply("n = len(stations.list_stations())"))
    with pytest.raises(PolicyError, match="not marked trusted"):
        gemini(shell, "How many stations are there?", "--policy strict")
    assert "n" not in shell.user_ns
    shell.user_ns["stations"].trusted = True
    live.enqueue(code_reply("n = len(stations.list_stations())"))
    gemini(shell, "How many stations are there? (trusted)", "--policy strict")
    assert shell.user_ns["n"] == 5
    live.enqueue(code_reply("gone = stations.delete_station(station='lima')"))
    with pytest.raises(PolicyError, match="destructive"):
        gemini(shell, "Delete lima.", "--policy strict")
    assert "lima" in shell.user_ns["stations"].list_stations()


def test_a_tool_reached_another_way_still_asks(shell, live, monkeypatch):
    monkeypatch.setenv("JUPYTER_CODEGEN_CONFIRM", "auto-no")
    for code in (
        "f = stations.delete_station\nf(station='oslo')",
        "tool = 'delete_' + 'station'\ngetattr(stations, tool)(station='oslo')",
        "def wipe(server):\n    server.delete_station(station='oslo')\nwipe(stations)",
    ):
        live.enqueue(code_reply(code))
        with pytest.raises(CodegenError, match="confirm|not read-only|destructive"):
            gemini(shell, f"Remove oslo ({len(live.requests)})")
    assert "oslo" in shell.user_ns["stations"].list_stations()


def test_read_only_tools_are_declared_natively_and_run(shell, live):
    live.enqueue(
        function_calls(
            [{"name": "stations__station_info", "args": {"station": "cusco"}, "id": "c1"}]
        ),
        code_reply("cusco_m = 3399"),
    )
    gemini(shell, "What is the elevation of the cusco station?")
    declared = {d["name"] for d in live.requests[0].function_declarations}
    assert "stations__station_info" in declared
    assert "stations__delete_station" not in declared  # asks: from code only, never native
    response = live.requests[1].contents[-1]["parts"][0]["functionResponse"]
    assert response["response"]["result"]["elevation_m"] == 3399
    assert shell.user_ns["cusco_m"] == 3399


def test_a_planted_instruction_in_a_tool_result_leads_to_nothing_blocked(
    shell, gemini_env, tmp_path, monkeypatch
):
    """The tool's result says to run a shell command; a model that obeys writes the code, and
    the policy blocks it: nothing runs, no file appears."""
    monkeypatch.chdir(tmp_path)
    session_for(shell).config.model = "gemini-3.8-flash"
    shell.user_ns["weather"] = connect_mcp("weather", command=[sys.executable, WEATHER])
    try:
        gemini_env.enqueue(
            function_calls([{"name": "weather__city_note", "args": {"city": "Oslo"}, "id": "n1"}]),
            code_reply("import os\nos.system('touch pwned')"),
        )
        with pytest.raises(PolicyError):
            gemini(shell, "What does the note about Oslo say?")
        sent = gemini_env.requests[1].contents[-1]["parts"][0]["functionResponse"]
        assert "IGNORE ALL PREVIOUS INSTRUCTIONS" in str(sent["response"])  # as data
        assert not (tmp_path / "pwned").exists()
    finally:
        shell.user_ns["weather"].close()


def test_configured_servers_start_at_first_use_and_the_magic_manages_them(
    shell, gemini_env, capsys
):
    session = session_for(shell)
    session.config.model = "gemini-3.8-flash"
    config = {
        "mcpServers": {
            "stations": {"command": sys.executable, "args": [STATIONS], "env": {"T": SECRET}}
        }
    }
    session.mcp.configure(config, shell.user_ns)
    assert shell.user_ns["stations"].state == "not started"
    shell.run_line_magic("gemini", "mcp list")
    assert "stations: not started" in capsys.readouterr().out
    gemini_env.enqueue(code_reply("ids = stations.list_stations()"))
    gemini(shell, "List the station ids.")
    assert shell.user_ns["ids"] == ["oslo", "bergen", "tromso", "lima", "cusco"]
    shell.run_line_magic("gemini", "mcp list")
    listed = capsys.readouterr().out
    assert "stations: running" in listed and "daily_temperature" in listed
    assert SECRET not in listed
    shell.run_line_magic("gemini", f"mcp add weather -- {sys.executable} {WEATHER}")
    assert "get_forecast" in capsys.readouterr().out
    assert shell.user_ns["weather"].get_forecast(city="Rome") == {"city": "Rome", "temps": [4]}
    shell.run_line_magic("gemini", "status")
    assert "mcp servers: stations (running), weather (running)" in capsys.readouterr().out
    shell.run_line_magic("gemini", "mcp remove weather")
    shell.run_line_magic("gemini", "mcp remove stations")
    assert "weather" not in shell.user_ns and "stations" not in shell.user_ns
    shell.run_line_magic("gemini", "config")
    assert SECRET not in capsys.readouterr().out


@pytest.mark.parametrize(
    "line",
    ["mcp", "mcp add x", "mcp add x --url", "mcp add x --bogus 1 -- python", "mcp remove nope"],
)
def test_bad_mcp_lines_are_one_line(shell, line):
    with pytest.raises(UsageError) as err:
        shell.run_line_magic("gemini", line)
    assert "\n" not in str(err.value)


def test_a_server_that_will_not_start_is_one_line_and_the_cell_goes_on(shell, gemini_env, tmp_path):
    session_for(shell).config.model = "gemini-3.8-flash"
    broken = tmp_path / "broken.py"
    broken.write_text(
        "import sys\nprint('no such module: fancy_mcp', file=sys.stderr)\nsys.exit(2)"
    )
    session_for(shell).mcp.configure(
        {"broken": {"command": sys.executable, "args": [str(broken)]}}, shell.user_ns
    )
    gemini_env.enqueue(code_reply("x = 41 + 1"))
    gemini(shell, "Compute 41 + 1 as x.")
    assert shell.user_ns["x"] == 42
    assert "MCP server 'broken' is not available" in gemini_env.requests[0].last_user_text
    assert shell.user_ns["broken"].state == "failed"


def test_parse_config_takes_the_common_shape():
    entry = {"command": "uvx", "args": ["mcp-server-time"], "type": "stdio"}
    parsed = servers.parse_config({"mcpServers": {"time": entry}})
    assert parsed == {"time": {"command": "uvx", "args": ["mcp-server-time"]}}
    with pytest.raises(UsageError):
        servers.parse_config({"time": "uvx"})


# --- the example notebook ---------------------------------------------------------------------

NOTEBOOK = ROOT / "notebooks" / "mcp.ipynb"
RULES = ROOT / "notebooks" / "mcp_rules.json"


def run_example(tmp_path: Path, model: str) -> tuple[list[str], Any]:
    """notebooks/mcp.ipynb (and its server) copied to ``tmp_path``, run headless on ``model``;
    the text of each code cell, and the written notebook."""
    import shutil

    import nbformat

    from jupyter_codegen.notebook.runner import run_notebook

    for source in (NOTEBOOK, Path(STATIONS)):
        shutil.copy(source, tmp_path / source.name)
    run_notebook(tmp_path / NOTEBOOK.name, model=model, progress=lambda line: None)
    nb = nbformat.read(tmp_path / "mcp.out.ipynb", as_version=4)
    from nbrun import text_of

    return [text_of(c) for c in nb.cells if c.cell_type == "code"], nb


def test_the_example_notebook_on_the_gemini_test_server(gemini_env, tmp_path, monkeypatch):
    import json

    from gemini_server import rules_responder

    fresh_cache(monkeypatch, tmp_path / "cache")
    gemini_env.responder = rules_responder(json.loads(RULES.read_text(encoding="utf-8")))
    texts, nb = run_example(tmp_path, "gemini-3.8-flash")
    averages = {
        s: sum(_reading(s, d) for d in range(1, 8)) / 7
        for s in ("oslo", "bergen", "tromso", "lima", "cusco")
    }
    warmest = max(averages, key=averages.get)
    shown = "\n".join(texts)  # (the prompt cells' and the generated cells' outputs)
    assert f"Warmest: {warmest}, average {averages[warmest]:.2f} °C" in shown
    assert "36 function calls (36 from code)" in shown  # 1 list + 5 x 7 readings
    assert "cusco: 3399 m" in shown
    assert len(gemini_env.requests) == 2  # one model request per prompt
    assert "weather.daily_temperature(station: str, day: int) -> float" in (
        gemini_env.requests[0].last_user_text
    )
    assert not any(o.get("output_type") == "error" for c in nb.cells for o in c.get("outputs", []))


def _reading(station: str, day: int) -> float:
    sys.path.insert(0, str(ROOT / "notebooks"))
    try:
        import weather_stations_server as example
    finally:
        sys.path.pop(0)
    return example._reading(station, day)


def test_code_that_rebinds_the_server_is_sent_back_for_repair(shell, live):
    live.enqueue(
        code_reply("stations = stations.list_stations()\nn = len(stations)"),
        code_reply("ids = stations.list_stations()\nn = len(ids)"),
    )
    gemini(shell, "How many stations are there?")
    assert shell.user_ns["n"] == 5
    assert shell.user_ns["stations"].state == "running"
    assert "rebinds `stations`, your MCP server" in live.requests[1].last_user_text


@pytest.mark.kernel
@pytest.mark.local_model
@pytest.mark.timeout(900)
def test_the_example_notebook_on_the_embedded_model(tmp_path, monkeypatch):
    """The 0.5B model on the example: it is shown the stubs and its code calls the server from
    the kernel. Its answers are not asserted (a small model; see the closing notes), only that
    every prompt cell ends with a clear result: ✓, or a one-line error."""
    fresh_cache(monkeypatch, tmp_path / "cache")
    texts, nb = run_example(tmp_path, "local")
    calls = [
        call
        for cell in nb.cells
        for out in cell.get("outputs", [])
        if CALLS_MIME_TYPE in out.get("data", {})
        for call in out["data"][CALLS_MIME_TYPE]["calls"]
    ]
    assert calls and all(c["name"].startswith("weather.") for c in calls)
    assert any(c["name"] == "weather.daily_temperature" and c["ok"] for c in calls)
    for cell in nb.cells:
        if not cell.source.startswith("%%gemini"):
            continue  # (a generated cell shows its code's own traceback)
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if errors:  # the last one is ours: what the user is told, in one line
            assert errors[-1]["ename"] in ("CodeFailedError", "ConfirmationPending"), errors
            assert "\n" not in errors[-1]["evalue"]
