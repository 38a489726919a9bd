"""Demo auctions, made by the auction services themselves on a shifted clock: one finished
session (两 lots sold, one 流拍) and one open lot with bids."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from marketplace.accounts.models import Organisation, User
from marketplace.accounts.passwords import hash_password
from marketplace.auctions import bidding, services, settlement
from marketplace.auctions.models import Bid, Lot, LotSession
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.listings.models import Achievement
from marketplace.seed import DEMO_PASSWORD

TIME_FIELDS = (
    "announced_at",
    "registration_opens_at",
    "bidding_starts_at",
    "bidding_ends_at",
    "listing_ends_at",
    "closes_at",
    "closed_at",
)


def _shift(lot: Lot, delta: timedelta) -> None:
    """Move the lot's timeline and its bids ``delta`` into the past, then take the due steps."""
    for name in TIME_FIELDS:
        value = getattr(lot, name)
        if value is not None:
            setattr(lot, name, value - delta)
    for bid in db.session.execute(sa.select(Bid).where(Bid.lot_id == lot.id)).scalars():
        bid.placed_at -= delta
        bid.closes_at -= delta
    db.session.commit()
    settlement.advance_lot(lot.id)


def _second_bidder() -> User:
    org = Organisation(
        name="台州精密机械股份有限公司",
        kind="enterprise",
        region="331000",
        verified=True,
        verified_at=utcnow(),
    )
    user = User(
        email="bidder@demo.cn",
        name="周采购",
        role="enterprise",
        org=org,
        password_hash=hash_password(DEMO_PASSWORD),
        active=True,
    )
    db.session.add_all([org, user])
    db.session.commit()
    return user


def _lot(
    owner: User,
    broker: User,
    admin: User,
    achievement: Achievement,
    start: str,
    increment: str,
    reserve: str | None,
    ends_in: timedelta,
) -> Lot:
    now = utcnow()
    lot = services.create_lot(
        owner,
        services.LotData(
            achievement_id=achievement.id,
            mode="auction",
            rights="transfer",
            start_price=Decimal(start),
            reserve_price=Decimal(reserve) if reserve else None,
            increment=Decimal(increment),
            deposit=Decimal(start) / 10,
            qualifications="依法设立并有效存续的企业法人，具备成果实施条件。",
            registration_opens_at=now + timedelta(days=2),
            bidding_starts_at=now + timedelta(days=8),
            bidding_ends_at=now + timedelta(days=8) + ends_in,
            broker_id=broker.id,
        ),
    )
    services.submit_lot(owner, lot.id)
    services.review_lot(admin, lot.id, "approve")
    _shift(lot, timedelta(days=2, minutes=1))
    return lot


def _register(lot: Lot, broker: User, users: list[User]) -> None:
    for index, user in enumerate(users):
        bidder = bidding.register_bidder(user, lot.id, "营业执照副本、法定代表人授权书")
        bidding.approve_bidder(
            broker,
            lot.id,
            bidder.id,
            bidding.DepositData(receipt=f"BZJ-{lot.id:04d}-{index + 1}", amount=lot.deposit),
        )


def seed_auctions(users: dict[str, User]) -> None:
    """The demo's auctions; expects the demo accounts and published achievements."""
    admin, broker = users["admin@demo.cn"], users["broker@demo.cn"]
    buyers = [users["enterprise@demo.cn"], _second_bidder()]
    achievements = list(
        db.session.execute(
            sa.select(Achievement)
            .where(Achievement.status == "published")
            .order_by(Achievement.id)
            .limit(4)
        ).scalars()
    )
    if len(achievements) < 4:
        return
    owners = {user.org_id: user for user in users.values() if user.role == "researcher"}
    finished = []
    for achievement, start, reserve, bids in [
        (achievements[0], "300000", None, ["300000", "320000", "360000", "380000"]),
        (achievements[1], "500000", "550000", ["500000", "520000"]),
        (achievements[2], "200000", None, ["200000", "210000", "230000"]),
    ]:
        lot = _lot(
            owners[achievement.org_id],
            broker,
            admin,
            achievement,
            start,
            "10000",
            reserve,
            timedelta(hours=2),
        )
        _register(lot, broker, buyers)
        _shift(lot, timedelta(days=6))
        for index, amount in enumerate(bids):
            bidding.place_bid(buyers[index % 2], lot.id, amount)
        _shift(lot, timedelta(hours=3))
        finished.append(lot)
    # History: the session closed a month ago.
    month = timedelta(days=30)
    for lot in finished:
        _shift(lot, month)
    first = finished[0]
    session = LotSession(
        title="温州市科技成果竞价（新材料与先进制造）专场",
        kind="industry",
        description="由浙南技术转移中心组织，市科学技术局指导。",
        registration_opens_at=first.registration_opens_at,
        bidding_starts_at=first.bidding_starts_at,
        bidding_ends_at=first.bidding_ends_at,
        created_by_id=admin.id,
    )
    db.session.add(session)
    db.session.flush()
    for lot in finished:
        lot.session_id = session.id
    db.session.commit()

    # An open lot with bids: bidding now, closing in two days.
    achievement = achievements[3]
    lot = _lot(
        owners[achievement.org_id],
        broker,
        admin,
        achievement,
        "800000",
        "20000",
        "900000",
        timedelta(days=2, hours=6),
    )
    _register(lot, broker, buyers)
    _shift(lot, timedelta(days=6, hours=1))
    for index, amount in enumerate(["800000", "840000", "860000"]):
        bidding.place_bid(buyers[index % 2], lot.id, amount)
