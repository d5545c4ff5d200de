"""connect_mcp against a real stdio MCP server (tests/mcp_servers/stdio_server.py)."""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

import pytest

from jupyter_codegen import connect_mcp
from jupyter_codegen.errors import MCPError

SERVER = str(Path(__file__).parent / "mcp_servers" / "stdio_server.py")


@pytest.fixture(scope="module")
def weather():
    server = connect_mcp(
        "weather", command=[sys.executable, SERVER], env={"API_TOKEN": "s3cr3t"}, timeout=5
    )
    yield server
    server.close()


def test_tools_have_signatures_and_docstrings(weather) -> None:
    sig = inspect.signature(weather.get_forecast)
    assert list(sig.parameters) == ["city", "days"]
    assert sig.parameters["city"].annotation is str
    assert sig.parameters["days"].default == 1
    assert "Forecast for a city" in weather.get_forecast.__doc__


def test_structured_result_and_loop(weather) -> None:
    results = [weather.get_forecast(city=c, days=2) for c in ["Oslo", "Lima"] * 10]
    assert len(results) == 20
    assert results[0] == {"city": "Oslo", "temps": [4, 5]}
    assert weather.pid() > 0  # a non-object return is unwrapped from {"result": ...}


def test_env_reaches_server(weather) -> None:
    assert weather.echo_env(name="API_TOKEN") == "s3cr3t"


def test_arguments_checked_before_the_call(weather) -> None:
    with pytest.raises(TypeError, match="'days' must be integer"):
        weather.get_forecast(city="Oslo", days="two")
    with pytest.raises(TypeError, match="get_forecast"):
        weather.get_forecast(town="Oslo")


def test_tool_error_is_ours(weather) -> None:
    with pytest.raises(MCPError, match="reported an error: .*boom"):
        weather.fail(message="boom")


def test_hang_times_out_and_server_stays_usable(weather) -> None:
    with pytest.raises(MCPError, match="timed out after 5s"):
        weather.hang(seconds=30)
    assert weather.get_forecast(city="Rome")["city"] == "Rome"


def test_crash_marks_down_then_restarts() -> None:
    server = connect_mcp("crashy", command=[sys.executable, SERVER], timeout=10)
    try:
        first = server.pid()
        with pytest.raises(MCPError, match="crashy.crash"):
            server.crash()
        assert server.state == "down"
        assert server.pid() != first  # the next call restarted it
        assert server.state == "running"
    finally:
        server.close()


def test_server_that_will_not_start(tmp_path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import sys\nprint('no such module: nothing', file=sys.stderr)\nsys.exit(2)\n")
    with pytest.raises(MCPError) as info:
        connect_mcp("bad", command=[sys.executable, str(bad)])
    line = str(info.value)
    assert "\n" not in line and "did not start" in line and str(bad) in line
    assert "no such module" in line


def test_secrets_stay_out_of_reprs_and_errors(weather, tmp_path) -> None:
    assert "s3cr3t" not in repr(weather) and "s3cr3t" not in repr(vars(weather))
    bad = tmp_path / "bad.py"
    bad.write_text("import sys\nsys.exit(2)\n")
    with pytest.raises(MCPError) as info:
        connect_mcp("bad", command=[sys.executable, str(bad)], env={"API_TOKEN": "s3cr3t"})
    assert "s3cr3t" not in str(info.value)
