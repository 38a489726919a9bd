"""Generated hostile input against every endpoint and form: never a server error, never markup
reflected unescaped into HTML, always the SPEC error shape from the API."""

from __future__ import annotations

import json
import traceback
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.hostile import strategies as hs
from tests.hostile.conftest import HOSTILE_CASES, TALLY
from tests.hostile.targets import SESSION_ENDING, Endpoint, discover
from tests.hostile.world import World

ROLES = ("anonymous", "researcher", "enterprise", "broker", "admin")
CODES = [
    "zh_CN",
    "en",
    "achievement",
    "demand",
    "new_materials",
    "330300",
    "draft",
    "x",
    "xlsx",
    "csv",
    "json",
    "pdf",
]


def _path_value(world: World, ep: Endpoint, name: str, converter: str) -> st.SearchStrategy[str]:
    if converter == "any":
        return st.one_of(st.sampled_from(ep.choices(name)), st.just("nope"))
    if converter == "int":
        pool = world.ids_by_arg.get(name) or (
            world.all_private_ids() + world.ids_by_arg.get("public_listing", [])
        )
        return st.one_of(st.sampled_from(pool), st.integers(0, 2**63)).map(str)
    return st.one_of(st.sampled_from(CODES), hs.text_value()).map(
        lambda text: quote(text[:300], safe="") or "x"
    )


def _request(world: World, ep: Endpoint, data: st.DataObject) -> tuple[str, dict[str, Any], str]:
    roles = ("anonymous",) if (ep.endpoint, ep.method) in SESSION_ENDING else ROLES
    role = data.draw(st.sampled_from(roles), label="role")
    values = {
        name: data.draw(_path_value(world, ep, name, converter), label=name)
        for name, converter in ep.arguments.items()
    }
    path = ep.path(values)
    query_names = (
        list(ep.query)
        or list(ep.form if ep.method == "GET" else [])
        or ["q", "page", "per_page", "sort", "next"]
    )
    query = data.draw(
        st.dictionaries(st.sampled_from(query_names), hs.form_value(), max_size=4), label="query"
    )
    kwargs: dict[str, Any] = {"query_string": query}
    if ep.api:
        kwargs["headers"] = dict(world.api[role])
        if ep.method in ("POST", "PUT", "PATCH", "DELETE"):
            if data.draw(st.integers(0, 19), label="raw") == 0:
                kwargs["data"] = data.draw(
                    st.sampled_from(
                        [
                            b"{",
                            b"\xff\xfe",
                            b"null",
                            b"[1,2",
                            b'{"a": NaN}',
                            b"1e999",
                            b"[" * 3000 + b"]" * 3000,
                            b'{"a": ' + b"9" * 5000 + b"}",
                            b"[" + b"0," * 20_000 + b"0]",
                            b'{"a": "\\ud800"}',
                        ]
                    ),
                    label="body",
                )
                kwargs["headers"]["Content-Type"] = "application/json"
            else:
                body = data.draw(hs.json_body(ep.body), label="json")
                # json.dumps writes NaN/Infinity bare, as a hostile client would; a lone
                # surrogate cannot go out as UTF-8, so such a body is sent escaped.
                text = json.dumps(body, ensure_ascii=False)
                try:
                    kwargs["data"] = text.encode()
                except UnicodeEncodeError:
                    kwargs["data"] = json.dumps(body).encode()
                kwargs["headers"]["Content-Type"] = "application/json"
    elif ep.method != "GET":
        names = list(ep.form) or ["title", "name", "note", "amount", "submit"]
        form = data.draw(
            st.dictionaries(st.sampled_from(names), hs.form_value(), max_size=12), label="form"
        )
        form.update(
            data.draw(
                st.dictionaries(
                    st.sampled_from(["zzz", "role", "org_id", "id"]), hs.form_value(), max_size=2
                ),
                label="extra",
            )
        )
        kwargs["data"] = form
    return role, kwargs, path


def _check(ep: Endpoint, response: Any, path: str) -> None:
    status = response.status_code
    TALLY["cases tried"] += 1
    TALLY[f"responses {status // 100}xx"] += 1
    body = response.get_data().decode("utf-8", "replace")  # exports are binary
    assert status < 500, f"{ep.id} -> {status} at {path}\n" + body[:800]
    if response.mimetype == "text/html":
        for marker in hs.RAW_MARKERS:
            assert marker not in body, f"{ep.id}: unescaped {marker!r} in HTML at {path}"
    if ep.api and 400 <= status < 500 and not ep.rule.endswith("openapi.json"):
        payload = response.get_json(silent=True)
        assert (
            isinstance(payload, dict)
            and isinstance(payload.get("error"), dict)
            and {"code", "message"} <= set(payload["error"])
        ), f"{ep.id} -> {status} without the SPEC error body: {body[:300]}"


def _fuzz(world: World, ep: Endpoint, examples: int) -> None:
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=(Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def case(data: st.DataObject) -> None:
        role, kwargs, path = _request(world, ep, data)
        _check(ep, world.web[role].open(path, method=ep.method, **kwargs), path)

    case()


def test_every_endpoint_survives_hostile_input(hostile_app: Any, world: World) -> None:
    endpoints = discover(hostile_app, world)
    per_endpoint = max(5, HOSTILE_CASES // max(1, len(endpoints)))
    failures: list[str] = []

    for ep in endpoints:
        try:
            _fuzz(world, ep, per_endpoint)
        except Exception as error:  # collect every endpoint's failure, then report them all
            notes = "\n".join(getattr(error, "__notes__", []))
            failures.append(
                f"{ep.id}: {error}\n{notes}\n"
                + "".join(traceback.format_exception_only(error))[-500:]
            )
    TALLY["endpoints fuzzed"] += len(endpoints)
    assert not failures, f"{len(failures)} endpoint(s) failed:\n\n" + "\n\n".join(failures)
