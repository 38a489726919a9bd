"""A submitted (pending) listing gets its matches at once, for its owner, brokers and admins;
nobody else sees it, and it never appears in another listing's matches."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from marketplace.deals.models import Deal
from marketplace.deals.suggestions import refresh_matches
from marketplace.extensions import db
from marketplace.listings import services as listing_services
from marketplace.search.index import index_listings
from marketplace.search.models import ListingMatch
from tests.conftest import login
from tests.factories import DemandFactory, OrganisationFactory
from tests.search.helpers import achievement

BODY = "废旧锂电池湿法回收钴镍锂，回收率高，适合规模化生产"


def _setup(app, make_user):
    app.config["MATCH_SUGGESTION_MIN_SCORE"] = 0.0  # every match would be a suggestion
    offer = achievement(title="锂电池回收工艺", body=BODY, field="environment", price=None)
    index_listings([offer.id])
    org = OrganisationFactory(kind="enterprise")
    owner = make_user("enterprise", org=org)
    wanted = DemandFactory(
        org=org,
        title="寻求锂电池回收技术",
        body="需要" + BODY,
        keywords=["锂电池", "回收"],
        field="environment",
        budget_min=None,
        budget_max=Decimal("900000"),
        status="draft",
        published_at=None,
    )
    listing_services.submit_listing(owner, wanted.id)
    return offer, wanted, owner


def test_submitted_demand_has_matches_before_review(app, client, make_user):
    offer, wanted, owner = _setup(app, make_user)
    assert db.session.get(type(wanted), wanted.id).status == "pending"
    matches = refresh_matches(wanted.id)  # what the worker does for the queued message
    db.session.commit()
    assert [m.listing_id for m in matches] == [offer.id]
    # No broker suggestion (and no notification) for a listing nobody has reviewed yet.
    assert db.session.execute(sa.select(sa.func.count()).select_from(Deal)).scalar() == 0

    login(client, owner)
    page = client.get(f"/demands/{wanted.id}").get_data(as_text=True)
    assert 'data-testid="matches-panel"' in page and "锂电池回收工艺" in page
    api = client.get(f"/api/v1/demands/{wanted.id}/matches").get_json()
    assert [item["achievement"]["id"] for item in api["items"]] == [offer.id]

    # The achievement's side never sees the pending demand, even after its own refresh.
    researcher = make_user("researcher", org=offer.org)
    refresh_matches(offer.id)
    db.session.commit()
    other = client.application.test_client()
    login(other, researcher)
    page = other.get(f"/achievements/{offer.id}").get_data(as_text=True)
    assert "寻求锂电池回收技术" not in page
    assert other.get(f"/demands/{wanted.id}").status_code in (403, 404)
    # … and its refresh did not erase the pending demand's own pair.
    assert db.session.execute(sa.select(ListingMatch.demand_id)).scalars().all() == [wanted.id]


def test_withdrawn_or_rejected_listing_loses_its_matches(app, make_user):
    _offer, wanted, _owner = _setup(app, make_user)
    refresh_matches(wanted.id)
    db.session.commit()
    wanted.status = "rejected"
    db.session.commit()
    refresh_matches(wanted.id)
    db.session.commit()
    assert db.session.execute(sa.select(sa.func.count()).select_from(ListingMatch)).scalar() == 0


def test_publishing_turns_strong_matches_into_suggestions(app, make_user):
    offer, wanted, _owner = _setup(app, make_user)
    admin = make_user("admin")
    listing_services.review_listing(admin, wanted.id, "approve")
    index_listings([wanted.id])
    refresh_matches(wanted.id)
    db.session.commit()
    deal = db.session.execute(sa.select(Deal)).scalar_one()
    assert (deal.demand_id, deal.achievement_id) == (wanted.id, offer.id)
