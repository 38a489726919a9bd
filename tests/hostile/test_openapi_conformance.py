"""Schemathesis again, now for what comes back: every answer to a generated request, valid or
broken, as every role, must match the schema /api/v1/openapi.json documents for its status
(the SPEC error body for refusals). The check is tests/api/conformance.py's strict one: an
undocumented status or key fails as well as a wrong type or a missing required field."""

from __future__ import annotations

import os
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from werkzeug.exceptions import HTTPException

from tests.api.conformance import ResponseChecker
from tests.hostile.conftest import TALLY
from tests.hostile.test_openapi_schema import ANONYMOUS_ONLY, ROLES
from tests.hostile.world import World

# A few cases per operation and mode: the point is every documented answer, not volume.
CASES_PER_RUN = int(os.environ.get("HOSTILE_CONFORMANCE_CASES", "3"))


def _rule(app: Any, method: str, path: str) -> str | None:
    adapter = app.url_map.bind("localhost")
    try:
        rule, _args = adapter.match(path, method=method, return_rule=True)
    except HTTPException:  # a generated path that routes nowhere (Flask's own 404/405)
        return None
    return str(rule.rule)


def _run(
    app: Any,
    world: World,
    checker: ResponseChecker,
    operation: Any,
    mode: GenerationMode,
    problems: list[str],
) -> None:
    key = (operation.method.upper(), operation.full_path)
    roles = ("anonymous",) if key in ANONYMOUS_ONLY else ROLES

    @settings(
        max_examples=CASES_PER_RUN,
        deadline=None,
        database=None,
        phases=(Phase.generate,),
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), role=st.sampled_from(roles))
    def case_run(case: Any, role: str) -> None:
        response = case.call(headers=dict(world.api[role]))
        TALLY["conformance cases"] += 1
        path = response.request.path_url.split("?")[0]
        rule = _rule(app, case.method.upper(), path)
        if rule is None:
            return
        TALLY["conformance answers checked"] += 1
        TALLY[f"conformance answers {response.status_code // 100}xx"] += 1
        # schemathesis keeps headers as lowercased name -> list of values
        content_type = (response.headers.get("content-type") or [""])[0]
        found = checker.problems(
            case.method.upper(), rule, response.status_code, content_type, response.content
        )
        problems.extend(f"{problem} (as {role}, {mode.value})" for problem in found)

    try:
        case_run()
    except Unsatisfiable:
        TALLY["conformance operations with nothing to break"] += 1


def test_every_generated_answer_matches_the_document(hostile_app: Any, world: World) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", hostile_app)
    with hostile_app.app_context():
        checker = ResponseChecker(hostile_app.extensions["marketplace_api"].spec.to_dict())
    operations = [result.ok() for result in schema.get_all_operations()]
    problems: list[str] = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _run(hostile_app, world, checker, operation, mode, problems)
    assert TALLY["conformance answers checked"] > len(operations)
    assert TALLY["conformance answers 2xx"] > 0 and TALLY["conformance answers 4xx"] > 0
    unique = sorted(set(problems))
    assert not unique, f"{len(unique)} nonconforming answer(s):\n" + "\n".join(unique[:40])
