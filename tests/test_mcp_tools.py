"""Tool schemas to Python callables (jupyter_codegen/mcp/tools.py): no server needed."""

from __future__ import annotations

import inspect

import pytest

from jupyter_codegen.errors import MCPError
from jupyter_codegen.mcp.client import python_name
from jupyter_codegen.mcp.tools import make_callable, tool_signature

SCHEMA = {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "unit": {"type": "string", "enum": ["C", "F"], "default": "C"},
        "days": {"type": "integer", "default": 1},
    },
    "required": ["city"],
}


def test_signature_from_schema() -> None:
    sig = tool_signature("f", SCHEMA)
    assert str(sig) == "(city: str, unit: str = 'C', days: int = 1) -> Any"


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "array"},
        {"type": "object", "properties": ["city"]},
        {"type": "object", "properties": {"not valid": {"type": "string"}}},
        "nonsense",
    ],
)
def test_malformed_schema_is_one_line(schema: object) -> None:
    with pytest.raises(MCPError, match="tool 'f'"):
        tool_signature("f", schema)


def test_arguments_checked_and_sent() -> None:
    sent: list[dict] = []
    fn = make_callable("forecast", "Forecast.", SCHEMA, lambda args: sent.append(args) or "ok")
    assert fn(city="Oslo", days=2) == "ok"
    assert sent == [{"city": "Oslo", "days": 2}]
    assert fn("Lima", "F") == "ok"  # positional, in the schema's order
    assert sent[-1] == {"city": "Lima", "unit": "F"}
    assert inspect.getdoc(fn) == "Forecast."
    with pytest.raises(TypeError, match="one of"):
        fn(city="Oslo", unit="K")
    with pytest.raises(TypeError, match="missing"):
        fn()
    with pytest.raises(TypeError, match="too many"):
        fn("Oslo", "C", 1, 2)
    assert len(sent) == 2


def test_python_names() -> None:
    assert python_name("get-forecast") == "get_forecast"
    assert python_name("3d") == "_3d"


def test_a_tool_with_a_malformed_schema_is_skipped_with_a_note() -> None:
    from mcp.types import Tool

    from jupyter_codegen.mcp.client import MCPServer
    from jupyter_codegen.mcp.runtime import Connection, ServerSpec

    connection = Connection(ServerSpec(name="mixed", command=["unused"]))
    connection.tools = [
        Tool(name="good", input_schema=SCHEMA),
        Tool(name="bad", input_schema={"type": "object", "properties": {"a b": {}}}),
    ]
    connection.state = "running"  # (listed already: nothing to start)
    server = MCPServer(connection)
    assert list(server.tools) == ["good"]
    assert "bad" in server.skipped and "cannot be a Python argument" in server.skipped["bad"]
    with pytest.raises(AttributeError, match="has no tool 'bad'"):
        server.bad  # noqa: B018


def test_stubs_are_namespaced_and_bounded_for_many_tools() -> None:
    from jupyter_codegen.mcp.stubs import describe_server

    out = {"type": "object", "properties": {"result": {"type": "integer"}}}
    tools = {
        f"tool_{i}": make_callable(f"tool_{i}", f"Tool number {i}.", SCHEMA, lambda a: a, out)
        for i in range(120)
    }
    tools["get_forecast"] = make_callable("get_forecast", "Weather forecast.", SCHEMA, print)
    lines = describe_server("weather", tools, "the weather forecast for Oslo", full=5)
    assert lines[1].startswith("weather.get_forecast(city: str, unit: str = 'C'")
    assert len(lines) == 7 and "116 more tools" in lines[-1]
    small = describe_server("calc", {"t": tools["tool_1"]}, "")
    assert small[1] == "calc.t(city: str, unit: str = 'C', days: int = 1) -> int  # Tool number 1."
    full_text = sum(len(s) for s in describe_server("w", tools, "", full=len(tools)))
    assert sum(len(s) for s in lines) < full_text / 3
