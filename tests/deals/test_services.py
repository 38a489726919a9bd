"""Deal rules without HTTP: stages, claim, release, reassignment and interest."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.deals import services
from marketplace.deals.models import Deal, DealEvent
from marketplace.errors import Conflict, InvalidTransition, PermissionDenied, ValidationError
from marketplace.extensions import db
from marketplace.outbox import OutboxMessage
from tests.factories import AchievementFactory, DealFactory, DemandFactory


def _events(deal: Deal) -> list[tuple[str, str | None, str | None]]:
    return [
        (e.kind, e.from_stage, e.to_stage)
        for e in db.session.execute(
            sa.select(DealEvent).where(DealEvent.deal_id == deal.id).order_by(DealEvent.id)
        ).scalars()
    ]


def test_claim_release_and_reassign(app, make_user):
    first, second, admin = make_user("broker"), make_user("broker"), make_user("admin")
    deal = DealFactory()
    services.claim_deal(first, deal.id)
    with pytest.raises(Conflict):
        services.claim_deal(second, deal.id)
    with pytest.raises(PermissionDenied):
        services.change_stage(second, deal.id, services.StageChange("contacting"))
    services.release_deal(first, deal.id, "出差，交回")
    assert (deal.stage, deal.broker_id) == ("suggested", None)
    services.assign_deal(admin, deal.id, second.id)
    assert (deal.stage, deal.broker_id) == ("claimed", second.id)
    with pytest.raises(ValidationError):
        services.assign_deal(admin, deal.id, admin.id)
    assert [k for k, _f, _t in _events(deal)] == ["claim", "release", "assign"]


def test_stage_rules(app, make_user):
    broker = make_user("broker")
    deal = DealFactory(stage="claimed", broker=broker)
    with pytest.raises(InvalidTransition):
        services.change_stage(broker, deal.id, services.StageChange("signed"))
    with pytest.raises(ValidationError) as error:
        services.change_stage(broker, deal.id, services.StageChange("failed"))
    assert "failure_reason" in error.value.fields
    with pytest.raises(ValidationError):
        services.change_stage(
            broker, deal.id, services.StageChange("failed", failure_reason="weather")
        )
    services.change_stage(broker, deal.id, services.StageChange("contacting", "联系中"))
    services.change_stage(broker, deal.id, services.StageChange("negotiating"))
    services.change_stage(broker, deal.id, services.StageChange("signed", "签了"))
    assert deal.stage == "signed" and deal.signed_at is not None
    with pytest.raises(InvalidTransition):
        services.change_stage(
            broker, deal.id, services.StageChange("failed", failure_reason="price")
        )
    notes = (
        db.session.execute(sa.select(OutboxMessage).where(OutboxMessage.topic == "notify"))
        .scalars()
        .all()
    )
    assert len(notes) == 3 and all(n.payload["kind"] == "deal_stage" for n in notes)
    assert set(notes[-1].payload["org_ids"]) == {deal.seller_org_id, deal.buyer_org_id}
    assert notes[-1].payload["user_ids"] == [broker.id]


def test_interest_rules(app, make_user):
    buyer = make_user("enterprise")
    achievement = AchievementFactory()
    own = AchievementFactory(org=buyer.org)
    draft = AchievementFactory(status="draft")
    other_demand = DemandFactory()
    with pytest.raises(ValidationError):
        services.express_interest(buyer, own.id)
    with pytest.raises(ValidationError):
        services.express_interest(buyer, draft.id)
    with pytest.raises(ValidationError) as error:
        services.express_interest(buyer, achievement.id, other_demand.id)
    assert "demand_id" in error.value.fields
    with pytest.raises(PermissionDenied):
        services.express_interest(make_user("researcher"), achievement.id)
    deal, created = services.express_interest(buyer, achievement.id)
    assert created and deal.source == "interest" and deal.demand_id is None
    again, created = services.express_interest(buyer, achievement.id, note="再次询问")
    assert again.id == deal.id and not created
    assert _events(deal)[-1][0] == "interest"
    # An interest in a suggested match turns it into an interest deal.
    demand = DemandFactory(org=buyer.org)
    suggested = DealFactory(demand=demand, achievement=achievement)
    deal, created = services.express_interest(buyer, achievement.id, demand.id)
    assert deal.id == suggested.id and not created and deal.source == "interest"
