"""Who may open each statistics page and endpoint (anonymous, every role)."""

from __future__ import annotations

from datetime import date

import pytest

from marketplace.stats import services
from tests.conftest import api_headers, login
from tests.factories import UserFactory

ROLES = ("anonymous", "researcher", "enterprise", "broker", "admin")
# (method, path, expected status per role in ROLES order); pages send anonymous to sign-in.
PAGES = [
    ("GET", "/admin/stats", (302, 403, 403, 403, 200)),
    ("GET", "/admin/stats/export.xlsx", (302, 403, 403, 403, 200)),
    ("GET", "/admin/stats/targets", (302, 403, 403, 403, 200)),
    ("POST", "/admin/stats/targets", (302, 403, 403, 403, 422)),
    ("POST", "/admin/stats/targets/{target}/delete", (302, 403, 403, 403, 302)),
    ("GET", "/admin/stats/jobs", (302, 403, 403, 403, 200)),
    ("POST", "/admin/stats/jobs/recompute", (302, 403, 403, 403, 302)),
    ("GET", "/stats/assets/plotly.min.js", (200, 200, 200, 200, 200)),
]
API = [
    ("GET", "/api/v1/stats/summary", (401, 403, 403, 403, 200)),
    ("POST", "/api/v1/stats/recompute", (401, 403, 403, 403, 202)),
]


@pytest.fixture
def target(app):
    admin = UserFactory(role="admin")
    return services.set_target(
        admin, services.TargetInput(year=date.today().year, region=None, contract_amount="1000000")
    )


@pytest.mark.parametrize("method,path,expected", PAGES)
@pytest.mark.parametrize("index,role", list(enumerate(ROLES)))
def test_pages(client, target, index, role, method, path, expected):
    if role != "anonymous":
        # Another organisation's admin may manage the platform's targets: they are not owned.
        login(client, UserFactory(role=role))
    response = client.open(path.format(target=target.id), method=method)
    assert response.status_code == expected[index], (role, path)
    response.close()


@pytest.mark.parametrize("method,path,expected", API)
@pytest.mark.parametrize("index,role", list(enumerate(ROLES)))
def test_api(client, index, role, method, path, expected):
    headers = {} if role == "anonymous" else api_headers(client, UserFactory(role=role))
    response = client.open(path, method=method, headers=headers)
    assert response.status_code == expected[index], (role, path)


def test_signed_in_browser_cannot_post_to_the_api(client):
    login(client, UserFactory(role="admin"))
    assert client.post("/api/v1/stats/recompute").status_code == 401
    assert client.get("/api/v1/stats/summary").status_code == 200
