"""MCP server and tool definitions: the agent's whole reach (issue 6)."""
