"""The server door: web UI, WebSocket chat, REST, OpenAI-compatible API and MCP over HTTP,
all calling the one ``Companion`` (see ``app.create_app``)."""
