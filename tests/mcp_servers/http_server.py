"""A real streamable-HTTP MCP server for the tests: ``python http_server.py PORT``.

It requires the header ``Authorization: Bearer test-token`` on every request."""

from __future__ import annotations

import sys

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations

server = MCPServer("notes")
NOTES: dict[str, str] = {}


@server.tool(annotations=ToolAnnotations(read_only_hint=True))
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@server.tool(annotations=ToolAnnotations(destructive_hint=True))
def delete_note(title: str) -> bool:
    """Delete a note."""
    return NOTES.pop(title, None) is not None


if __name__ == "__main__":
    import uvicorn
    from starlette.middleware.base import BaseHTTPMiddleware
    from starlette.responses import PlainTextResponse

    app = server.streamable_http_app()

    async def check_token(request, call_next):  # type: ignore[no-untyped-def]
        if request.headers.get("authorization") != "Bearer test-token":
            return PlainTextResponse("unauthorized", status_code=401)
        return await call_next(request)

    app.add_middleware(BaseHTTPMiddleware, dispatch=check_token)
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
