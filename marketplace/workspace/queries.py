"""What each role's workspace shows, read from the listings, deals, contracts and statistics."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from marketplace.accounts.models import User
from marketplace.accounts.permissions import require_user
from marketplace.contracts.models import Contract
from marketplace.contracts.services import local_today
from marketplace.database import utcnow
from marketplace.deals.models import Deal
from marketplace.deals.queries import visible_deals
from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.search.models import ListingMatch, match_side
from marketplace.stats.queries import Summary, build_summary
from marketplace.workspace.kpis import BrokerKpis, broker_kpis

NEW_DAYS = 7  # a match is "new" when its counterpart was published this recently
SHOWN = 8  # rows per list; each list links to its full page


@dataclass(frozen=True)
class ListingLine:
    listing: Listing
    matches: int
    new_matches: int


@dataclass
class Workspace:
    role: str
    listings: list[ListingLine] = field(default_factory=list)
    listing_total: int = 0
    interests: list[Deal] = field(default_factory=list)  # enterprise: interests it expressed
    queue: list[Deal] = field(default_factory=list)
    queue_total: int = 0
    kpis: BrokerKpis | None = None
    review: list[Listing] = field(default_factory=list)
    review_total: int = 0
    to_register: list[Contract] = field(default_factory=list)
    to_register_total: int = 0
    summary: Summary | None = None


def _count(query: sa.Select) -> int:
    return int(
        db.session.execute(
            sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
        ).scalar_one()
    )


def _listing_lines(kind: str, org_id: int) -> tuple[list[ListingLine], int]:
    """The organisation's listings of ``kind``, newest first, with match counts."""
    query = sa.select(Listing).where(
        Listing.kind == kind, Listing.org_id == org_id, Listing.status != "closed"
    )
    total = _count(query)
    listings = list(
        db.session.execute(
            query.order_by(Listing.updated_at.desc(), Listing.id.desc()).limit(SHOWN)
        ).scalars()
    )
    if not listings:
        return [], total
    side = match_side(kind)
    mine, theirs = side.own_id, side.other_id
    other = aliased(Listing)
    since = utcnow() - timedelta(days=NEW_DAYS)
    rows = db.session.execute(
        sa.select(
            mine, sa.func.count(), sa.func.sum(sa.case((other.published_at >= since, 1), else_=0))
        )
        .join(other, other.id == theirs)
        .where(
            mine.in_([listing.id for listing in listings]),
            ListingMatch.ranked_by == kind,
            other.status == "published",
        )
        .group_by(mine)
    ).all()
    counts = {row[0]: (int(row[1]), int(row[2] or 0)) for row in rows}
    return [ListingLine(listing, *counts.get(listing.id, (0, 0))) for listing in listings], total


def workspace_for(actor: User) -> Workspace:
    """Everything the ``actor``'s workspace shows for their role."""
    user = require_user(actor)
    space = Workspace(role=user.role)
    if user.role in ("researcher", "enterprise"):
        kind = "achievement" if user.role == "researcher" else "demand"
        space.listings, space.listing_total = _listing_lines(kind, user.org_id)
    if user.role == "enterprise":
        space.interests = list(
            db.session.execute(
                sa.select(Deal)
                .where(Deal.buyer_org_id == user.org_id, Deal.source == "interest")
                .order_by(Deal.updated_at.desc(), Deal.id.desc())
                .limit(SHOWN)
            ).scalars()
        )
    if user.role in ("broker", "admin"):
        queue = visible_deals(user, scope="queue")
        space.queue_total = _count(queue)
        space.queue = list(db.session.execute(queue.limit(SHOWN)).scalars())
    if user.role == "broker":
        space.kpis = broker_kpis(user.id)
    if user.role == "admin":
        review = (
            sa.select(Listing)
            .where(Listing.status == "pending")
            .order_by(Listing.submitted_at.asc().nulls_last(), Listing.id)
        )
        space.review_total = _count(review)
        space.review = list(db.session.execute(review.limit(SHOWN)).scalars())
        submitted = (
            sa.select(Contract)
            .where(Contract.status == "submitted")
            .order_by(Contract.updated_at.asc(), Contract.id)
        )
        space.to_register_total = _count(submitted)
        space.to_register = list(db.session.execute(submitted.limit(SHOWN)).scalars())
        today = local_today()
        space.summary = build_summary(today.year, None, today)
    return space
