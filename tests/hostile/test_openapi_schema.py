"""A schema-driven run: schemathesis reads /api/v1/openapi.json and sends, to every operation
in it, requests that fit the schema (positive) and requests that break it (negative), as every
role. None may answer with a server error.

The application is called in-process through its WSGI interface: nothing leaves the machine,
not even to loopback. Whether the OpenAPI document describes every response is a separate
check (not made here)."""

from __future__ import annotations

import os
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.hostile.conftest import HOSTILE_CASES, TALLY
from tests.hostile.world import World

# A tenth of the hostile budget, split between the operations and the two modes.
SCHEMA_CASES = int(os.environ.get("HOSTILE_SCHEMA_CASES", str(max(200, HOSTILE_CASES // 10))))
ROLES = ("anonymous", "researcher", "enterprise", "broker", "admin")
# Calling these as a signed-in role would revoke the token the other cases use.
ANONYMOUS_ONLY = {("DELETE", "/api/v1/auth/token")}


def _operations(app: Any) -> list[Any]:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def _run(
    world: World, operation: Any, mode: GenerationMode, examples: int, failures: list[str]
) -> None:
    key = (operation.method.upper(), operation.full_path)
    roles = ("anonymous",) if key in ANONYMOUS_ONLY else ROLES

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=(Phase.generate,),
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), role=st.sampled_from(roles))
    def case_run(case: Any, role: str) -> None:
        response = case.call(headers=dict(world.api[role]))
        TALLY["schemathesis cases"] += 1
        TALLY[f"schemathesis {mode.value} cases"] += 1
        TALLY[f"schemathesis responses {response.status_code // 100}xx"] += 1
        if response.status_code >= 500:
            failures.append(
                f"{key} as {role} ({mode.value}): {response.status_code}\n"
                f"{case.as_curl_command()}\n{response.text[:400]}"
            )

    try:
        case_run()
    except Unsatisfiable:
        # Negative mode on an operation with no input to break (no body, no parameters).
        TALLY[f"schemathesis operations with nothing to {mode.value}"] += 1


def test_schema_driven_run_finds_no_server_error(hostile_app: Any, world: World) -> None:
    operations = _operations(hostile_app)
    assert len(operations) > 30  # the whole API, not an empty or broken document
    per_run = max(2, SCHEMA_CASES // (2 * len(operations)))
    failures: list[str] = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _run(world, operation, mode, per_run, failures)
    TALLY["schemathesis operations"] += len(operations)
    assert not failures, f"{len(failures)} server error(s):\n\n" + "\n\n".join(failures[:20])
