"""Hostile input by class, field by field: for every endpoint found by ``targets.discover``, a
NUL and a lone surrogate in every string field and query parameter, ids at and past 2^31, 2^63
and 2^64 in every id field of every body, deep nesting, huge numbers and huge arrays.

Unlike the Hypothesis run, which mixes everything at random, each case here changes exactly one
field, so it can say what the answer must be: the request boundary refuses the field by name."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from tests.hostile.targets import SESSION_ENDING, Endpoint

NUL = "a\x00b"
SURROGATE = "a\ud800b"
# (class name, value, refused by the boundary): 2^31 - 1 is the largest INTEGER and must pass
# the boundary (the service then says "no such object").
ID_VALUES = [
    ("id 2^31-1", 2**31 - 1, False),
    ("id 2^31", 2**31, True),
    ("id 2^63", 2**63, True),
    ("id 2^64", 2**64, True),
    ("id -2^31-1", -(2**31) - 1, True),
]
ROLES = ("anonymous", "researcher", "enterprise", "broker", "admin")


@dataclass
class Case:
    klass: str
    endpoint: Endpoint
    role: str
    path: str
    query: str = ""  # already encoded
    body: bytes | None = None
    content_type: str | None = None
    refused_field: str | None = None  # the boundary must refuse this field by name
    refused_status: tuple[int, ...] = ()  # or answer one of these (structural problems)
    notes: dict[str, Any] = field(default_factory=dict)


def is_id_field(name: str) -> bool:
    base = name.rsplit("-", 1)[-1]
    return base == "id" or base.endswith(("_id", "_ids"))


def _encode_pairs(pairs: dict[str, str]) -> str:
    # surrogatepass: a lone surrogate goes out as the bytes a careless encoder would send
    # (ED A0 80); the server must decode them without a crash.
    return "&".join(
        f"{quote(k.encode('utf-8', 'surrogatepass'), safe='')}="
        f"{quote(v.encode('utf-8', 'surrogatepass'), safe='')}"
        for k, v in pairs.items()
    )


def _json(value: Any) -> bytes:
    # ensure_ascii: a lone surrogate is sent as the escape "\ud800", as a JSON client would.
    return json.dumps(value).encode()


def _plausible_body(ep: Endpoint) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for name, schema in ep.body.items():
        if "enum" in schema:
            body[name] = schema["enum"][0]
        elif schema.get("type") == "integer":
            body[name] = 1
        elif schema.get("type") == "boolean":
            body[name] = False
        elif schema.get("type") == "array":
            body[name] = []
        elif schema.get("type") == "string":
            body[name] = "x"
    return body


def _is_string(schema: dict[str, Any]) -> bool:
    return schema.get("type", "string") == "string" and "enum" not in schema


def _roles(ep: Endpoint) -> tuple[str, ...]:
    return ("anonymous",) if (ep.endpoint, ep.method) in SESSION_ENDING else ROLES


def generate(endpoints: list[Endpoint], path_for: Any) -> list[Case]:
    """Every case of every class for these endpoints. ``path_for(ep)`` gives a concrete path
    (real ids where the rule has them)."""
    rng = random.Random(13)
    cases: list[Case] = []

    def add(klass: str, ep: Endpoint, **kwargs: Any) -> None:
        cases.append(Case(klass, ep, rng.choice(_roles(ep)), path_for(ep), **kwargs))

    for ep in endpoints:
        query_names = sorted(
            set(ep.query) | (set(ep.form) if ep.method == "GET" else set()) | {"q", "page"}
        )
        for name in query_names:
            add("query NUL", ep, query=_encode_pairs({name: NUL}), refused_field=name)
            add("query surrogate bytes", ep, query=_encode_pairs({name: SURROGATE}))
            if is_id_field(name):
                for klass, value, refused in ID_VALUES:
                    add(
                        f"query {klass}",
                        ep,
                        query=_encode_pairs({name: str(value)}),
                        refused_field=name if refused else None,
                    )
        if ep.method == "GET":
            continue
        if ep.api:
            _json_cases(ep, add)
        else:
            _form_cases(ep, add)
    return cases


def _json_cases(ep: Endpoint, add: Any) -> None:
    base = _plausible_body(ep)
    for name, schema in ep.body.items():
        if _is_string(schema):
            for klass, text in (("JSON NUL", NUL), ("JSON surrogate", SURROGATE)):
                add(klass, ep, body=_json({**base, name: text}), refused_field=name)
        if is_id_field(name):
            for klass, value, refused in ID_VALUES:
                add(
                    f"JSON {klass}",
                    ep,
                    body=_json({**base, name: value}),
                    refused_field=name if refused else None,
                )
                add(
                    f"JSON {klass} as text",
                    ep,
                    body=_json({**base, name: str(value)}),
                    refused_field=name if refused else None,
                )
    first = next(iter(ep.body), "x")
    # Unknown keys are checked too: the boundary does not depend on the schema.
    add("JSON NUL", ep, body=_json({**base, "zz\x00": 1}), refused_status=(422,))
    add("JSON surrogate", ep, body=_json({**base, "zz": ["\udfff"]}), refused_field="zz.0")
    add("deep nesting", ep, body=b"[" * 5000 + b"]" * 5000, refused_status=(400,))
    add("deep nesting", ep, body=_json({**base, first: _nested(40)}), refused_status=(400,))
    add("deep nesting", ep, body=b'{"a":' * 3000 + b"1" + b"}" * 3000, refused_status=(400,))
    add("huge numbers", ep, body=b'{"%s": %s}' % (first.encode(), b"9" * 5000), refused_field=first)
    add("huge numbers", ep, body=b'{"%s": 1e999}' % first.encode(), refused_field=first)
    add(
        "huge numbers",
        ep,
        body=b'{"%s": -0.%s1}' % (first.encode(), b"0" * 4000),
        refused_field=first,
    )
    add("huge numbers", ep, body=_json({**base, first: 10**30}), refused_field=first)
    add("huge arrays", ep, body=_json({**base, first: [0] * 50_000}), refused_status=(400,))
    add("huge arrays", ep, body=_json([{"a": "x" * 10}] * 5_000), refused_status=(400,))
    add("huge arrays", ep, body=b"[" + b"1," * 600_000 + b"1]", refused_status=(413,))


def _nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = {"a": [value]}
    return value


def _form_cases(ep: Endpoint, add: Any) -> None:
    names = sorted(ep.form) or ["title", "note"]
    base = {name: "1" if is_id_field(name) else "x" for name in names}
    for name in names:
        for klass, text, refused in (
            ("form NUL", NUL, name),
            ("form surrogate bytes", SURROGATE, None),
        ):
            add(
                klass,
                ep,
                body=_encode_pairs({**base, name: text}).encode(),
                content_type="application/x-www-form-urlencoded",
                refused_field=refused,
            )
        if is_id_field(name):
            for klass, value, refused_id in ID_VALUES:
                add(
                    f"form {klass}",
                    ep,
                    body=_encode_pairs({**base, name: str(value)}).encode(),
                    content_type="application/x-www-form-urlencoded",
                    refused_field=name if refused_id else None,
                )


def sample(cases: list[Case], budget: int) -> list[Case]:
    """At most ``budget`` cases, every class kept: a fair share of each, chosen at random with
    a fixed seed (the same cases on every run)."""
    if len(cases) <= budget:
        return cases
    by_class: dict[str, list[Case]] = {}
    for case in cases:
        by_class.setdefault(case.klass, []).append(case)
    share = max(1, budget // len(by_class))
    rng = random.Random(2026)
    chosen: list[Case] = []
    for group in by_class.values():
        chosen += group if len(group) <= share else rng.sample(group, share)
    return chosen
