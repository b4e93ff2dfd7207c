"""Helpers for the security tests: every HTTP operation the app has, read from its own
OpenAPI schema at test time, so a route added later is probed without editing the tests.

An ``Operation`` knows its method, path template, parameters and JSON body schema;
``example_body`` builds a small valid-looking body from that schema (refs resolved), and
``fill`` puts values into the path template.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI

PUBLIC = {("POST", "/api/session"), ("DELETE", "/api/session")}
"""Operations that answer without credentials: signing in, and signing out (which only
clears the caller's own cookie and reveals nothing)."""

FRAMEWORK_PUBLIC = ("/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc")
"""FastAPI's own pages: they describe the API's shape, never anyone's data."""


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    path_params: tuple[str, ...]
    query: dict[str, dict[str, Any]] = field(default_factory=dict)
    body: dict[str, Any] | None = None

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def is_admin(self) -> bool:
        return self.path.startswith("/api/admin")

    def fill(self, value: Callable[[str], str]) -> str:
        """The path with each ``{param}`` replaced by ``value(param)``."""
        return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: value(m.group(1)), self.path)


def operations(app: FastAPI) -> list[Operation]:
    """Every operation in the app's OpenAPI schema, bodies resolved."""
    schema = app.openapi()
    found = []
    for path, item in schema["paths"].items():
        for method, spec in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            params = spec.get("parameters", []) + item.get("parameters", [])
            body = (
                spec.get("requestBody", {})
                .get("content", {})
                .get("application/json", {})
                .get("schema")
            )
            found.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    path_params=tuple(p["name"] for p in params if p["in"] == "path"),
                    query={
                        p["name"]: resolve(schema, p.get("schema", {}))
                        for p in params
                        if p["in"] == "query"
                    },
                    body=resolve(schema, body) if body is not None else None,
                )
            )
    assert found, "the app's schema lists no operations"
    return found


def resolve(root: dict[str, Any], node: Any, depth: int = 0) -> Any:
    """``node`` with every ``$ref`` replaced by what it points to (bounded for cycles)."""
    if depth > 12:
        return {}
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = root
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            return resolve(root, target, depth + 1)
        return {k: resolve(root, v, depth + 1) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve(root, v, depth + 1) for v in node]
    return node


def example_body(schema: dict[str, Any], text: Callable[[str], Any]) -> Any:
    """A value shaped like ``schema``; strings (and named fields) come from ``text(name)``,
    which may return any JSON value for fields it knows (an id, a model name)."""
    return _example(schema, "", text)


def _example(schema: dict[str, Any], name: str, text: Callable[[str], Any]) -> Any:
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return _example(options[0], name, text)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {key: _example(props[key], key, text) for key in props}
    if kind == "array":
        return [_example(schema.get("items", {}), name, text)]
    if kind == "integer":
        value = text(name)
        return value if isinstance(value, int) else max(1, int(schema.get("minimum", 1)))
    if kind == "number":
        return float(schema.get("minimum", 1))
    if kind == "boolean":
        return False
    value = text(name)
    return value if value is not None else "x"


def error_message(payload: Any) -> str:
    """The ``error.message`` of an error body (asserting its shape on the way)."""
    assert isinstance(payload, dict) and isinstance(payload.get("error"), dict), payload
    message = payload["error"].get("message")
    assert isinstance(message, str) and message.strip(), payload
    return message
