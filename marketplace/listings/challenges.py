"""Challenges (揭榜挂帅): teams apply with a proposal; the enterprise decides with a reason.

Applicants always see their application's status and the reason, and every applicant sees how
many applications a challenge has and how many are shortlisted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.accounts.models import User
from marketplace.accounts.permissions import is_admin, require_role, require_user, same_org
from marketplace.database import utcnow
from marketplace.errors import Conflict, InvalidTransition, NotFound, ValidationError
from marketplace.extensions import db
from marketplace.listings.attachments import Upload, store_application_attachment
from marketplace.listings.models import (
    APPLICATION_REASONS,
    APPLICATION_STATUSES,
    Attachment,
    ChallengeApplication,
    Demand,
)
from marketplace.listings.services import get_listing_for
from marketplace.listings.validation import clean_money, clean_text
from marketplace.notifications.services import notify

DECISIONS = {"shortlist": "shortlisted", "accept": "accepted", "decline": "declined"}
# Which decisions are possible from each status; accepted and withdrawn are final.
ALLOWED_FROM = {
    "submitted": ("shortlist", "accept", "decline"),
    "shortlisted": ("accept", "decline"),
    "declined": (),
    "accepted": (),
    "withdrawn": (),
}


@dataclass(frozen=True)
class ApplicationInput:
    summary: str
    team: str
    plan: str
    requested_amount: Any = None
    attachment: Upload | None = None


@dataclass(frozen=True)
class ChallengeCounts:
    applications: int
    shortlisted: int


def applications_open(demand: Demand, today: date | None = None) -> bool:
    today = today or date.today()
    return bool(
        demand.status == "published"
        and demand.is_challenge
        and (demand.applications_open_on is None or demand.applications_open_on <= today)
        and (demand.applications_close_on is None or today <= demand.applications_close_on)
    )


def challenge_counts(demand_id: int) -> ChallengeCounts:
    """Applications (not withdrawn) and shortlisted ones, shown to every applicant."""
    rows = dict(
        db.session.execute(
            sa.select(ChallengeApplication.status, sa.func.count())
            .where(ChallengeApplication.demand_id == demand_id)
            .group_by(ChallengeApplication.status)
        ).all()
    )
    live = sum(count for status, count in rows.items() if status != "withdrawn")
    return ChallengeCounts(
        applications=live, shortlisted=rows.get("shortlisted", 0) + rows.get("accepted", 0)
    )


def _challenge(actor: User, demand_id: int) -> Demand:
    demand = get_listing_for(actor, demand_id, "demand")
    if not isinstance(demand, Demand) or not demand.is_challenge:
        raise NotFound()
    return demand


def apply_to_challenge(actor: User, demand_id: int, data: ApplicationInput) -> ChallengeApplication:
    """Researcher: submit (or renew a withdrawn) proposal for a published, open challenge."""
    user = require_role(actor, "researcher")
    demand = _challenge(user, demand_id)
    if not applications_open(demand):
        raise InvalidTransition(_("This challenge is not accepting applications now."))
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name, limit in (("summary", 5000), ("team", 5000), ("plan", 10000)):
        try:
            values[name] = clean_text(getattr(data, name), label_max=limit, required=True)
        except ValueError as error:
            errors[name] = str(error)
    try:
        values["requested_amount"] = clean_money(data.requested_amount)
    except ValueError as error:
        errors["requested_amount"] = str(error)
    amount = values.get("requested_amount")
    if amount is not None and demand.bounty is not None and amount > demand.bounty:
        errors["requested_amount"] = _("The amount requested exceeds the bounty.")
    if errors:
        raise ValidationError(fields=errors)
    existing = db.session.execute(
        sa.select(ChallengeApplication).where(
            ChallengeApplication.demand_id == demand.id, ChallengeApplication.org_id == user.org_id
        )
    ).scalar_one_or_none()
    if existing is not None and existing.status != "withdrawn":
        raise Conflict(_("Your organisation has already applied to this challenge."))
    attachment = store_application_attachment(user, data.attachment) if data.attachment else None
    try:
        application = existing or ChallengeApplication(demand_id=demand.id, org_id=user.org_id)
        application.applicant_id = user.id
        application.status = "submitted"
        application.reason_code = None
        application.reason_note = ""
        application.decided_at = None
        for name, value in values.items():
            setattr(application, name, value)
        db.session.add(application)
        db.session.flush()
        if attachment is not None:
            attachment.application_id = application.id
            db.session.add(attachment)
        notify(
            kind="challenge_application",
            params={"title": demand.title},
            org_ids=[demand.org_id],
            link=f"/demands/{demand.id}#applications",
        )
        db.session.commit()
    except Exception:
        db.session.rollback()  # the stored bytes were in this transaction: gone with it
        raise
    return application


def _application(actor: User, application_id: int) -> ChallengeApplication:
    user = require_user(actor)
    application = db.session.get(ChallengeApplication, application_id)
    if application is None or not (
        is_admin(user)
        or same_org(user, application.org_id)
        or same_org(user, application.demand.org_id)
    ):
        raise NotFound()
    return application


def decide_application(
    actor: User, application_id: int, decision: str, reason_code: str, note: str = ""
) -> ChallengeApplication:
    """Challenge owner (or admin): shortlist, accept or decline an application with a reason."""
    user = require_user(actor)
    application = _application(user, application_id)
    if not (is_admin(user) or same_org(user, application.demand.org_id)):
        raise NotFound()
    errors: dict[str, str] = {}
    if decision not in DECISIONS:
        errors["decision"] = _("Choose shortlist, accept or decline.")
    if reason_code not in APPLICATION_REASONS:
        errors["reason_code"] = _("Choose a reason from the list.")
    try:
        note = clean_text(note, label_max=2000)
    except ValueError as error:
        errors["note"] = str(error)
    if errors:
        raise ValidationError(fields=errors)
    if decision not in ALLOWED_FROM[application.status]:
        raise InvalidTransition(
            _(
                "An application that is %(status)s cannot be changed that way.",
                status=APPLICATION_STATUSES.label(application.status),
            )
        )
    application.status = DECISIONS[decision]
    application.reason_code = reason_code
    application.reason_note = note
    application.decided_at = utcnow()
    applicant = [application.applicant_id] if application.applicant_id else None
    notify(
        kind="application_status",
        params={"title": application.demand.title, "status": application.status},
        link="/my/applications",
        user_ids=applicant,
        org_ids=None if applicant else [application.org_id],
    )
    db.session.commit()
    return application


def withdraw_application(actor: User, application_id: int) -> ChallengeApplication:
    """The applicant's organisation withdraws an application that is not yet decided."""
    user = require_user(actor)
    application = _application(user, application_id)
    if not same_org(user, application.org_id):
        raise NotFound()
    if application.status not in ("submitted", "shortlisted"):
        raise InvalidTransition(_("Only open applications can be withdrawn."))
    application.status = "withdrawn"
    db.session.commit()
    return application


def applications_for_challenge(actor: User, demand_id: int) -> list[ChallengeApplication]:
    """Every application to a challenge, for its owner organisation and administrators."""
    user = require_user(actor)
    demand = _challenge(user, demand_id)
    if not (is_admin(user) or same_org(user, demand.org_id)):
        raise NotFound()
    return list(
        db.session.execute(
            sa.select(ChallengeApplication)
            .where(ChallengeApplication.demand_id == demand.id)
            .order_by(ChallengeApplication.created_at)
        ).scalars()
    )


def own_application(actor: User, demand_id: int) -> ChallengeApplication | None:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    return db.session.execute(
        sa.select(ChallengeApplication).where(
            ChallengeApplication.demand_id == demand_id, ChallengeApplication.org_id == actor.org_id
        )
    ).scalar_one_or_none()


def my_applications(actor: User) -> list[ChallengeApplication]:
    user = require_user(actor)
    return list(
        db.session.execute(
            sa.select(ChallengeApplication)
            .where(ChallengeApplication.org_id == user.org_id)
            .order_by(ChallengeApplication.created_at.desc())
        ).scalars()
    )


def application_attachments(application: ChallengeApplication) -> list[Any]:
    return list(
        db.session.execute(
            sa.select(Attachment).where(Attachment.application_id == application.id)
        ).scalars()
    )
