"""MCP servers' tools as Python callables in the kernel (issue 16): ``connect_mcp``."""
