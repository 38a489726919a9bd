"""Role × page/endpoint matrix for listings: own and other organisation's, every status.

Nobody outside the owner organisation reads a draft or changes a listing, by web or API,
except an administrator.
"""

from __future__ import annotations

import pytest

from marketplace.extensions import db
from tests.factories import AchievementFactory, DemandFactory

STATUSES = ("draft", "pending", "published", "rejected", "closed")
ACTORS = ("anonymous", "owner", "researcher_other", "enterprise", "broker", "admin")


@pytest.fixture
def world(users, make_user):
    owner = users["researcher"]
    actors = {
        "anonymous": None,
        "owner": make_user("researcher", org=owner.org),
        "researcher_other": make_user("researcher"),
        "enterprise": users["enterprise"],
        "broker": users["broker"],
        "admin": users["admin"],
    }
    listings = {
        status: AchievementFactory(org=owner.org, status=status, title=f"成果-{status}")
        for status in STATUSES
    }
    return actors, listings


def _may_manage(actor: str) -> bool:
    return actor in ("owner", "admin")


def _may_read(actor: str, status: str) -> bool:
    return status == "published" or _may_manage(actor)


def _signin(client, actor, actors, login_as):
    if actors[actor] is not None:
        login_as(actors[actor])


@pytest.mark.parametrize("actor", ACTORS)
def test_web_matrix(client, world, login_as, actor):
    actors, listings = world
    _signin(client, actor, actors, login_as)
    for status, listing in listings.items():
        response = client.get(f"/achievements/{listing.id}")
        assert response.status_code == (200 if _may_read(actor, status) else 404), (actor, status)
        edit = client.post(
            f"/listings/{listing.id}/edit", data={"title": "被篡改", "body": "x", "save": "1"}
        )
        for action in ("submit", "close", "delete"):
            client.post(f"/listings/{listing.id}/{action}")
        db.session.expire_all()
        if _may_manage(actor):
            assert edit.status_code in (302, 409), (actor, status, edit.status_code)
        else:
            assert edit.status_code in (302, 403, 404), (actor, status)
            if actor != "anonymous":
                assert edit.status_code == (403 if status == "published" else 404)
            assert listing.title == f"成果-{status}" and listing.status == status, (actor, status)


@pytest.mark.parametrize("actor", ACTORS)
def test_api_matrix(client, world, auth_headers, actor):
    actors, listings = world
    headers = auth_headers(actors[actor]) if actors[actor] is not None else {}
    for status, listing in listings.items():
        url = f"/api/v1/achievements/{listing.id}"
        response = client.get(url, headers=headers)
        assert response.status_code == (200 if _may_read(actor, status) else 404), (actor, status)
        patch = client.patch(url, json={"title": "被篡改"}, headers=headers)
        delete = client.delete(url, headers=headers)
        submit = client.post(f"{url}/submit", headers=headers)
        close = client.post(f"{url}/close", headers=headers)
        db.session.expire_all()
        if _may_manage(actor):
            assert patch.status_code == (409 if status == "closed" else 200), (actor, status)
            continue
        for attempt in (patch, delete, submit, close):
            expected = 401 if actor == "anonymous" else (403 if status == "published" else 404)
            assert attempt.status_code == expected, (actor, status, attempt.request.method)
        assert listing.title == f"成果-{status}" and listing.status == status


@pytest.mark.parametrize(
    ("actor", "status"),
    [
        ("anonymous", 401),
        ("owner", 403),
        ("researcher_other", 403),
        ("enterprise", 403),
        ("broker", 403),
        ("admin", 200),
    ],
)
def test_api_review_is_for_admins(client, world, auth_headers, actor, status):
    actors, listings = world
    headers = auth_headers(actors[actor]) if actors[actor] is not None else {}
    response = client.post(
        f"/api/v1/achievements/{listings['pending'].id}/review",
        json={"decision": "approve"},
        headers=headers,
    )
    assert response.status_code == status


@pytest.mark.parametrize(
    ("actor", "create_achievement", "create_demand"),
    [
        ("anonymous", 401, 401),
        ("owner", 201, 403),
        ("enterprise", 403, 201),
        ("broker", 403, 403),
        ("admin", 403, 403),
    ],
)
def test_api_create_by_role(client, world, auth_headers, actor, create_achievement, create_demand):
    actors, _ = world
    headers = auth_headers(actors[actor]) if actors[actor] is not None else {}
    assert (
        client.post("/api/v1/achievements", json={"title": "新成果"}, headers=headers).status_code
        == create_achievement
    )
    assert (
        client.post("/api/v1/demands", json={"title": "新需求"}, headers=headers).status_code
        == create_demand
    )


PAGES = {
    # path: expected status per actor (anonymous is sent to sign in: 302)
    "/achievements": dict.fromkeys(ACTORS, 200),
    "/demands?challenge=1": dict.fromkeys(ACTORS, 200),
    "/achievements/export.csv": dict.fromkeys(ACTORS, 200),
    "/my/achievements": {**dict.fromkeys(ACTORS, 200), "anonymous": 302},
    "/my/applications": {**dict.fromkeys(ACTORS, 200), "anonymous": 302},
    "/achievements/new": {
        "anonymous": 302,
        "owner": 200,
        "researcher_other": 200,
        "enterprise": 403,
        "broker": 403,
        "admin": 403,
    },
    "/demands/new": {
        "anonymous": 302,
        "owner": 403,
        "researcher_other": 403,
        "enterprise": 200,
        "broker": 403,
        "admin": 403,
    },
    "/admin/listings": {**dict.fromkeys(ACTORS, 403), "anonymous": 302, "admin": 200},
    "/listings/import": {**dict.fromkeys(ACTORS, 200), "anonymous": 302, "broker": 403},
}


@pytest.mark.parametrize("actor", ACTORS)
def test_pages_by_role(client, world, login_as, actor):
    actors, _ = world
    _signin(client, actor, actors, login_as)
    for path, expected in PAGES.items():
        assert client.get(path).status_code == expected[actor], (path, actor)


@pytest.mark.parametrize("actor", ACTORS)
def test_challenge_applications_are_private(client, world, auth_headers, users, actor):
    actors, _ = world
    demand = DemandFactory(
        org=users["enterprise"].org, is_challenge=True, bounty=1000000, applications_close_on=None
    )
    headers = auth_headers(actors[actor]) if actors[actor] is not None else {}
    response = client.get(f"/api/v1/demands/{demand.id}/applications", headers=headers)
    expected = {"anonymous": 401, "enterprise": 200, "admin": 200}.get(actor, 404)
    assert response.status_code == expected
