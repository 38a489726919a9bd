"""Achievements and demands share one table (single-table inheritance) and one workflow."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organisation, User
from marketplace.database import Money, TimestampMixin, UTCDateTime, utcnow
from marketplace.extensions import Model
from marketplace.vocab import FIELDS, IP_TYPES, LISTING_STATUSES


def _in(column: str, codes: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(code) for code in codes)})"


LISTING_KINDS = ("achievement", "demand")


class Listing(TimestampMixin, Model):
    """Fields common to achievements and demands; ``body`` is the summary or the description."""

    __tablename__ = "listings"
    __table_args__ = (
        sa.CheckConstraint(_in("kind", LISTING_KINDS), name="kind"),
        sa.CheckConstraint(_in("status", LISTING_STATUSES.codes), name="status"),
        sa.CheckConstraint(f"field IS NULL OR {_in('field', FIELDS.codes)}", name="field"),
        sa.CheckConstraint(f"ip_type IS NULL OR {_in('ip_type', IP_TYPES.codes)}", name="ip_type"),
        sa.CheckConstraint("maturity IS NULL OR (maturity >= 1 AND maturity <= 9)",
                           name="maturity"),
        sa.CheckConstraint("price IS NULL OR price >= 0", name="price"),
        sa.CheckConstraint("budget_min IS NULL OR budget_min >= 0", name="budget_min"),
        sa.CheckConstraint("budget_max IS NULL OR budget_max >= 0", name="budget_max"),
        sa.CheckConstraint("budget_min IS NULL OR budget_max IS NULL OR budget_min <= budget_max",
                           name="budget_range"),
        sa.CheckConstraint("bounty IS NULL OR bounty >= 0", name="bounty"),
        sa.CheckConstraint("length(title) > 0", name="title_not_empty"),
        # Re-importing the same source reference from the same organisation updates the row.
        sa.UniqueConstraint("org_id", "kind", "ref", name="uq_listings_org_kind_ref"),
        sa.Index("ix_listings_kind_status", "kind", "status"),
    )
    __mapper_args__ = {"polymorphic_on": "kind"}

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    ref: Mapped[str | None] = mapped_column(sa.String(100))
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    keywords: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    keywords_extracted: Mapped[bool] = mapped_column(default=False)
    field: Mapped[str | None] = mapped_column(sa.String(40), index=True)
    maturity: Mapped[int | None] = mapped_column(sa.SmallInteger)
    ip_type: Mapped[str | None] = mapped_column(sa.String(30))
    patent_numbers: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    modes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    region: Mapped[str | None] = mapped_column(sa.String(6))
    contact_name: Mapped[str | None] = mapped_column(sa.String(100))
    contact_phone: Mapped[str | None] = mapped_column(sa.String(40))
    contact_email: Mapped[str | None] = mapped_column(sa.String(254))
    status: Mapped[str] = mapped_column(sa.String(20), default="draft")
    reject_reason: Mapped[str | None] = mapped_column(sa.Text)
    posted_on: Mapped[date | None] = mapped_column(sa.Date)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    view_count: Mapped[int] = mapped_column(default=0)
    extra: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)  # e.g. source_labels

    # Achievement: asking price (None = 面议, negotiable).
    price: Mapped[Decimal | None] = mapped_column(Money())
    # Demand: budget range, deadline, and the challenge (揭榜挂帅) settings.
    budget_min: Mapped[Decimal | None] = mapped_column(Money())
    budget_max: Mapped[Decimal | None] = mapped_column(Money())
    deadline: Mapped[date | None] = mapped_column(sa.Date)
    is_challenge: Mapped[bool] = mapped_column(default=False)
    bounty: Mapped[Decimal | None] = mapped_column(Money())
    applications_open_on: Mapped[date | None] = mapped_column(sa.Date)
    applications_close_on: Mapped[date | None] = mapped_column(sa.Date)

    org: Mapped[Organisation] = relationship(lazy="joined")
    owner: Mapped[User | None] = relationship()

    @property
    def text(self) -> str:
        return self.body

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id} {self.status} {self.title!r}>"


class Achievement(Listing):
    __mapper_args__ = {"polymorphic_identity": "achievement"}

    @property
    def summary(self) -> str:
        return self.body


class Demand(Listing):
    __mapper_args__ = {"polymorphic_identity": "demand"}

    @property
    def description(self) -> str:
        return self.body


class ListingEvent(Model):
    """Every status transition of a listing: who, when, from, to and a note."""

    __tablename__ = "listing_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(sa.ForeignKey("listings.id", ondelete="CASCADE"),
                                            index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    from_status: Mapped[str | None] = mapped_column(sa.String(20))
    to_status: Mapped[str] = mapped_column(sa.String(20))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    actor: Mapped[User | None] = relationship()
