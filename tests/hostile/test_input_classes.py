"""Every endpoint × every field × each class of input the databases or Python cannot take (NUL,
lone surrogates, ids past the column's range, deep nesting, huge numbers and arrays): never a
server error, and refused by the request boundary with the field named where one is to blame."""

from __future__ import annotations

import os
from typing import Any

from tests.hostile import classes
from tests.hostile.conftest import HOSTILE_CASES, TALLY
from tests.hostile.targets import PLACEHOLDER, Endpoint, discover
from tests.hostile.world import World

# Half the hostile budget goes to these cases (all of them fit in it at the default 5,000).
CLASS_CASES = int(os.environ.get("HOSTILE_CLASS_CASES", str(max(2500, HOSTILE_CASES // 2))))


def _path_for(world: World) -> Any:
    def path(ep: Endpoint) -> str:
        def value(match: Any) -> str:
            converter, options, name = match.group(1), match.group(2), match.group(3)
            if converter == "int":
                pool = world.ids_by_arg.get(name) or world.all_private_ids()
                return str(pool[0])
            if converter == "any" and options:
                return options.split(",")[0].strip()
            return {"fmt": "xlsx", "code": "en", "kind": "achievement"}.get(name, "x")

        return PLACEHOLDER.sub(value, ep.rule)

    return path


def _send(world: World, case: classes.Case) -> Any:
    ep = case.endpoint
    client = world.web[case.role]
    headers = dict(world.api[case.role]) if ep.api else {}
    if case.content_type:
        headers["Content-Type"] = case.content_type
    elif case.body is not None:
        headers["Content-Type"] = "application/json"
    url = case.path + (f"?{case.query}" if case.query else "")
    return client.open(url, method=ep.method, data=case.body, headers=headers)


def _problem(case: classes.Case, response: Any) -> str | None:
    status = response.status_code
    text = response.get_data().decode("utf-8", "replace")
    where = f"{case.klass}: {case.endpoint.id} as {case.role} -> {status}"
    if status >= 500:
        return f"{where}\n{text[:600]}"
    payload = response.get_json(silent=True) if case.endpoint.api else None
    if (
        case.endpoint.api
        and status >= 400
        and not (
            isinstance(payload, dict)
            and isinstance(payload.get("error"), dict)
            and {"code", "message"} <= set(payload["error"])
        )
    ):
        return f"{where}: no SPEC error body: {text[:300]}"
    if case.refused_status and status not in case.refused_status:
        return f"{where}: expected one of {case.refused_status}"
    if case.refused_field:
        if status != 422:
            return f"{where}: expected 422 naming {case.refused_field!r}"
        fields = (payload or {}).get("error", {}).get("fields", {}) if case.endpoint.api else None
        named = (
            case.refused_field in fields
            if fields is not None
            else f"{case.refused_field}: " in text
        )
        if not named:
            return f"{where}: the error does not name {case.refused_field!r}: {text[:300]}"
    return None


def test_every_field_refuses_each_class_of_unusable_input(hostile_app: Any, world: World) -> None:
    endpoints = discover(hostile_app, world)
    every = classes.generate(endpoints, _path_for(world))
    chosen = classes.sample(every, CLASS_CASES)
    problems: list[str] = []
    for case in chosen:
        response = _send(world, case)
        TALLY[f"class {case.klass}"] += 1
        TALLY["class cases tried"] += 1
        TALLY[f"class responses {response.status_code // 100}xx"] += 1
        problem = _problem(case, response)
        if problem:
            problems.append(problem)
    TALLY["class cases generated"] += len(every)
    assert not problems, f"{len(problems)} case(s) failed:\n\n" + "\n\n".join(problems[:40])
