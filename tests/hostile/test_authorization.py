"""The authorization matrix, generically: every route of the URL map, every role, against
another organisation's private objects. Reads must not show them (their marker text never
appears in any response, exports included); writes must not change them. The insiders must see
them somewhere, so the check is known to be looking at the right pages."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import login
from tests.hostile.conftest import TALLY
from tests.hostile.targets import SESSION_ENDING, Endpoint, discover
from tests.hostile.world import World

OUTSIDERS = ("anonymous", "researcher", "enterprise", "broker")
# Where each kind of private object would be shown; a kind counts as "covered" once a route
# with this segment exists.
SEGMENTS = {
    "achievement": "/achievements",
    "demand": "/demands",
    "contract": "/contracts",
    "line_item": "/contracts",
    "deal_note": "/deals",
    "application": "/applications",
    "attachment": "/listings",
}
STRING_ARGS = {"fmt": ["xlsx", "csv"], "code": ["en"], "kind": ["achievement", "demand"]}
# Values that pass validation where possible, so a missing permission check is not hidden
# behind a 422.
PLAUSIBLE = {
    "decision": "approve",
    "reason": "x",
    "stage": "claimed",
    "note": "HACKED",
    "title": "HACKED",
    "status": "published",
    "summary": "HACKED",
    "body": "HACKED",
    "description": "HACKED",
    "action": "accept",
    "reason_code": "other",
    "active": "0",
    "role": "admin",
    "verified": "1",
}


def _text(response: Any) -> str:
    data = response.get_data()
    if data[:2] == b"PK":  # XLSX and other zipped exports: look inside
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                return " ".join(
                    archive.read(name).decode("utf-8", "replace") for name in archive.namelist()
                )
        except zipfile.BadZipFile:
            pass
    return data.decode("utf-8", "replace")


def _paths(world: World, ep: Endpoint) -> list[str]:
    options: dict[str, list[str]] = {}
    for name, converter in ep.arguments.items():
        if converter == "int":
            pool = world.ids_by_arg.get(name) or world.all_private_ids()
            options[name] = [str(value) for value in pool]
        elif converter == "any":
            options[name] = ep.choices(name)
        else:
            options[name] = STRING_ARGS.get(name, ["x"])
    paths = [{}]  # type: list[dict[str, str]]
    for name, values in options.items():
        paths = [{**partial, name: value} for partial in paths for value in values]
    return [ep.path(values) for values in paths]


def _get(world: World, who: str, client: Any, headers: dict[str, str], path: str) -> Any:
    del who
    query = {"q": "PRIVMARK", "status": "draft", "per_page": "100"}
    return client.get(path, query_string=query, headers=headers)


def test_no_private_object_is_shown_to_another_organisation(hostile_app: Any, world: World) -> None:
    endpoints = [ep for ep in discover(hostile_app, world) if ep.method == "GET"]
    leaks: list[str] = []
    for ep in endpoints:
        for role in OUTSIDERS:
            client = world.web[role]
            headers = world.api[role] if ep.api else {}
            for path in _paths(world, ep):
                text = _text(_get(world, role, client, headers, path))
                TALLY["authorization reads"] += 1
                leaks += [
                    f"{role} GET {path}: {kind} ({marker})"
                    for marker, kind in world.markers.items()
                    if marker in text
                ]
    assert not leaks, "private objects shown to outsiders:\n" + "\n".join(leaks)

    # The same pages show them to the people they belong to.
    insiders = {name: hostile_app.test_client() for name in world.insiders}
    for name, user in world.insiders.items():
        login(insiders[name], user)
    insiders["admin"] = world.web["admin"]
    seen: set[str] = set()
    for ep in endpoints:
        if ep.api:
            continue
        for client in insiders.values():
            for path in _paths(world, ep):
                text = _text(_get(world, "insider", client, {}, path))
                seen |= {kind for marker, kind in world.markers.items() if marker in text}
    rules = [ep.rule for ep in endpoints]
    expected = {
        kind
        for kind, segment in SEGMENTS.items()
        if any(rule.startswith(segment) for rule in rules)
    }
    assert expected <= seen, f"insiders never saw {sorted(expected - seen)}: the check is blind"


def _snapshot(app: Any) -> dict[tuple[str, Any], tuple[Any, ...]]:
    """Every existing row of every table, by primary key (view counters left out)."""
    from marketplace.extensions import db

    rows: dict[tuple[str, Any], tuple[Any, ...]] = {}
    with app.app_context():
        for table in db.metadata.sorted_tables:
            if table.name in ("outbox", "login_sessions", "api_tokens", "alembic_version"):
                continue
            columns = [
                c
                for c in table.columns
                if "view" not in c.name and c.name not in ("last_used_at", "last_seen_at")
            ]
            keys = [c for c in table.primary_key.columns]
            for row in db.session.execute(sa.select(*columns)).all():
                mapping = row._mapping
                rows[(table.name, tuple(mapping[k] for k in keys))] = tuple(row)
        db.session.remove()
    return rows


def _body(ep: Endpoint) -> dict[str, Any]:
    names = list(ep.body) if ep.api else list(ep.form)
    body: dict[str, Any] = {}
    for name in names:
        schema = ep.body.get(name, {})
        if name in PLAUSIBLE:
            body[name] = PLAUSIBLE[name]
        elif "enum" in schema:
            body[name] = schema["enum"][0]
        elif schema.get("type") == "array":
            body[name] = []
        elif "amount" in name or "budget" in name or name in ("price", "bounty"):
            body[name] = str(Decimal("1.00"))
        elif schema.get("type") in ("integer", "number"):
            body[name] = 1
        elif schema.get("type") == "boolean":
            body[name] = True
        else:
            body[name] = "HACKED"
    return body


@pytest.mark.parametrize("api", [False, True], ids=["web", "api"])
def test_no_outsider_changes_another_organisations_objects(
    hostile_app: Any, world: World, api: bool
) -> None:
    endpoints = [
        ep
        for ep in discover(hostile_app, world)
        if ep.method != "GET"
        and ep.api == api
        and ep.arguments
        and (ep.endpoint, ep.method) not in SESSION_ENDING
    ]
    before = _snapshot(hostile_app)
    changed: list[str] = []
    for ep in endpoints:
        for role in OUTSIDERS:
            for path in _paths(world, ep):
                for body in ({}, _body(ep)):
                    if api:
                        response = world.web["anonymous"].open(
                            path, method=ep.method, json=body, headers=world.api[role]
                        )
                    else:
                        response = world.web[role].open(path, method=ep.method, data=body)
                    TALLY["authorization writes"] += 1
                    assert response.status_code < 500, f"{role} {ep.method} {path}"
            after = _snapshot(hostile_app)
            diff = [key for key, row in before.items() if after.get(key) != row]
            if diff:
                changed.append(f"{role} {ep.id}: changed {diff[:5]}")
                before = after
    assert not changed, "outsiders changed objects they do not own:\n" + "\n".join(changed)
