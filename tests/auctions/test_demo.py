"""The demo generator's auctions: a finished session with sold and unsold lots, an open lot."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.auctions.models import Bid, Lot, LotSession
from marketplace.extensions import db
from marketplace.seed.demo import seed_accounts
from marketplace.seed.demo_auctions import seed_auctions
from marketplace.seed.demo_listings import seed_listings


def test_demo_auctions(app):
    users = seed_accounts()
    seed_listings(users, {user.org.name: user.org for user in users.values()})
    db.session.commit()
    seed_auctions(users)
    session = db.session.execute(sa.select(LotSession)).scalar_one()
    assert sorted(lot.status for lot in session.lots) == ["sold", "sold", "unsold"]
    assert all(lot.premium_rate > 0 for lot in session.lots if lot.status == "sold")
    assert all(lot.contract_id for lot in session.lots if lot.status == "sold")
    open_lot = db.session.execute(sa.select(Lot).where(Lot.session_id.is_(None))).scalar_one()
    assert open_lot.status == "bidding" and open_lot.bid_count == 3
    assert db.session.query(Bid).filter(Bid.lot_id == open_lot.id).count() == 3
    page = app.test_client().get(f"/lots/{open_lot.id}").get_data(as_text=True)
    assert 'data-testid="live-panel"' in page
