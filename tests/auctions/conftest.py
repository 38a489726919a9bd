"""A small market for lot tests: seller, broker, admin, bidders, an outsider; time travel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from marketplace.auctions import bidding, services, settlement
from marketplace.auctions.models import Lot
from marketplace.extensions import db
from tests.factories import AchievementFactory, LotFactory, OrganisationFactory, UserFactory

TIME_FIELDS = (
    "announced_at",
    "registration_opens_at",
    "bidding_starts_at",
    "bidding_ends_at",
    "listing_ends_at",
    "closes_at",
)


@dataclass
class Market:
    owner: Any
    other_org: Any
    bidder: Any
    rival: Any
    enterprise: Any
    broker: Any
    admin: Any
    achievement: Any

    def users(self) -> dict[str, Any]:
        return {
            "owner": self.owner,
            "other_org": self.other_org,
            "bidder": self.bidder,
            "enterprise": self.enterprise,
            "broker": self.broker,
            "admin": self.admin,
        }


@pytest.fixture
def market(app: Any) -> Market:
    seller = OrganisationFactory(kind="university", region="330100")
    return Market(
        owner=UserFactory(role="researcher", org=seller),
        other_org=UserFactory(role="researcher"),
        bidder=UserFactory(role="enterprise"),
        rival=UserFactory(role="enterprise"),
        enterprise=UserFactory(role="enterprise"),
        broker=UserFactory(role="broker"),
        admin=UserFactory(role="admin"),
        achievement=AchievementFactory(org=seller),
    )


def travel(lot: Lot, delta: timedelta) -> Lot:
    """Move the lot's whole timeline ``delta`` into the past (time moved forward), then let the
    scheduled job take whatever steps are due."""
    for name in TIME_FIELDS:
        value = getattr(lot, name)
        if value is not None:
            setattr(lot, name, value - delta)
    db.session.commit()
    settlement.advance_lot(lot.id)
    db.session.refresh(lot)
    return lot


def announced_lot(market: Market, **kwargs: Any) -> Lot:
    """A lot of the market's seller, approved by the admin, with the broker as organiser."""
    kwargs.setdefault("achievement", market.achievement)
    lot = LotFactory(broker=market.broker, **kwargs)
    services.submit_lot(market.owner, lot.id)
    services.review_lot(market.admin, lot.id, "approve")
    return lot


def register_and_approve(market: Market, lot: Lot, user: Any) -> Any:
    bidder = bidding.register_bidder(user, lot.id, "营业执照副本")
    return bidding.approve_bidder(
        market.broker, lot.id, bidder.id, bidding.DepositData(f"RC-{bidder.id}", lot.deposit)
    )


def bidding_lot(market: Market, **kwargs: Any) -> Lot:
    """An auction lot in bidding with ``bidder`` and ``rival`` approved (numbers 1 and 2)."""
    lot = announced_lot(market, **kwargs)
    travel(lot, timedelta(days=1, minutes=1))  # registration opens
    assert lot.status == "registration"
    register_and_approve(market, lot, market.bidder)
    register_and_approve(market, lot, market.rival)
    travel(lot, timedelta(days=7))  # bidding starts
    assert lot.status == "bidding"
    return lot


def amount(text: str) -> Decimal:
    return Decimal(text)
