"""Who may see what: search (anyone) and matches (owner organisation, brokers, admins)."""

from __future__ import annotations

import pytest
from flask import render_template_string

from marketplace.extensions import db
from marketplace.search.models import ListingMatch
from tests.search.helpers import achievement, demand

ROLES = ("anonymous", "researcher", "enterprise", "broker", "admin")


@pytest.fixture
def pair(users):
    """A demand owned by the enterprise user's organisation, an achievement by the
    researcher's, and their stored match."""
    d = demand(title="寻求锂电池回收技术", org=users["enterprise"].org)
    a = achievement(title="锂电池回收工艺", org=users["researcher"].org)
    for side in ("demand", "achievement"):  # each ranked the other
        db.session.add(
            ListingMatch(
                demand_id=d.id,
                achievement_id=a.id,
                ranked_by=side,
                score=0.8,
                reasons=[{"code": "same_field", "field": "new_materials"}],
            )
        )
    db.session.commit()
    return d, a


# (role, listing) -> expected status for GET /api/v1/<kind>s/<id>/matches
EXPECTED = {
    ("anonymous", "demand"): 401,
    ("anonymous", "achievement"): 401,
    # Own organisation's listing: allowed; the other organisation's: refused.
    ("researcher", "demand"): 403,
    ("researcher", "achievement"): 200,
    ("enterprise", "demand"): 200,
    ("enterprise", "achievement"): 403,
    ("broker", "demand"): 200,
    ("broker", "achievement"): 200,
    ("admin", "demand"): 200,
    ("admin", "achievement"): 200,
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", ["demand", "achievement"])
def test_matches_api_matrix(client, users, pair, auth_headers, role, kind):
    d, a = pair
    listing = d if kind == "demand" else a
    headers = auth_headers(users[role]) if role != "anonymous" else {}
    response = client.get(f"/api/v1/{kind}s/{listing.id}/matches?limit=5", headers=headers)
    assert response.status_code == EXPECTED[(role, kind)], response.json
    if response.status_code == 200:
        item = response.json["items"][0]
        other = "achievement" if kind == "demand" else "demand"
        assert item[other]["id"] == (a.id if kind == "demand" else d.id)
        assert item["score"] == 80 and item["reasons"][0]["code"] == "same_field"


def test_matches_api_wrong_kind_and_missing(client, users, pair, auth_headers):
    d, _a = pair
    headers = auth_headers(users["admin"])
    assert client.get(f"/api/v1/achievements/{d.id}/matches", headers=headers).status_code == 404
    assert client.get("/api/v1/demands/999999/matches", headers=headers).status_code == 404
    assert client.get(f"/api/v1/demands/{d.id}/matches?limit=0", headers=headers).status_code == 422


@pytest.mark.parametrize("role", ROLES)
def test_search_page_and_api_open_to_everyone(client, users, login_as, role):
    if role != "anonymous":
        login_as(users[role])
    assert client.get("/search?q=石墨烯").status_code == 200
    assert client.get("/api/v1/search?q=石墨烯").status_code == 200


@pytest.mark.parametrize("role", ROLES)
def test_matches_panel_visibility(app, client, users, pair, login_as, role):
    d, _a = pair
    if role != "anonymous":
        login_as(users[role])
    with app.test_request_context():
        from flask_login import login_user

        if role != "anonymous":
            login_user(users[role])
        html = render_template_string('{% include "search/_matches_panel.html" %}', listing=d)
    visible = role in ("enterprise", "broker", "admin")
    assert ('data-testid="matches-panel"' in html) is visible
    if visible:
        assert "锂电池回收工艺" in html and "80" in html
