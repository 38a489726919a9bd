"""Every endpoint of the running app, found from its URL map, its OpenAPI document and the
forms its pages render — so endpoints added later are fuzzed without editing this suite."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Rule

from tests.hostile.world import World, forms_in

SKIP_ENDPOINTS = {"static", "bootstrap.static"}
# Fuzzed only anonymously: a signed-in actor would end its own session.
SESSION_ENDING = {
    ("accounts.logout", "POST"),
    ("api_auth.TokenResource", "DELETE"),
    ("accounts.change_password", "POST"),
}
COMMON_QUERY = (
    "q",
    "page",
    "per_page",
    "sort",
    "field",
    "status",
    "kind",
    "year",
    "region",
    "next",
    "lang",
    "limit",
    "maturity",
    "ip_type",
    "mode",
    "price_min",
    "price_max",
)


@dataclass
class Endpoint:
    rule: str
    endpoint: str
    method: str
    arguments: dict[str, str]  # name -> converter ("int", "default", "any", ...)
    api: bool
    body: dict[str, dict[str, Any]] = field(default_factory=dict)  # JSON property schemas
    query: dict[str, dict[str, Any]] = field(default_factory=dict)  # query parameter schemas
    form: dict[str, str] = field(default_factory=dict)  # form field -> input type

    @property
    def id(self) -> str:
        return f"{self.method} {self.rule}"

    def path(self, values: dict[str, str]) -> str:
        return PLACEHOLDER.sub(lambda m: values[m.group(3)], self.rule)

    def choices(self, name: str) -> list[str]:
        """The options of an ``any(...)`` converter."""
        for match in PLACEHOLDER.finditer(self.rule):
            if match.group(3) == name and match.group(2):
                return [option.strip() for option in match.group(2).split(",")]
        return []


PLACEHOLDER = re.compile(r"<(?:([a-zA-Z_]+)(?:\(([^)]*)\))?:)?([a-zA-Z_]+)>")


def _converters(rule: Rule) -> dict[str, str]:
    names: dict[str, str] = {}
    for match in PLACEHOLDER.finditer(rule.rule):
        names[match.group(3)] = match.group(1) or "default"
    return names


def openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    if "allOf" in schema:
        merged: dict[str, Any] = {"properties": {}}
        for part in schema["allOf"]:
            merged["properties"].update(_resolve(spec, part).get("properties", {}))
        return merged
    return schema


def _properties(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    resolved = _resolve(spec, schema)
    return {name: _resolve(spec, prop) for name, prop in resolved.get("properties", {}).items()}


def discover(app: Any, world: World) -> list[Endpoint]:
    """Every (rule, method) with what is known about its inputs."""
    spec = world.web["anonymous"].get("/api/v1/openapi.json").get_json()
    endpoints: list[Endpoint] = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP_ENDPOINTS:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            api = rule.rule.startswith("/api/")
            ep = Endpoint(rule.rule, rule.endpoint, method, _converters(rule), api)
            operation = (
                spec.get("paths", {}).get(openapi_path(rule.rule), {}).get(method.lower(), {})
            )
            for parameter in operation.get("parameters", []):
                parameter = _resolve(spec, parameter)
                if parameter.get("in") == "query":
                    ep.query[parameter["name"]] = _resolve(spec, parameter.get("schema", {}))
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                ep.body = _properties(spec, content["application/json"].get("schema", {}))
            endpoints.append(ep)
    _attach_forms(app, world, endpoints)
    return endpoints


def _attach_forms(app: Any, world: World, endpoints: list[Endpoint]) -> None:
    """Crawl the pages every role can open and give each form's fields to the endpoint its
    action points at."""
    adapter = app.url_map.bind("localhost")
    by_key = {(ep.endpoint, ep.method): ep for ep in endpoints}
    pages: set[str] = set()
    sample_ids = world.all_private_ids() + world.ids_by_arg.get("public_listing", [])
    for ep in endpoints:
        if ep.method != "GET" or ep.api:
            continue
        if not ep.arguments:
            pages.add(ep.rule)
        elif all(kind == "int" for kind in ep.arguments.values()):
            for value in sample_ids:
                pages.add(PLACEHOLDER.sub(str(value), ep.rule))
    for client in world.web.values():
        for path in sorted(pages):
            response = client.get(path)
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            for form in forms_in(response.get_data(as_text=True)):
                action = urlsplit(form["action"]).path or path
                method = "POST" if form["method"] == "post" else "GET"
                try:
                    endpoint, _args = adapter.match(action, method=method)
                except HTTPException:
                    continue
                target = by_key.get((endpoint, method))
                if target is not None:
                    target.form.update(form["fields"])
