"""One visibility rule for a deal's timeline, the same on the deal page and in the API.

Every kind of timeline text (a broker's note, a logged contact, the broker's note on a stage
change, the buyer's interest message) × every role that may open the deal × both doors: the
text is shown exactly where the rule (``deals.queries.timeline_for``) says, and the page and the
API agree.
"""

from __future__ import annotations

from typing import Any

import pytest

from marketplace.deals import services
from marketplace.deals.models import Deal
from marketplace.extensions import db
from tests.conftest import api_headers, login
from tests.factories import AchievementFactory, DemandFactory, OrganisationFactory, UserFactory

# text -> who sees it (the roles below); everyone else who may open the deal must not.
TEXTS = {
    "INTERESTMSG-想了解许可条件": {"seller", "buyer", "broker", "admin"},
    "STAGENOTE-对方底价 60 万": {"broker", "admin"},
    "BROKERNOTE-卖方急于成交": {"broker", "admin"},
    "CONTACTLOG-买方总工电话": {"broker", "admin"},
}
VIEWERS = ("seller", "buyer", "broker", "admin")


@pytest.fixture
def deal_world(app: Any) -> dict[str, Any]:
    seller_org = OrganisationFactory(kind="university")
    buyer_org = OrganisationFactory(kind="enterprise")
    users = {
        "seller": UserFactory(role="researcher", org=seller_org),
        "buyer": UserFactory(role="enterprise", org=buyer_org),
        "broker": UserFactory(role="broker"),
        "admin": UserFactory(role="admin"),
        "outsider": UserFactory(role="enterprise"),
        "other_broker": UserFactory(role="broker"),
    }
    achievement = AchievementFactory(org=seller_org, owner=users["seller"])
    demand = DemandFactory(org=buyer_org, owner=users["buyer"])
    deal, _created = services.express_interest(
        users["buyer"], achievement.id, demand.id, "INTERESTMSG-想了解许可条件"
    )
    deal_id = deal.id
    services.claim_deal(users["broker"], deal_id)
    services.change_stage(
        users["broker"], deal_id, services.StageChange("contacting", "STAGENOTE-对方底价 60 万")
    )
    services.add_note(users["broker"], deal_id, "BROKERNOTE-卖方急于成交", "note")
    services.add_note(users["broker"], deal_id, "CONTACTLOG-买方总工电话", "contact")
    stored = db.session.get(Deal, deal_id)
    stored.reasons = [{"code": "shared_terms", "terms": ["REASONTERM"]}]
    stored.score = 0.91
    db.session.commit()
    return {"users": users, "deal_id": deal_id}


def _page(app: Any, user: Any, deal_id: int) -> tuple[int, str]:
    client = app.test_client()
    login(client, user)
    response = client.get(f"/deals/{deal_id}")
    return response.status_code, response.get_data(as_text=True)


def _api(app: Any, user: Any, deal_id: int) -> tuple[int, Any]:
    client = app.test_client()
    response = client.get(f"/api/v1/deals/{deal_id}", headers=api_headers(client, user))
    return response.status_code, response.get_json()


@pytest.mark.parametrize("viewer", VIEWERS)
def test_page_and_api_show_the_same_timeline_text(
    app: Any, deal_world: dict[str, Any], viewer: str
) -> None:
    user, deal_id = deal_world["users"][viewer], deal_world["deal_id"]
    status, page = _page(app, user, deal_id)
    api_status, body = _api(app, user, deal_id)
    assert (status, api_status) == (200, 200)
    api_notes = " ".join(event["note"] or "" for event in body["events"])
    for text, allowed in TEXTS.items():
        expected = viewer in allowed
        assert (text in page) is expected, (viewer, text, "page")
        assert (text in api_notes) is expected, (viewer, text, "api")
    # The milestones are there for everyone: opened, claimed, moved to contacting.
    kinds = [event["kind"] for event in body["events"]]
    assert kinds[:3] == ["stage", "claim", "stage"]
    assert body["stage"] == "contacting"
    internal = viewer in ("broker", "admin")
    assert ("REASONTERM" in page) is internal
    assert (body["reasons"] != []) is internal and (body["score"] is not None) is internal
    # Notes and contacts are whole events of the brokerage record.
    assert ("note" in kinds and "contact" in kinds) is internal
    page_events = page.count('data-event="')
    assert page_events == len(body["events"])


@pytest.mark.parametrize("viewer", ["outsider", "other_broker"])
def test_those_off_the_deal_see_nothing_through_either_door(
    app: Any, deal_world: dict[str, Any], viewer: str
) -> None:
    user, deal_id = deal_world["users"][viewer], deal_world["deal_id"]
    status, page = _page(app, user, deal_id)
    api_status, body = _api(app, user, deal_id)
    assert (status, api_status) == (403, 403)
    assert not any(text in page or text in str(body) for text in TEXTS)


def test_the_parties_deal_list_in_the_api_hides_the_brokerage_record(
    app: Any, deal_world: dict[str, Any]
) -> None:
    client = app.test_client()
    headers = api_headers(client, deal_world["users"]["buyer"])
    listing = client.get("/api/v1/deals", headers=headers).get_json()
    [deal] = listing["items"]
    assert deal["id"] == deal_world["deal_id"]
    assert deal["reasons"] == [] and deal["score"] is None
