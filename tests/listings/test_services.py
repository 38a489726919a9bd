"""Listing use cases without HTTP: workflow, editing policy, outbox, keywords, notifications."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from marketplace.extensions import db
from marketplace.listings import services
from marketplace.listings.models import ListingEvent
from marketplace.listings.validation import ListingInput
from marketplace.outbox import OutboxMessage
from tests.listings.helpers import achievement_payload, demand_payload, listing_count, outbox_ids


def _create(user, kind="achievement", **overrides):
    payload = (
        achievement_payload(**overrides) if kind == "achievement" else demand_payload(**overrides)
    )
    return services.create_listing(user, kind, ListingInput.from_mapping(payload, kind))


def test_full_workflow_records_events_outbox_and_notifications(users):
    researcher, admin = users["researcher"], users["admin"]
    listing = _create(researcher)
    assert listing.status == "draft" and listing.org_id == researcher.org_id
    services.submit_listing(researcher, listing.id)
    services.review_listing(admin, listing.id, "reject", "请补充应用案例")
    assert listing.status == "rejected" and listing.reject_reason == "请补充应用案例"
    services.submit_listing(researcher, listing.id)
    services.review_listing(admin, listing.id, "approve")
    assert listing.status == "published" and listing.published_at is not None
    assert listing.reject_reason is None
    services.close_listing(researcher, listing.id, "已转让")
    assert listing.status == "closed"

    events = (
        db.session.execute(
            sa.select(ListingEvent)
            .where(ListingEvent.listing_id == listing.id)
            .order_by(ListingEvent.id)
        )
        .scalars()
        .all()
    )
    assert [(e.from_status, e.to_status) for e in events] == [
        (None, "draft"),
        ("draft", "pending"),
        ("pending", "rejected"),
        ("rejected", "pending"),
        ("pending", "published"),
        ("published", "closed"),
    ]
    assert events[2].actor_id == admin.id and events[2].note == "请补充应用案例"
    # create + 5 transitions: each queued search and matching work in its own transaction.
    assert outbox_ids("search").count(listing.id) == 6
    assert outbox_ids("matching").count(listing.id) == 6
    kinds = [
        p["kind"]
        for p in db.session.execute(
            sa.select(OutboxMessage.payload).where(OutboxMessage.topic == "notify")
        ).scalars()
    ]
    assert kinds == ["listing_rejected", "listing_approved"]


def test_rejecting_needs_a_reason_and_only_admins_review(users):
    listing = _create(users["researcher"])
    services.submit_listing(users["researcher"], listing.id)
    with pytest.raises(ValidationError) as error:
        services.review_listing(users["admin"], listing.id, "reject", "  ")
    assert "reason" in error.value.fields
    for role in ("researcher", "enterprise", "broker"):
        with pytest.raises(PermissionDenied):
            services.review_listing(users[role], listing.id, "approve")
    assert listing.status == "pending"


def test_owner_edit_of_published_listing_goes_back_to_review(users, make_user):
    researcher, admin = users["researcher"], users["admin"]
    listing = _create(researcher)
    services.submit_listing(researcher, listing.id)
    services.review_listing(admin, listing.id, "approve")
    colleague = make_user("researcher", org=researcher.org)
    services.update_listing(colleague, listing.id, ListingInput(title="高导热石墨烯薄膜（第二版）"))
    assert listing.status == "pending"
    assert listing.title == "高导热石墨烯薄膜（第二版）"
    # The administrator's own edit (e.g. classifying) keeps it published.
    services.review_listing(admin, listing.id, "approve")
    services.update_listing(admin, listing.id, ListingInput(field="electronic_info"))
    assert listing.status == "published" and listing.field == "electronic_info"


def test_no_change_is_not_an_edit(users):
    listing = _create(users["researcher"])
    before = len(outbox_ids("search"))
    services.update_listing(users["researcher"], listing.id, ListingInput(title=listing.title))
    assert len(outbox_ids("search")) == before


def test_closed_listing_cannot_be_edited_or_deleted(users):
    listing = _create(users["researcher"])
    services.submit_listing(users["researcher"], listing.id)
    services.review_listing(users["admin"], listing.id, "approve")
    with pytest.raises(InvalidTransition):
        services.delete_listing(users["researcher"], listing.id)
    services.close_listing(users["researcher"], listing.id)
    with pytest.raises(InvalidTransition):
        services.update_listing(users["researcher"], listing.id, ListingInput(title="新标题"))


def test_delete_draft_queues_removal(users):
    listing = _create(users["researcher"])
    listing_id = listing.id
    services.delete_listing(users["researcher"], listing_id)
    assert listing_count() == 0
    assert outbox_ids("search").count(listing_id) == 2  # created, deleted


def test_keywords_extracted_when_empty_and_kept_when_given(users, keyword_extractor):
    auto = _create(users["researcher"], keywords=[])
    assert auto.keywords and auto.keywords_extracted
    assert auto.keywords == list(keyword_extractor.extract_keywords(auto.title, auto.body))[:8]
    manual = _create(users["researcher"], keywords="石墨烯，散热; 导热膜")
    assert manual.keywords == ["石墨烯", "散热", "导热膜"] and not manual.keywords_extracted
    # Editing the text re-extracts automatic keywords, never the owner's own.
    services.update_listing(users["researcher"], auto.id, ListingInput(body="锂电池隔膜涂覆工艺"))
    assert auto.keywords_extracted and "锂电池隔" in "".join(auto.keywords)
    services.update_listing(users["researcher"], manual.id, ListingInput(body="锂电池隔膜涂覆工艺"))
    assert manual.keywords == ["石墨烯", "散热", "导热膜"]


def test_only_matching_roles_create(users):
    for role in ("enterprise", "broker", "admin"):
        with pytest.raises(PermissionDenied):
            _create(users[role])
    for role in ("researcher", "broker", "admin"):
        with pytest.raises(PermissionDenied):
            _create(users[role], "demand")
    assert listing_count() == 0


def test_submit_requires_field_and_maturity(users):
    listing = _create(users["researcher"], field=None, maturity=None)
    with pytest.raises(ValidationError) as error:
        services.submit_listing(users["researcher"], listing.id)
    assert set(error.value.fields) == {"field", "maturity"}
    assert listing.status == "draft"


def test_drafts_are_invisible_outside_the_organisation(users, make_user):
    listing = _create(users["researcher"])
    outsider = make_user("researcher")
    for actor in (None, outsider, users["enterprise"], users["broker"]):
        with pytest.raises(NotFound):
            services.get_listing_for(actor, listing.id)
    assert services.get_listing_for(users["admin"], listing.id) is listing


def test_challenge_rules(users):
    enterprise = users["enterprise"]
    with pytest.raises(ValidationError) as error:
        _create(enterprise, "demand", is_challenge=True)
    assert {"bounty", "applications_close_on"} <= set(error.value.fields)
    demand = _create(
        enterprise,
        "demand",
        is_challenge=True,
        bounty="2000000",
        applications_close_on="2099-01-31",
    )
    assert demand.is_challenge and demand.applications_open_on is not None
    services.update_listing(enterprise, demand.id, ListingInput(is_challenge=False))
    assert demand.bounty is None and demand.applications_close_on is None
