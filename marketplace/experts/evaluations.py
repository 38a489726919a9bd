"""Evaluation use cases: request, propose and form a conflict-free panel, review, rate, report."""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import mean
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.accounts.models import User
from marketplace.accounts.permissions import is_admin, require_role, require_user, same_org
from marketplace.database import is_db_id, utcnow
from marketplace.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from marketplace.experts.models import (
    Evaluation,
    EvaluationEvent,
    Exclusion,
    Expert,
    PanelMember,
    Review,
)
from marketplace.experts.permissions import can_review, can_view_evaluation
from marketplace.experts.screening import Conflict as ScreeningConflict
from marketplace.experts.screening import conflicts
from marketplace.experts.vocab import DIMENSIONS, EVALUATION_PURPOSES
from marketplace.extensions import db
from marketplace.listings.models import Achievement, ChallengeApplication
from marketplace.notifications.services import notify

MAX_EXCLUSIONS = 3
MAX_COMMENT = 5000
MAX_REASON = 500


@dataclass(frozen=True)
class EvaluationRequest:
    purpose: Any
    achievement_id: Any = None
    application_id: Any = None
    panel_size: Any = 3
    note: Any = ""
    # (expert_id, reason) pairs: the applicant's exclusions, at most three.
    exclusions: list[tuple[Any, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Candidate:
    expert: Expert
    field_match: bool
    open_panels: int
    conflicts: list[ScreeningConflict]


def get_evaluation(actor: User, evaluation_id: int) -> Evaluation:
    evaluation = db.session.get(Evaluation, evaluation_id)
    if evaluation is None or not can_view_evaluation(actor, evaluation):
        # Outsiders learn nothing, not even that it exists.
        raise NotFound(_("No such evaluation."))
    return evaluation


def _event(evaluation: Evaluation, actor: User | None, kind: str, note: str = "") -> None:
    db.session.add(
        EvaluationEvent(
            evaluation_id=evaluation.id, actor_id=actor.id if actor else None, kind=kind, note=note
        )
    )


def _subject(
    user: User, data: EvaluationRequest
) -> tuple[Achievement | None, ChallengeApplication | None, int]:
    """What is evaluated, and the organisation it belongs to; checks the requester may ask."""
    if (data.achievement_id is None) == (data.application_id is None):
        raise ValidationError(
            fields={"achievement_id": _("Name either an achievement or a challenge application.")}
        )
    if data.achievement_id is not None:
        achievement = (
            db.session.get(Achievement, data.achievement_id)
            if is_db_id(data.achievement_id)
            else None
        )
        if achievement is None or not (is_admin(user) or same_org(user, achievement.org_id)):
            raise NotFound(_("No such achievement of your organisation."))
        if achievement.status in ("draft", "closed"):
            raise ValidationError(
                fields={
                    "achievement_id": _("Submit the achievement before asking for its evaluation.")
                }
            )
        return achievement, None, achievement.org_id
    application = (
        db.session.get(ChallengeApplication, data.application_id)
        if is_db_id(data.application_id)
        else None
    )
    # The challenge's owner asks for its applications to be evaluated.
    if application is None or not (is_admin(user) or same_org(user, application.demand.org_id)):
        raise NotFound(_("No such application to your challenges."))
    return None, application, application.org_id


def _exclusions(data: EvaluationRequest) -> list[tuple[int, str]]:
    pairs = list(data.exclusions or [])
    if len(pairs) > MAX_EXCLUSIONS:
        raise ValidationError(
            fields={"exclusions": _("You may exclude at most %(n)s experts.", n=MAX_EXCLUSIONS)}
        )
    cleaned: dict[int, str] = {}
    for expert_id, reason in pairs:
        text = str(reason or "").strip()
        if not is_db_id(expert_id) or db.session.get(Expert, expert_id) is None:
            raise ValidationError(fields={"exclusions": _("Choose experts from the library.")})
        if not text or len(text) > MAX_REASON:
            raise ValidationError(
                fields={
                    "exclusions": _(
                        "Give a reason for each exclusion (at most %(n)s characters).", n=MAX_REASON
                    )
                }
            )
        cleaned[expert_id] = text
    return list(cleaned.items())


def request_evaluation(actor: User, data: EvaluationRequest) -> Evaluation:
    """The owner (or an admin) asks for an evaluation; a challenge's owner for an application."""
    user = require_user(actor)
    if data.purpose not in EVALUATION_PURPOSES:
        raise ValidationError(fields={"purpose": _("Choose a purpose.")})
    size = data.panel_size
    if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= 15:
        raise ValidationError(fields={"panel_size": _("A panel has 1 to 15 experts.")})
    note = str(data.note or "").strip()
    if len(note) > MAX_COMMENT:
        raise ValidationError(fields={"note": _("At most %(n)s characters.", n=MAX_COMMENT)})
    achievement, application, org_id = _subject(user, data)
    exclusions = _exclusions(data)
    evaluation = Evaluation(
        achievement_id=achievement.id if achievement else None,
        application_id=application.id if application else None,
        org_id=org_id,
        requested_by_id=user.id,
        purpose=data.purpose,
        panel_size=size,
        note=note,
        field=achievement.field
        if achievement
        else application.demand.field
        if application
        else None,
        status="requested",
    )
    db.session.add(evaluation)
    db.session.flush()
    for expert_id, reason in exclusions:
        db.session.add(Exclusion(evaluation_id=evaluation.id, expert_id=expert_id, reason=reason))
    _event(evaluation, user, "requested", note)
    notify(
        kind="evaluation_requested",
        params={"title": evaluation.subject_title},
        roles=["admin"],
        link=f"/evaluations/{evaluation.id}",
    )
    db.session.commit()
    return evaluation


def _open_panels() -> dict[int, int]:
    rows = db.session.execute(
        sa.select(PanelMember.expert_id, sa.func.count())
        .join(Evaluation, Evaluation.id == PanelMember.evaluation_id)
        .where(Evaluation.status == "reviewing")
        .group_by(PanelMember.expert_id)
    ).all()
    return {int(expert_id): int(count) for expert_id, count in rows}


def candidates(actor: User, evaluation_id: int) -> tuple[list[Candidate], list[Candidate]]:
    """(proposed, screened out) for the admin forming the panel.

    Proposed: experts free of conflicts, those of the evaluation's field first, senior experts
    before others, the least busy first. Screened out: everyone else, each with the reasons.
    """
    require_role(actor, "admin")
    evaluation = get_evaluation(actor, evaluation_id)
    seated = {member.expert_id for member in evaluation.members}
    busy = _open_panels()
    proposed: list[Candidate] = []
    screened: list[Candidate] = []
    experts = db.session.execute(sa.select(Expert).order_by(Expert.id)).scalars()
    for expert in experts:
        if expert.id in seated:
            continue
        candidate = Candidate(
            expert,
            evaluation.field in (expert.fields or []),
            busy.get(expert.id, 0),
            conflicts(expert, evaluation),
        )
        (screened if candidate.conflicts else proposed).append(candidate)
    proposed.sort(
        key=lambda c: (not c.field_match, c.expert.status != "senior", c.open_panels, c.expert.id)
    )
    screened = [c for c in screened if c.expert.status != "removed" or c.field_match]
    return proposed, screened


def form_panel(actor: User, evaluation_id: int, expert_ids: list[Any]) -> Evaluation:
    """Seat experts on the panel (admin). A conflicted expert is refused, naming the reasons."""
    admin = require_role(actor, "admin")
    evaluation = get_evaluation(admin, evaluation_id)
    if evaluation.status not in ("requested", "reviewing"):
        raise InvalidTransition(_("The panel of a finished evaluation cannot change."))
    ids = list(dict.fromkeys(expert_ids or []))
    if not ids or any(not is_db_id(i) for i in ids):
        raise ValidationError(fields={"expert_ids": _("Choose at least one expert.")})
    seated = {member.expert_id for member in evaluation.members}
    new_ids = [i for i in ids if i not in seated]
    if len(seated) + len(new_ids) > evaluation.panel_size:
        raise ValidationError(
            fields={
                "expert_ids": _("This panel has room for %(n)s experts.", n=evaluation.panel_size)
            }
        )
    problems = []
    experts = []
    for expert_id in new_ids:
        expert = db.session.get(Expert, expert_id)
        if expert is None:
            raise ValidationError(fields={"expert_ids": _("Choose experts from the library.")})
        found = conflicts(expert, evaluation)
        if found:
            reasons = "; ".join(
                f"{c.label}" + (f" ({c.detail})" if c.detail else "") for c in found
            )
            problems.append(f"{expert.user.display_name}: {reasons}")
        experts.append(expert)
    if problems:
        raise ValidationError(
            _("Conflict of interest: these experts cannot sit on this panel."),
            fields={"expert_ids": " | ".join(problems)},
            code="conflict_of_interest",
        )
    for expert in experts:
        db.session.add(
            PanelMember(evaluation_id=evaluation.id, expert_id=expert.id, added_by_id=admin.id)
        )
        _event(evaluation, admin, "panel", expert.user.display_name)
    evaluation.status = "reviewing"
    db.session.flush()
    notify(
        kind="panel_invited",
        params={"title": evaluation.subject_title},
        user_ids=[expert.user_id for expert in experts],
        link=f"/evaluations/{evaluation.id}",
    )
    db.session.commit()
    return evaluation


def _score(value: Any, name: str, errors: dict[str, str]) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
        errors[name] = _("A score from 0 to 100.")
        return 0
    return value


def submit_review(actor: User, evaluation_id: int, scores: dict[str, Any], comment: Any) -> Review:
    """A panel member scores the five dimensions and comments; the last review completes it."""
    user = require_user(actor)
    evaluation = get_evaluation(user, evaluation_id)
    if not can_review(user, evaluation):
        if evaluation.status != "reviewing":
            raise InvalidTransition(_("This evaluation is not taking reviews."))
        if any(review.expert.user_id == user.id for review in evaluation.reviews):
            raise Conflict(_("You have already reviewed this evaluation."), code="already_reviewed")
        raise PermissionDenied(_("Only the panel's experts review."))
    errors: dict[str, str] = {}
    values = {code: _score(scores.get(code), code, errors) for code in DIMENSIONS.codes}
    text = str(comment or "").strip()
    if not text or len(text) > MAX_COMMENT:
        errors["comment"] = _("Write a comment (at most %(n)s characters).", n=MAX_COMMENT)
    if errors:
        raise ValidationError(fields=errors)
    member = next(m for m in evaluation.members if m.expert.user_id == user.id)
    review = Review(evaluation_id=evaluation.id, expert_id=member.expert_id, comment=text, **values)
    db.session.add(review)
    evaluation.reviews.append(review)
    _event(evaluation, user, "review")
    if len(evaluation.reviews) >= len(evaluation.members) >= evaluation.panel_size:
        evaluation.status = "completed"
        evaluation.completed_at = utcnow()
        _event(evaluation, None, "completed")
        notify(
            kind="evaluation_completed",
            params={"title": evaluation.subject_title},
            org_ids=[evaluation.org_id],
            user_ids=[evaluation.requested_by_id] if evaluation.requested_by_id else [],
            link=f"/evaluations/{evaluation.id}",
        )
    db.session.commit()
    return review


def rate_review(actor: User, review_id: int, rating: Any) -> Review:
    """The organiser rates a review 0–100 (the expert's standing is computed from these)."""
    admin = require_role(actor, "admin")
    review = db.session.get(Review, review_id)
    if review is None:
        raise NotFound(_("No such review."))
    if not isinstance(rating, int) or isinstance(rating, bool) or not 0 <= rating <= 100:
        raise ValidationError(fields={"rating": _("A rating from 0 to 100.")})
    review.rating = rating
    review.rated_at = utcnow()
    _event(review.evaluation, admin, "rated", f"{review.expert.user.display_name}: {rating}")
    db.session.commit()
    return review


@dataclass(frozen=True)
class Report:
    evaluation: Evaluation
    averages: dict[str, float]  # dimension code -> mean score of the panel
    overall: float
    reviews: list[Review]


def report(evaluation: Evaluation) -> Report | None:
    """The aggregated scores and every comment; None until the panel has finished."""
    if evaluation.status != "completed" or not evaluation.reviews:
        return None
    averages = {
        code: round(mean(getattr(r, code) for r in evaluation.reviews), 1)
        for code in DIMENSIONS.codes
    }
    overall = round(mean(averages.values()), 1)
    return Report(evaluation, averages, overall, list(evaluation.reviews))


def badge_for(achievement_id: int) -> Evaluation | None:
    """The latest completed evaluation of an achievement (its badge is public)."""
    return db.session.execute(
        sa.select(Evaluation)
        .where(Evaluation.achievement_id == achievement_id, Evaluation.status == "completed")
        .order_by(Evaluation.completed_at.desc())
        .limit(1)
    ).scalar_one_or_none()
