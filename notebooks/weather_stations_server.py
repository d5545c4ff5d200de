"""A small MCP server shipped with the examples (notebooks/mcp.ipynb): weather stations and
their daily readings, on the official ``mcp`` SDK. Run as ``python weather_stations_server.py``
(stdio) or ``python weather_stations_server.py --http PORT`` (streamable HTTP at /mcp).

The readings are made up but fixed, so the notebook's answers can be checked."""

from __future__ import annotations

import sys

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations

server = MCPServer("stations")

STATIONS = {
    "oslo": {"city": "Oslo", "elevation_m": 94},
    "bergen": {"city": "Bergen", "elevation_m": 12},
    "tromso": {"city": "Tromsø", "elevation_m": 100},
    "lima": {"city": "Lima", "elevation_m": 154},
    "cusco": {"city": "Cusco", "elevation_m": 3399},
}
READ_ONLY = ToolAnnotations(read_only_hint=True)


def _reading(station: str, day: int) -> float:
    base = {"oslo": 4.0, "bergen": 7.5, "tromso": -2.0, "lima": 19.0, "cusco": 11.5}[station]
    return round(base + ((day * 7 + len(station) * 3) % 11 - 5) * 0.5, 1)


@server.tool(annotations=READ_ONLY)
def list_stations() -> list[str]:
    """The ids of every weather station."""
    return list(STATIONS)


@server.tool(annotations=READ_ONLY)
def station_info(station: str) -> dict:
    """A station's city and elevation in metres."""
    if station not in STATIONS:
        raise ToolError(f"unknown station {station!r}; see list_stations()")
    return {"station": station, **STATIONS[station]}


@server.tool(annotations=READ_ONLY)
def daily_temperature(station: str, day: int) -> float:
    """The mean temperature in °C at a station on a day of the year (1-365)."""
    if station not in STATIONS:
        raise ToolError(f"unknown station {station!r}; see list_stations()")
    if not 1 <= day <= 365:
        raise ToolError("day must be 1-365")
    return _reading(station, day)


@server.tool(annotations=ToolAnnotations(destructive_hint=True))
def delete_station(station: str) -> bool:
    """Delete a station and all its readings."""
    return STATIONS.pop(station, None) is not None


if __name__ == "__main__":
    if sys.argv[1:2] == ["--http"]:
        import uvicorn

        uvicorn.run(server.streamable_http_app(), host="127.0.0.1", port=int(sys.argv[2]))
    else:
        server.run()
