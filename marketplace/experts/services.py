"""Expert library use cases: add and curate experts, declare ties, and the standing rule."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.accounts.models import Organisation, User
from marketplace.accounts.permissions import require_role, require_user
from marketplace.database import is_db_id, utcnow
from marketplace.errors import NotFound, PermissionDenied, ValidationError
from marketplace.experts.models import Expert, ExpertEvent, ExpertTie, Review
from marketplace.experts.permissions import can_declare_ties
from marketplace.experts.vocab import EXPERT_STATUSES, EXPERT_TIERS, EXPERT_TITLES
from marketplace.extensions import db
from marketplace.notifications.services import notify
from marketplace.vocab import FIELDS

MAX_TEXT = 200
# SPEC §6.4: ten or more rated reviews in two years, all >= 90 -> senior; average < 60 -> removed.
SENIOR_MIN_REVIEWS = 10
SENIOR_MIN_RATING = 90
REMOVAL_AVERAGE = 60
STANDING_WINDOW = timedelta(days=730)


@dataclass(frozen=True)
class ExpertInput:
    user_id: Any
    title: Any
    fields: list[Any] = field(default_factory=list)
    tier: Any = "general"
    unit_org_id: Any = None
    speciality: Any = ""


def _expert(expert_id: int) -> Expert:
    expert = db.session.get(Expert, expert_id)
    if expert is None:
        raise NotFound(_("No such expert."))
    return expert


def _event(
    expert: Expert,
    actor: User | None,
    kind: str,
    note: str = "",
    before: str | None = None,
    after: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    db.session.add(
        ExpertEvent(
            expert_id=expert.id,
            actor_id=actor.id if actor else None,
            kind=kind,
            from_value=before,
            to_value=after,
            note=note,
            detail=detail or {},
        )
    )


def _clean(data: ExpertInput, *, existing: Expert | None = None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    user = None
    if existing is None:
        user_id = data.user_id if is_db_id(data.user_id) else None
        user = db.session.get(User, user_id) if user_id is not None else None
        if user is None:
            errors["user_id"] = _("Choose an existing user.")
        elif db.session.execute(sa.select(Expert.id).where(Expert.user_id == user.id)).first():
            errors["user_id"] = _("This user is already in the expert library.")
    if data.title not in EXPERT_TITLES:
        errors["title"] = _("Choose a title.")
    if data.tier not in EXPERT_TIERS:
        errors["tier"] = _("Choose a tier.")
    fields = list(dict.fromkeys(data.fields or []))
    if not fields or any(code not in FIELDS for code in fields):
        errors["fields"] = _("Choose at least one technology field.")
    unit_id = data.unit_org_id
    if unit_id in (None, ""):
        person = user or (existing.user if existing else None)
        unit_id = person.org_id if person else None
    elif not is_db_id(unit_id) or db.session.get(Organisation, unit_id) is None:
        errors["unit_org_id"] = _("Choose an existing organisation.")
    speciality = str(data.speciality or "").strip()
    if len(speciality) > MAX_TEXT:
        errors["speciality"] = _("At most %(n)s characters.", n=MAX_TEXT)
    if errors:
        raise ValidationError(fields=errors)
    return {
        "title": data.title,
        "tier": data.tier,
        "fields": fields,
        "unit_org_id": unit_id,
        "speciality": speciality,
        "user": user,
    }


def create_expert(actor: User, data: ExpertInput) -> Expert:
    """Add a user to the expert library (admin)."""
    admin = require_role(actor, "admin")
    values = _clean(data)
    user = values.pop("user")
    expert = Expert(user_id=user.id, status="active", **values)
    db.session.add(expert)
    db.session.flush()
    _event(expert, admin, "created", after="active")
    notify(kind="expert_added", params={}, user_ids=[user.id], link=f"/experts/{expert.id}")
    db.session.commit()
    return expert


def update_expert(actor: User, expert_id: int, data: ExpertInput) -> Expert:
    """Curate an entry (admin): title, fields, tier, unit; a tier change is kept in the history."""
    admin = require_role(actor, "admin")
    expert = _expert(expert_id)
    values = _clean(data, existing=expert)
    values.pop("user")
    if values["tier"] != expert.tier:
        _event(expert, admin, "tier", before=expert.tier, after=values["tier"])
    for name, value in values.items():
        setattr(expert, name, value)
    _event(expert, admin, "edited")
    db.session.commit()
    return expert


def set_status(actor: User, expert_id: int, status: str, note: str) -> Expert:
    """Remove an expert from the library or restore one (admin), with the reason."""
    admin = require_role(actor, "admin")
    expert = _expert(expert_id)
    if status not in EXPERT_STATUSES:
        raise ValidationError(fields={"status": _("Choose a status.")})
    note = (note or "").strip()
    if not note:
        raise ValidationError(fields={"note": _("Say why.")})
    if status != expert.status:
        _event(expert, admin, "status", note[:2000], expert.status, status)
        expert.status = status
        db.session.commit()
    return expert


def declare_tie(
    actor: User, expert_id: int, org_id: Any, relation: Any, started_on: Any, ended_on: Any = None
) -> ExpertTie:
    """An expert (or an admin for them) declares a tie with an organisation and its period."""
    user = require_user(actor)
    expert = _expert(expert_id)
    if not can_declare_ties(user, expert):
        raise PermissionDenied()
    errors: dict[str, str] = {}
    if not is_db_id(org_id) or db.session.get(Organisation, org_id) is None:
        errors["org_id"] = _("Choose an existing organisation.")
    relation_text = str(relation or "").strip()
    if not relation_text or len(relation_text) > MAX_TEXT:
        errors["relation"] = _("Describe the tie (at most %(n)s characters).", n=MAX_TEXT)
    if not isinstance(started_on, date):
        errors["started_on"] = _("Enter the date the tie began.")
    if ended_on is not None and not isinstance(ended_on, date):
        errors["ended_on"] = _("Enter a date or leave it empty.")
    elif isinstance(started_on, date) and ended_on is not None and ended_on < started_on:
        errors["ended_on"] = _("The end cannot be before the beginning.")
    if errors:
        raise ValidationError(fields=errors)
    tie = ExpertTie(
        expert_id=expert.id,
        org_id=org_id,
        relation=relation_text,
        started_on=started_on,
        ended_on=ended_on,
    )
    db.session.add(tie)
    _event(expert, user, "tie", f"{relation_text} · #{org_id}")
    db.session.commit()
    return tie


def apply_standing_rule() -> list[tuple[int, str, dict[str, Any]]]:
    """The periodic job: promote to senior or remove by the ratings of the last two years.

    Returns ``(expert_id, new_status, figures)`` for every change made; each change is kept in
    the expert's history with the figures that explain it.
    """
    now = utcnow()
    since = now - STANDING_WINDOW
    rows = db.session.execute(
        sa.select(
            Review.expert_id,
            sa.func.count(Review.rating),
            sa.func.min(Review.rating),
            sa.func.avg(Review.rating),
        )
        .where(Review.rating.is_not(None), Review.rated_at >= since)
        .group_by(Review.expert_id)
    ).all()
    changes: list[tuple[int, str, dict[str, Any]]] = []
    for expert_id, count, lowest, average in rows:
        expert = db.session.get(Expert, expert_id)
        if expert is None or expert.status == "removed":
            continue
        detail = {"reviews": int(count), "lowest": int(lowest), "average": round(float(average), 1)}
        if detail["average"] < REMOVAL_AVERAGE:
            new_status = "removed"
        elif (
            expert.status == "active"
            and count >= SENIOR_MIN_REVIEWS
            and lowest >= SENIOR_MIN_RATING
        ):
            new_status = "senior"
        else:
            continue
        _event(expert, None, "standing", "", expert.status, new_status, detail)
        expert.status = new_status
        notify(
            kind=f"expert_{new_status}",
            params=detail,
            user_ids=[expert.user_id],
            link=f"/experts/{expert.id}",
        )
        changes.append((expert.id, new_status, detail))
    db.session.commit()
    return changes
