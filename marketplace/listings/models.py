"""Achievements and demands share one table (single-table inheritance) and one workflow."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organisation, User
from marketplace.database import (
    Money,
    SearchVector,
    TimestampMixin,
    UTCDateTime,
    in_codes,
    utcnow,
)
from marketplace.extensions import Model
from marketplace.vocab import (
    APPLICATION_STATUSES,
    FIELDS,
    IP_TYPES,
    LISTING_STATUSES,
    Vocabulary,
)

LISTING_KINDS = ("achievement", "demand")


class Listing(TimestampMixin, Model):
    """Fields common to achievements and demands; ``body`` is the summary or the description."""

    __tablename__ = "listings"
    __table_args__ = (
        sa.CheckConstraint(in_codes("kind", LISTING_KINDS), name="kind"),
        sa.CheckConstraint(in_codes("status", LISTING_STATUSES.codes), name="status"),
        sa.CheckConstraint(f"field IS NULL OR {in_codes('field', FIELDS.codes)}", name="field"),
        sa.CheckConstraint(
            f"ip_type IS NULL OR {in_codes('ip_type', IP_TYPES.codes)}", name="ip_type"
        ),
        sa.CheckConstraint(
            "maturity IS NULL OR (maturity >= 1 AND maturity <= 9)", name="maturity"
        ),
        sa.CheckConstraint("price IS NULL OR price >= 0", name="price"),
        sa.CheckConstraint("budget_min IS NULL OR budget_min >= 0", name="budget_min"),
        sa.CheckConstraint("budget_max IS NULL OR budget_max >= 0", name="budget_max"),
        sa.CheckConstraint(
            "budget_min IS NULL OR budget_max IS NULL OR budget_min <= budget_max",
            name="budget_range",
        ),
        sa.CheckConstraint("bounty IS NULL OR bounty >= 0", name="bounty"),
        sa.CheckConstraint("length(title) > 0", name="title_not_empty"),
        # Re-importing the same source reference from the same organisation updates the row.
        sa.UniqueConstraint("org_id", "kind", "ref", name="uq_listings_org_kind_ref"),
        sa.Index("ix_listings_kind_status", "kind", "status"),
        # Public lists and the home page show the newest published listings first; with the id
        # (the lists' tie-break) the index alone walks to page N (queries.page_of).
        sa.Index("ix_listings_kind_status_published_id", "kind", "status", "published_at", "id"),
        # The matching worker reads each kind's listings changed since its last look.
        sa.Index("ix_listings_kind_updated_at", "kind", "updated_at"),
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
    # Kept in the same transaction as the row by marketplace.search.vectors (PostgreSQL only):
    # the jieba-cut words (title A, keywords/patents B, text C, organisation D) and a hash of
    # what they were computed from, which `search check` compares.
    search_vector: Mapped[str | None] = mapped_column(SearchVector(), deferred=True)
    search_hash: Mapped[str | None] = mapped_column(sa.String(40))

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
    attachments: Mapped[list[Attachment]] = relationship(order_by="Attachment.id", viewonly=True)

    @property
    def text(self) -> str:
        return self.body

    @property
    def is_unclassified(self) -> bool:
        """Imported rows may lack a field or (for achievements) a maturity until someone sets it."""
        return self.field is None or (self.kind == "achievement" and self.maturity is None)

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
    listing_id: Mapped[int] = mapped_column(
        sa.ForeignKey("listings.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    from_status: Mapped[str | None] = mapped_column(sa.String(20))
    to_status: Mapped[str] = mapped_column(sa.String(20))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    actor: Mapped[User | None] = relationship()


# Why a challenge owner shortlisted, accepted or declined an application; shown to the applicant.
APPLICATION_REASONS = Vocabulary(
    "application_reason",
    [
        ("best_fit", _l("Best fit for the challenge")),
        ("strong_team", _l("Strong team and track record")),
        ("sound_plan", _l("Sound and credible plan")),
        ("cost_effective", _l("Good value for the amount requested")),
        ("out_of_scope", _l("Does not address the challenge")),
        ("insufficient_capability", _l("Team lacks the needed capability")),
        ("over_budget", _l("Requested amount exceeds the bounty")),
        ("weak_plan", _l("Plan is not convincing")),
        ("other_selected", _l("Another application was selected")),
        ("other", _l("Other")),
    ],
)


class ChallengeApplication(TimestampMixin, Model):
    """A research team's proposal to a challenge (揭榜挂帅) demand."""

    __tablename__ = "challenge_applications"
    __table_args__ = (
        sa.CheckConstraint(in_codes("status", APPLICATION_STATUSES.codes), name="status"),
        sa.CheckConstraint(
            f"reason_code IS NULL OR {in_codes('reason_code', APPLICATION_REASONS.codes)}",
            name="reason_code",
        ),
        sa.CheckConstraint(
            "requested_amount IS NULL OR requested_amount >= 0", name="requested_amount"
        ),
        sa.CheckConstraint(
            "status != 'declined' OR reason_code IS NOT NULL", name="declined_has_reason"
        ),
        # One live application per organisation and challenge; a withdrawn one may be renewed.
        sa.UniqueConstraint("demand_id", "org_id", name="uq_challenge_applications_demand_org"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    demand_id: Mapped[int] = mapped_column(
        sa.ForeignKey("listings.id", ondelete="CASCADE"), index=True
    )
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    applicant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    summary: Mapped[str] = mapped_column(sa.Text)
    team: Mapped[str] = mapped_column(sa.Text)
    plan: Mapped[str] = mapped_column(sa.Text)
    requested_amount: Mapped[Decimal | None] = mapped_column(Money())
    status: Mapped[str] = mapped_column(sa.String(20), default="submitted")
    reason_code: Mapped[str | None] = mapped_column(sa.String(40))
    reason_note: Mapped[str] = mapped_column(sa.Text, default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    demand: Mapped[Demand] = relationship()
    org: Mapped[Organisation] = relationship(lazy="joined")
    applicant: Mapped[User | None] = relationship()


class Attachment(Model):
    """An uploaded PDF or image of a listing or of a challenge application.

    The file lives under ``UPLOAD_DIR`` with a random name; the original name is only shown.
    """

    __tablename__ = "attachments"
    __table_args__ = (
        sa.CheckConstraint("(listing_id IS NULL) != (application_id IS NULL)", name="one_owner"),
        sa.CheckConstraint("size_bytes > 0", name="size"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("listings.id", ondelete="CASCADE"), index=True
    )
    application_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("challenge_applications.id", ondelete="CASCADE"), index=True
    )
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    original_name: Mapped[str] = mapped_column(sa.String(255))
    stored_name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size_bytes: Mapped[int] = mapped_column(sa.Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
