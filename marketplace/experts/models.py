"""Experts, their declared ties and status history; evaluations, panels, exclusions and reviews."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organisation, User
from marketplace.database import TimestampMixin, UTCDateTime, in_codes, utcnow
from marketplace.experts.vocab import (
    EVALUATION_PURPOSES,
    EVALUATION_STATUSES,
    EXPERT_STATUSES,
    EXPERT_TIERS,
    EXPERT_TITLES,
)
from marketplace.extensions import Model
from marketplace.listings.models import Achievement, ChallengeApplication

SCORE_CHECK = "BETWEEN 0 AND 100"


class Expert(TimestampMixin, Model):
    """A user's entry in the expert library. ``fields`` are SPEC field codes."""

    __tablename__ = "experts"
    __table_args__ = (
        sa.CheckConstraint(in_codes("title", EXPERT_TITLES.codes), name="title"),
        sa.CheckConstraint(in_codes("tier", EXPERT_TIERS.codes), name="tier"),
        sa.CheckConstraint(in_codes("status", EXPERT_STATUSES.codes), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), unique=True)
    unit_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(20))
    fields: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    tier: Mapped[str] = mapped_column(sa.String(20), default="general")
    status: Mapped[str] = mapped_column(sa.String(20), default="active")
    speciality: Mapped[str] = mapped_column(sa.String(200), default="")

    user: Mapped[User] = relationship(lazy="joined")
    unit: Mapped[Organisation] = relationship(lazy="joined")
    ties: Mapped[list[ExpertTie]] = relationship(
        back_populates="expert", cascade="all, delete-orphan", order_by="ExpertTie.id"
    )


class ExpertTie(Model):
    """A declared tie (part-time post, consultancy, shareholding…) with an organisation."""

    __tablename__ = "expert_ties"
    __table_args__ = (
        sa.CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(
        sa.ForeignKey("experts.id", ondelete="CASCADE"), index=True
    )
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    relation: Mapped[str] = mapped_column(sa.String(200))
    started_on: Mapped[date] = mapped_column(sa.Date)
    ended_on: Mapped[date | None] = mapped_column(sa.Date)

    expert: Mapped[Expert] = relationship(back_populates="ties")
    org: Mapped[Organisation] = relationship(lazy="joined")


class ExpertEvent(Model):
    """Immutable history of an expert: created, edited, status changes with their reason."""

    __tablename__ = "expert_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(
        sa.ForeignKey("experts.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # created, edited, tier, tie, status (an admin's, with a note), standing (the periodic rule,
    # with the figures behind it in ``detail`` so the explanation renders in the reader's language)
    kind: Mapped[str] = mapped_column(sa.String(20))
    from_value: Mapped[str | None] = mapped_column(sa.String(20))
    to_value: Mapped[str | None] = mapped_column(sa.String(20))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    detail: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    actor: Mapped[User | None] = relationship()


class Evaluation(TimestampMixin, Model):
    """An evaluation of an achievement, or of a challenge application, by a panel of experts."""

    __tablename__ = "evaluations"
    __table_args__ = (
        sa.CheckConstraint(in_codes("purpose", EVALUATION_PURPOSES.codes), name="purpose"),
        sa.CheckConstraint(in_codes("status", EVALUATION_STATUSES.codes), name="status"),
        sa.CheckConstraint(
            "(achievement_id IS NULL) != (application_id IS NULL)", name="one_subject"
        ),
        sa.CheckConstraint("panel_size BETWEEN 1 AND 15", name="panel_size"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    achievement_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("listings.id", ondelete="CASCADE"), index=True
    )
    application_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("challenge_applications.id", ondelete="CASCADE"), index=True
    )
    # The organisation whose work is evaluated: the conflict screening is against it.
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    purpose: Mapped[str] = mapped_column(sa.String(20))
    field: Mapped[str | None] = mapped_column(sa.String(40))
    panel_size: Mapped[int] = mapped_column(sa.Integer, default=3)
    status: Mapped[str] = mapped_column(sa.String(20), default="requested")
    note: Mapped[str] = mapped_column(sa.Text, default="")
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    achievement: Mapped[Achievement | None] = relationship()
    application: Mapped[ChallengeApplication | None] = relationship()
    org: Mapped[Organisation] = relationship(lazy="joined")
    requested_by: Mapped[User | None] = relationship()
    members: Mapped[list[PanelMember]] = relationship(
        back_populates="evaluation", cascade="all, delete-orphan", order_by="PanelMember.id"
    )
    exclusions: Mapped[list[Exclusion]] = relationship(
        back_populates="evaluation", cascade="all, delete-orphan", order_by="Exclusion.id"
    )
    reviews: Mapped[list[Review]] = relationship(
        back_populates="evaluation", cascade="all, delete-orphan", order_by="Review.id"
    )

    @property
    def subject_title(self) -> str:
        if self.achievement is not None:
            return self.achievement.title
        if self.application is not None:
            return f"{self.application.demand.title} · {self.application.org.name}"
        return ""


class Exclusion(Model):
    """An expert the applicant asked not to sit on its panel (at most three), with why."""

    __tablename__ = "evaluation_exclusions"
    __table_args__ = (sa.UniqueConstraint("evaluation_id", "expert_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("evaluations.id", ondelete="CASCADE"), index=True
    )
    expert_id: Mapped[int] = mapped_column(sa.ForeignKey("experts.id"))
    reason: Mapped[str] = mapped_column(sa.String(500))

    evaluation: Mapped[Evaluation] = relationship(back_populates="exclusions")
    expert: Mapped[Expert] = relationship()


class PanelMember(Model):
    __tablename__ = "panel_members"
    __table_args__ = (sa.UniqueConstraint("evaluation_id", "expert_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("evaluations.id", ondelete="CASCADE"), index=True
    )
    expert_id: Mapped[int] = mapped_column(sa.ForeignKey("experts.id"), index=True)
    added_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    evaluation: Mapped[Evaluation] = relationship(back_populates="members")
    expert: Mapped[Expert] = relationship(lazy="joined")


class Review(Model):
    """One panel member's scores (0–100 on each dimension) and comment; the organiser's rating."""

    __tablename__ = "evaluation_reviews"
    __table_args__ = (
        sa.UniqueConstraint("evaluation_id", "expert_id"),
        sa.CheckConstraint(f"maturity {SCORE_CHECK}", name="maturity"),
        sa.CheckConstraint(f"innovation {SCORE_CHECK}", name="innovation"),
        sa.CheckConstraint(f"advancement {SCORE_CHECK}", name="advancement"),
        sa.CheckConstraint(f"economic_value {SCORE_CHECK}", name="economic_value"),
        sa.CheckConstraint(f"potential {SCORE_CHECK}", name="potential"),
        sa.CheckConstraint(f"rating IS NULL OR rating {SCORE_CHECK}", name="rating"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("evaluations.id", ondelete="CASCADE"), index=True
    )
    expert_id: Mapped[int] = mapped_column(sa.ForeignKey("experts.id"), index=True)
    maturity: Mapped[int] = mapped_column(sa.Integer)
    innovation: Mapped[int] = mapped_column(sa.Integer)
    advancement: Mapped[int] = mapped_column(sa.Integer)
    economic_value: Mapped[int] = mapped_column(sa.Integer)
    potential: Mapped[int] = mapped_column(sa.Integer)
    comment: Mapped[str] = mapped_column(sa.Text)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    rating: Mapped[int | None] = mapped_column(sa.Integer)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    evaluation: Mapped[Evaluation] = relationship(back_populates="reviews")
    expert: Mapped[Expert] = relationship(lazy="joined")

    @property
    def total(self) -> float:
        """The mean of the five dimensions."""
        return (
            self.maturity
            + self.innovation
            + self.advancement
            + self.economic_value
            + self.potential
        ) / 5


class EvaluationEvent(Model):
    """Immutable history of an evaluation: requested, panel formed, review in, completed…"""

    __tablename__ = "evaluation_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("evaluations.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(sa.String(20))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    actor: Mapped[User | None] = relationship()
