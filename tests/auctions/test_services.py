"""Lot rules without HTTP: timeline, bids, close, 挂牌 end rules, results, deposits."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from marketplace.auctions import bidding, services, settlement
from marketplace.auctions.models import AuctionSuspension, Bid, LotEvent
from marketplace.contracts import services as contract_services
from marketplace.contracts.models import Contract
from marketplace.database import utcnow
from marketplace.deals.models import Deal
from marketplace.errors import Conflict, InvalidTransition, PermissionDenied, ValidationError
from marketplace.extensions import db
from marketplace.outbox import OutboxMessage
from marketplace.workdays import LOCAL_TZ, add_working_days, is_working_day
from tests.auctions.conftest import (
    Market,
    announced_lot,
    bidding_lot,
    register_and_approve,
    travel,
)
from tests.factories import LotFactory, attach_signed_copy


def _data(market: Market, **changes) -> services.LotData:
    now = utcnow()
    values = dict(
        achievement_id=market.achievement.id,
        mode="auction",
        rights="transfer",
        start_price=Decimal("100000"),
        increment=Decimal("5000"),
        deposit=Decimal("10000"),
        registration_opens_at=now + timedelta(days=2),
        bidding_starts_at=now + timedelta(days=8),
        bidding_ends_at=now + timedelta(days=8, hours=2),
    )
    values.update(changes)
    return services.LotData(**values)


def test_working_days_know_chinese_holidays():
    # National Day 2026: 1–7 October off; Friday 9 October 2026 is a working day.
    assert not is_working_day(date(2026, 10, 5))
    assert is_working_day(date(2026, 10, 9))
    assert add_working_days(date(2026, 9, 29), 3) == date(2026, 10, 9)
    # Spring Festival 2026: 15–23 February off, Saturdays 14 and 28 February worked (调休),
    # so 20 working days from 6 February run to 12 March.
    assert is_working_day(date(2026, 2, 14)) and not is_working_day(date(2026, 2, 16))
    assert add_working_days(date(2026, 2, 6), 20) == date(2026, 3, 12)


def test_auction_timeline_is_enforced(market):
    now = utcnow()
    with pytest.raises(ValidationError) as error:
        services.create_lot(
            market.owner,
            _data(
                market,
                bidding_starts_at=now + timedelta(days=6),
                bidding_ends_at=now + timedelta(days=7),
            ),
        )
    assert "bidding_starts_at" in error.value.fields
    with pytest.raises(ValidationError) as error:
        services.create_lot(
            market.owner, _data(market, registration_opens_at=now + timedelta(days=7))
        )
    assert "registration_opens_at" in error.value.fields
    lot = services.create_lot(market.owner, _data(market))
    assert lot.status == "draft"


def test_bad_lot_input_changes_nothing(market):
    for changes, field in [
        ({"reserve_price": Decimal("90000")}, "reserve_price"),
        ({"deposit": Decimal("NaN")}, "deposit"),
        ({"start_price": Decimal("-1")}, "start_price"),
        ({"increment": Decimal("0.001")}, "increment"),
    ]:
        with pytest.raises(ValidationError) as error:
            services.create_lot(market.owner, _data(market, **changes))
        assert field in error.value.fields
    for text in (f"仅限{market.bidder.org.name}参与", "统一社会信用代码91330300MA2C8W1U5E"):
        with pytest.raises(ValidationError) as error:  # points at a single buyer
            services.create_lot(market.owner, _data(market, qualifications=text))
        assert "qualifications" in error.value.fields
    with pytest.raises(ValidationError):
        services.create_lot(market.other_org, _data(market))
    assert db.session.execute(sa.select(sa.func.count()).select_from(LotEvent)).scalar() == 0


def test_listing_period_is_twenty_working_days(market):
    lot = services.create_lot(market.owner, _data(market, mode="listing"))
    services.submit_lot(market.owner, lot.id)
    services.review_lot(market.admin, lot.id, "approve")
    # Working days are Beijing's (between 16:00 and 24:00 UTC its date is tomorrow's).
    local_start = lot.announced_at.astimezone(LOCAL_TZ).date()
    assert lot.listing_ends_at.astimezone(LOCAL_TZ).date() == add_working_days(local_start, 20)
    assert (lot.listing_ends_at - lot.announced_at).days >= 26  # 20 working days span 4 weeks+


def test_change_after_announcement_restarts_it(market):
    lot = announced_lot(market)
    first = lot.announced_at
    travel(lot, timedelta(days=2))
    # The old times no longer leave 7 days of announcement after the change: refused.
    with pytest.raises(ValidationError) as error:
        services.update_lot(
            market.owner,
            lot.id,
            services.LotData(
                **{**services.lot_data(lot).__dict__, "start_price": Decimal("120000")}
            ),
        )
    assert "bidding_starts_at" in error.value.fields
    db.session.rollback()
    db.session.refresh(lot)
    assert lot.status == "registration" and lot.start_price == Decimal("100000.00")
    now = utcnow()
    lot = services.update_lot(
        market.owner,
        lot.id,
        services.LotData(
            **{
                **services.lot_data(lot).__dict__,
                "start_price": Decimal("120000"),
                "registration_opens_at": now + timedelta(days=3),
                "bidding_starts_at": now + timedelta(days=9),
                "bidding_ends_at": now + timedelta(days=10),
            }
        ),
    )
    assert lot.status == "pending" and lot.announced_at is None
    services.review_lot(market.admin, lot.id, "approve")
    assert lot.status == "announced" and lot.announced_at > first


def test_bids_follow_the_grid_and_the_top(market):
    lot = bidding_lot(market)
    first = bidding.place_bid(market.bidder, lot.id, "100000")  # the start price opens
    assert first.amount == Decimal("100000.00")
    for bad, code in [("104000", "too_low"), ("100000", "outbid"), ("107500", "off_increment")]:
        with pytest.raises((Conflict, ValidationError)) as error:
            bidding.place_bid(market.rival, lot.id, bad)
        assert error.value.code == code
    with pytest.raises(Conflict) as error:
        bidding.place_bid(market.bidder, lot.id, "105000")
    assert error.value.code == "already_top"
    bidding.place_bid(market.rival, lot.id, "115000")  # k = 3
    with pytest.raises(PermissionDenied):
        bidding.place_bid(market.enterprise, lot.id, "120000")  # not registered
    with pytest.raises(PermissionDenied):
        bidding.place_bid(market.owner, lot.id, "120000")  # own lot
    with pytest.raises(ValidationError):
        bidding.place_bid(market.bidder, lot.id, "NaN")
    bids = db.session.execute(sa.select(Bid).order_by(Bid.id)).scalars().all()
    assert [b.amount for b in bids] == [Decimal("100000.00"), Decimal("115000.00")]
    assert lot.top_amount == Decimal("115000.00") and lot.bid_count == 2


def test_late_bid_extends_the_close_and_closed_lot_refuses(market):
    lot = bidding_lot(market)
    lot.closes_at = utcnow() + timedelta(minutes=2)
    db.session.commit()
    bid = bidding.place_bid(market.bidder, lot.id, "100000")
    assert bid.closes_at >= bid.placed_at + timedelta(minutes=5)
    assert lot.closes_at == bid.closes_at
    travel(lot, timedelta(minutes=6))
    assert lot.status == "sold"
    with pytest.raises(InvalidTransition):
        bidding.place_bid(market.rival, lot.id, "105000")


def test_sale_makes_deal_contract_and_settles_deposits(market):
    lot = bidding_lot(market, reserve_price=Decimal("110000"))
    bidding.place_bid(market.bidder, lot.id, "100000")
    bidding.place_bid(market.rival, lot.id, "105000")
    bidding.place_bid(market.bidder, lot.id, "120000")
    travel(lot, timedelta(days=2))
    assert lot.status == "sold" and lot.sale_price == Decimal("120000.00")
    assert lot.premium_rate == Decimal("0.2")
    deposits = {
        b.org_id: b.deposit_status
        for b in db.session.execute(sa.select(bidding.LotBidder)).scalars()
    }
    assert deposits == {market.bidder.org_id: "received", market.rival.org_id: "released"}
    deal = db.session.get(Deal, lot.deal_id)
    contract = db.session.get(Contract, lot.contract_id)
    assert deal.buyer_org_id == market.bidder.org_id and deal.broker_id == market.broker.id
    assert (contract.status, contract.type, contract.subtype) == ("draft", "transfer", "patent")
    assert contract.contract_amount == Decimal("120000.00")
    assert contract.buyer_org_id == market.bidder.org_id
    # The winner's deposit goes back when the contract is registered.
    # Audit trail and notifications of every transition.
    actions = [
        (e.action, e.to_status)
        for e in db.session.execute(sa.select(LotEvent).order_by(LotEvent.id)).scalars()
    ]
    assert actions[:3] == [
        ("submit", "pending"),
        ("announce", "announced"),
        ("open_registration", "registration"),
    ]
    assert ("open_bidding", "bidding") in actions and actions[-1] == ("close", "sold")
    kinds = [
        m.payload["kind"]
        for m in db.session.execute(sa.select(OutboxMessage)).scalars()
        if m.topic == "notify"
    ]
    assert {"lot_status", "lot_bidder_approved", "lot_outbid"} <= set(kinds)
    attach_signed_copy(contract)  # submission requires the signed text on file
    contract_services.submit_contract(market.broker, contract.id)
    contract_services.register_contract(market.admin, contract.id)
    settlement.release_registered_deposits()
    db.session.refresh(lot.winner)
    assert lot.winner.deposit_status == "released"


def test_unsold_under_reserve_or_without_bids(market):
    lot = bidding_lot(market, reserve_price=Decimal("200000"))
    bidding.place_bid(market.bidder, lot.id, "150000")
    travel(lot, timedelta(days=2))
    assert lot.status == "unsold" and lot.sale_price is None and lot.deal_id is None
    close = db.session.execute(sa.select(LotEvent).where(LotEvent.action == "close")).scalar_one()
    assert close.data == {"reason": "under_reserve"}
    assert all(
        b.deposit_status == "released"
        for b in db.session.execute(sa.select(bidding.LotBidder)).scalars()
    )


def test_listing_end_rules(market):
    # One qualified buyer: agreement at the listed price.
    lot = LotFactory(
        achievement=market.achievement,
        broker=market.broker,
        mode="listing",
        registration_opens_at=None,
        bidding_starts_at=None,
        bidding_ends_at=None,
        closes_at=None,
    )
    services.submit_lot(market.owner, lot.id)
    services.review_lot(market.admin, lot.id, "approve")
    settlement.advance_lot(lot.id)
    assert lot.status == "registration"
    register_and_approve(market, lot, market.bidder)
    travel(lot, timedelta(days=40))
    assert lot.status == "sold" and lot.sale_price == lot.start_price
    # Two or more: online bidding between them.
    other = LotFactory(
        broker=market.broker,
        mode="listing",
        registration_opens_at=None,
        bidding_starts_at=None,
        bidding_ends_at=None,
        closes_at=None,
        achievement__org=market.owner.org,
    )
    services.submit_lot(market.owner, other.id)
    services.review_lot(market.admin, other.id, "approve")
    settlement.advance_lot(other.id)
    register_and_approve(market, other, market.bidder)
    register_and_approve(market, other, market.rival)
    travel(other, timedelta(days=40))
    assert other.status == "registration" and other.bidding_starts_at is not None
    travel(other, timedelta(days=1, minutes=1))
    assert other.status == "bidding"
    bidding.place_bid(market.rival, other.id, str(other.start_price))
    with pytest.raises(InvalidTransition):
        bidding.register_bidder(market.enterprise, other.id)  # registration is over


def test_default_forfeits_and_suspends(market):
    lot = bidding_lot(market)
    bidding.place_bid(market.bidder, lot.id, "100000")
    travel(lot, timedelta(days=2))
    with pytest.raises(PermissionDenied):
        settlement.mark_default(market.owner, lot.id, "x")
    settlement.mark_default(market.broker, lot.id, "未按期签约付款")
    assert lot.winner.deposit_status == "forfeited"
    assert db.session.execute(sa.select(AuctionSuspension.org_id)).scalar() == market.bidder.org_id
    # Suspended: cannot register for the seller's next lot.
    another = LotFactory(achievement__org=market.owner.org, broker=market.broker)
    services.submit_lot(market.owner, another.id)
    services.review_lot(market.admin, another.id, "approve")
    travel(another, timedelta(days=1, minutes=1))
    with pytest.raises(PermissionDenied) as error:
        bidding.register_bidder(market.bidder, another.id)
    assert error.value.code == "suspended"
