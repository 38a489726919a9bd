"""Checks a real API response against the schema /api/v1/openapi.json documents for it.

The OpenAPI 3.0 schemas are turned into JSON Schema (``nullable`` becomes a ``null`` type,
references are inlined) and made strict: an object may carry only the properties its schema
names, so a key the API sends but does not document is a failure too."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema_rs

RULE_ARGUMENT = re.compile(r"<(?:[a-z]+:)?([a-zA-Z_]+)>")


def openapi_path(rule: str) -> str:
    """``/api/v1/lots/<int:lot_id>`` (a Flask rule) → ``/api/v1/lots/{lot_id}``."""
    return RULE_ARGUMENT.sub(r"{\1}", rule)


class ResponseChecker:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self._validators: dict[tuple[str, str, str], Any] = {}

    def _resolve(self, node: Any) -> Any:
        while isinstance(node, dict) and "$ref" in node:
            _hash, *parts = node["$ref"].split("/")
            node = self.spec
            for part in parts:
                node = node[part]
        return node

    def json_schema(self, node: Any, depth: int = 0) -> Any:
        """The OpenAPI schema ``node`` as strict JSON Schema."""
        if depth > 40:
            raise ValueError("schema nests too deep (a reference cycle?)")
        node = self._resolve(node)
        if isinstance(node, list):
            return [self.json_schema(item, depth + 1) for item in node]
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in ("nullable", "readOnly", "writeOnly", "example", "format"):
                continue
            if key == "properties":
                out[key] = {
                    name: self.json_schema(inner, depth + 1) for name, inner in value.items()
                }
            elif key in (
                "items",
                "additionalProperties",
                "not",
                "allOf",
                "oneOf",
                "anyOf",
            ) and isinstance(value, dict | list):
                out[key] = self.json_schema(value, depth + 1)
            else:
                out[key] = value
        if "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        if node.get("nullable"):
            if "type" in out:
                types = out["type"] if isinstance(out["type"], list) else [out["type"]]
                out["type"] = [*types, "null"]
            else:
                out = {"anyOf": [out, {"type": "null"}]} if out else {}
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        return out

    def documented(self, method: str, rule: str, status: int) -> dict[str, Any] | None:
        """The response object documented for this status (or ``default``), or None."""
        operation = self.spec["paths"].get(openapi_path(rule), {}).get(method.lower())
        if operation is None:
            return None
        responses = operation["responses"]
        found = responses.get(str(status), responses.get("default"))
        return None if found is None else self._resolve(found)

    def problems(
        self, method: str, rule: str, status: int, content_type: str, body: bytes
    ) -> list[str]:
        """What is wrong with this response against the document (empty when it conforms)."""
        where = f"{method} {openapi_path(rule)} → {status}"
        response = self.documented(method, rule, status)
        if response is None:
            return [f"{where}: operation or status not documented"]
        content = response.get("content") or {}
        if status == 204:
            return []  # the server sends no body with a 204, whatever the view returned
        if not content:
            return [] if not body else [f"{where}: a body where none is documented"]
        if "application/json" not in content:
            documented = set(content)
            sent = content_type.split(";")[0].strip()
            return [] if sent in documented else [f"{where}: {sent} not in {documented}"]
        if not content_type.startswith("application/json"):
            return [f"{where}: {content_type} where JSON is documented"]
        schema = content["application/json"].get("schema")
        if schema is None:
            return [f"{where}: JSON body without a documented schema"]
        key = (method.lower(), openapi_path(rule), str(status))
        if key not in self._validators:
            self._validators[key] = jsonschema_rs.validator_for(
                self.json_schema(schema), validate_formats=False
            )
        errors = [
            f"{where}: {error.message} at {'/'.join(map(str, error.instance_path))}"
            for error in self._validators[key].iter_errors(json.loads(body))
        ]
        return errors[:5]
