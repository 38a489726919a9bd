"""Role × page/endpoint access matrix for accounts, notifications and jobs."""

import pytest

from marketplace.jobs.services import create_job
from tests.conftest import api_headers, login
from tests.matrix import Rule, call, case_id, cases

ANON_PAGE = 302  # anonymous visitors are sent to the sign-in page
SIGNED_IN = {"researcher": 200, "enterprise": 200, "broker": 200, "admin": 200}

RULES = [
    Rule("GET", "/", {"anonymous": 200, **SIGNED_IN}),
    Rule("GET", "/login", {"anonymous": 200}, default=302),
    Rule("GET", "/register", {"anonymous": 200}, default=302),
    Rule("GET", "/account", {"anonymous": ANON_PAGE, **SIGNED_IN}),
    Rule("GET", "/notifications", {"anonymous": ANON_PAGE, **SIGNED_IN}),
    Rule("GET", "/admin/organisations", {"anonymous": ANON_PAGE, "admin": 200}),
    Rule("GET", "/admin/users", {"anonymous": ANON_PAGE, "admin": 200}),
    Rule("GET", "/admin/users/new", {"anonymous": ANON_PAGE, "admin": 200}),
    Rule(
        "POST",
        "/admin/organisations/{org}/verify",
        {"anonymous": ANON_PAGE, "admin": 302},
        data={"verified": "1"},
    ),
    Rule(
        "POST",
        "/admin/users/{target}/active",
        {"anonymous": ANON_PAGE, "admin": 302},
        data={"active": "0"},
    ),
    Rule(
        "POST",
        "/admin/users/{target}/role",
        {"anonymous": ANON_PAGE, "admin": 302},
        data={"role": "broker"},
    ),
    Rule("GET", "/api/v1/me", {"anonymous": 401, **SIGNED_IN}),
    # A job is visible to whoever started it (here: the admin) and to admins only.
    Rule("GET", "/api/v1/jobs/{job}", {"anonymous": 401, "admin": 200}, default=404),
    Rule("GET", "/api/v1/openapi.json", {"anonymous": 200, **SIGNED_IN}),
]


@pytest.mark.parametrize(("rule", "role"), cases(RULES), ids=case_id)
def test_access(client, users, make_user, rule, role):
    target = make_user("enterprise")
    job = create_job("test", started_by_id=users["admin"].id)
    objects = {"org": target.org_id, "target": target.id, "job": job.id}
    response = call(
        client,
        rule,
        role,
        users,
        objects,
        headers_for=lambda user: api_headers(client, user),
        login=login,
    )
    assert response.status_code == rule.status_for(role), response.get_data(as_text=True)[:300]


def test_a_job_is_visible_to_the_user_who_started_it(client, users):
    job = create_job("import", started_by_id=users["researcher"].id)
    headers = api_headers(client, users["researcher"])
    body = client.get(f"/api/v1/jobs/{job.id}", headers=headers).json
    assert body["state"] == "queued" and body["progress"] == 0
    assert (
        client.get(
            f"/api/v1/jobs/{job.id}", headers=api_headers(client, users["enterprise"])
        ).status_code
        == 404
    )
