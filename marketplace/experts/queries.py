"""Read side: the library search, an expert's record, the evaluations a user may see."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.accounts.models import User
from marketplace.accounts.permissions import is_admin, require_user
from marketplace.experts.models import (
    Evaluation,
    EvaluationEvent,
    Expert,
    ExpertEvent,
    PanelMember,
    Review,
)
from marketplace.extensions import db
from marketplace.listings.models import ChallengeApplication, Listing


def expert_query(
    field: str | None = None, text: str | None = None, status: str | None = None
) -> sa.Select:
    """The library, filtered by field code, name/unit/speciality text and status."""
    query = sa.select(Expert).join(User, User.id == Expert.user_id).order_by(Expert.id)
    if status:
        query = query.where(Expert.status == status)
    if text:
        pattern = f"%{text}%"
        query = query.where(sa.or_(User.name.ilike(pattern), Expert.speciality.ilike(pattern)))
    if field:
        # JSON arrays differ between backends; the codes are plain words, so a text match on
        # the quoted code is exact on both.
        query = query.where(sa.cast(Expert.fields, sa.Text).like(f'%"{field}"%'))
    return query


def expert_of(user: User) -> Expert | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.execute(
        sa.select(Expert).where(Expert.user_id == user.id)
    ).scalar_one_or_none()


def expert_reviews(expert: Expert) -> list[Review]:
    return list(
        db.session.execute(
            sa.select(Review)
            .where(Review.expert_id == expert.id)
            .order_by(Review.submitted_at.desc())
        ).scalars()
    )


def expert_history(expert: Expert) -> list[ExpertEvent]:
    return list(
        db.session.execute(
            sa.select(ExpertEvent)
            .where(ExpertEvent.expert_id == expert.id)
            .order_by(ExpertEvent.id.desc())
        ).scalars()
    )


def explain(event: ExpertEvent) -> str:
    """The reader-language explanation of a change made by the standing rule."""
    detail = event.detail or {}
    if event.kind != "standing":
        return event.note
    if event.to_value == "senior":
        return _(
            "%(reviews)s reviews in two years, all rated at least 90 (lowest %(lowest)s).",
            reviews=detail.get("reviews"),
            lowest=detail.get("lowest"),
        )
    return _(
        "Average rating %(average)s over %(reviews)s reviews in two years is below 60.",
        average=detail.get("average"),
        reviews=detail.get("reviews"),
    )


def evaluations_for(actor: User) -> sa.Select:
    """Evaluations the user may see: all for admins; their organisation's, their challenges'
    applications' and the panels they sit on for everyone else."""
    user = require_user(actor)
    query = sa.select(Evaluation).order_by(Evaluation.id.desc())
    if is_admin(user):
        return query
    on_panel = (
        sa.select(PanelMember.evaluation_id)
        .join(Expert, Expert.id == PanelMember.expert_id)
        .where(Expert.user_id == user.id)
    )
    my_challenges = (
        sa.select(ChallengeApplication.id)
        .join(Listing, Listing.id == ChallengeApplication.demand_id)
        .where(Listing.org_id == user.org_id)
    )
    return query.where(
        sa.or_(
            Evaluation.org_id == user.org_id,
            Evaluation.id.in_(on_panel),
            Evaluation.application_id.in_(my_challenges),
        )
    )


def evaluation_history(evaluation: Evaluation) -> list[EvaluationEvent]:
    return list(
        db.session.execute(
            sa.select(EvaluationEvent)
            .where(EvaluationEvent.evaluation_id == evaluation.id)
            .order_by(EvaluationEvent.id)
        ).scalars()
    )
