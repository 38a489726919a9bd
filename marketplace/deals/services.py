"""Deal use cases: interest, manual deals, claim/release/assign, stage changes and notes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.accounts.models import Organisation, User
from marketplace.accounts.permissions import require_role
from marketplace.database import utcnow
from marketplace.deals.models import Deal, DealEvent
from marketplace.deals.queries import OPEN_STAGES, deal_for_update
from marketplace.errors import Conflict, InvalidTransition, PermissionDenied, ValidationError
from marketplace.extensions import db
from marketplace.listings.models import Achievement, Demand
from marketplace.notifications.services import notify
from marketplace.vocab import DEAL_FAILURE_REASONS, DEAL_STAGES

# Where a broker may move a deal they are on. ``claimed`` is reached only by claiming or by an
# admin's assignment, and ``suggested`` only by releasing the deal back to the queue.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "suggested": ("failed",),
    "claimed": ("contacting", "negotiating", "failed"),
    "contacting": ("negotiating", "failed"),
    "negotiating": ("contacting", "signed", "failed"),
    "signed": (),
    "failed": (),
}
NOTE_KINDS = ("note", "contact")
MAX_NOTE = 4000


@dataclass(frozen=True)
class StageChange:
    stage: str
    note: str = ""
    failure_reason: str | None = None


def _note_text(note: str | None) -> str:
    text = (note or "").strip()
    if len(text) > MAX_NOTE:
        raise ValidationError(fields={"note": _("Use at most %(n)d characters.", n=MAX_NOTE)})
    return text


def _event(
    deal: Deal,
    actor: User | None,
    kind: str,
    note: str = "",
    from_stage: str | None = None,
    to_stage: str | None = None,
) -> DealEvent:
    event = DealEvent(
        deal_id=deal.id,
        actor_id=actor.id if actor else None,
        kind=kind,
        from_stage=from_stage,
        to_stage=to_stage,
        note=note,
    )
    db.session.add(event)
    deal.updated_at = utcnow()
    return event


def _notify_stage(deal: Deal) -> None:
    org_ids = [org_id for org_id in (deal.seller_org_id, deal.buyer_org_id) if org_id]
    notify(
        kind="deal_stage",
        params={"title": deal.achievement.title, "stage": deal.stage},
        org_ids=org_ids,
        user_ids=[deal.broker_id] if deal.broker_id else [],
        link=f"/deals/{deal.id}",
    )


# -- interest ------------------------------------------------------------------------------


def _interest_pair(
    user: User, achievement_id: int, demand_id: int | None
) -> tuple[Achievement, Demand | None]:
    """The published achievement an enterprise may show interest in, and its own demand."""
    achievement = db.session.get(Achievement, achievement_id)
    if achievement is None or achievement.status != "published":
        raise ValidationError(
            fields={"achievement_id": _("There is no such published achievement.")}
        )
    if achievement.org_id == user.org_id:
        raise ValidationError(
            fields={"achievement_id": _("This achievement belongs to your own organisation.")}
        )
    demand = None
    if demand_id is not None:
        demand = db.session.get(Demand, demand_id)
        if demand is None or demand.org_id != user.org_id:
            raise ValidationError(fields={"demand_id": _("Choose one of your own demands.")})
        if demand.status != "published":
            raise ValidationError(fields={"demand_id": _("Choose one of your published demands.")})
    return achievement, demand


def express_interest(
    actor: User, achievement_id: int, demand_id: int | None = None, note: str = ""
) -> tuple[Deal, bool]:
    """An enterprise wants an achievement (optionally for one of its demands).

    Creates a deal with source ``interest``, or adds the interest to the open deal for the same
    pair (a suggested one becomes an interest deal; a failed one goes back to the queue).
    Returns the deal and whether it was created.
    """
    user = require_role(actor, "enterprise")
    text = _note_text(note)
    achievement, demand = _interest_pair(user, achievement_id, demand_id)
    query = sa.select(Deal).where(Deal.achievement_id == achievement.id)
    if demand is not None:
        # One deal per demand–achievement pair, whatever its stage (as for match suggestions).
        query = query.where(Deal.demand_id == demand.id)
    else:
        query = query.where(
            Deal.demand_id.is_(None),
            Deal.buyer_org_id == user.org_id,
            Deal.stage.in_(("suggested", *OPEN_STAGES, "failed")),
        )
    deal = db.session.execute(query.order_by(Deal.id.desc()).limit(1)).scalar()
    created = deal is None
    message = text or _("Interest expressed by %(org)s.", org=user.org.name)
    if deal is None:
        deal = Deal(
            demand_id=demand.id if demand else None,
            achievement_id=achievement.id,
            buyer_org_id=user.org_id,
            seller_org_id=achievement.org_id,
            stage="suggested",
            source="interest",
            reasons=[],
        )
        db.session.add(deal)
        db.session.flush()
        _event(deal, user, "stage", message, None, "suggested")
    else:
        if deal.stage == "suggested":
            deal.source = "interest"
        if deal.stage == "failed":
            # A renewed interest puts the pair back in the brokers' queue.
            _event(deal, user, "stage", message, "failed", "suggested")
            deal.stage, deal.failure_reason, deal.broker_id = "suggested", None, None
            deal.source = "interest"
        else:
            _event(deal, user, "interest", message)
    recipients: dict[str, Any] = {"org_ids": [achievement.org_id]}
    if deal.broker_id:
        recipients["user_ids"] = [deal.broker_id]
    else:
        recipients["roles"] = ["broker"]
    notify(
        kind="interest_expressed",
        params={"org": user.org.name, "title": achievement.title},
        link=f"/deals/{deal.id}",
        **recipients,
    )
    db.session.commit()
    return deal, created


# -- brokers -------------------------------------------------------------------------------


def create_deal(
    actor: User,
    achievement_id: int,
    *,
    demand_id: int | None = None,
    buyer_org_id: int | None = None,
    note: str = "",
) -> Deal:
    """A broker (or admin) opens a deal by hand; a broker is put on it straight away."""
    user = require_role(actor, "broker", "admin")
    text = _note_text(note)
    errors: dict[str, str] = {}
    achievement = db.session.get(Achievement, achievement_id)
    if achievement is None or achievement.status != "published":
        errors["achievement_id"] = _("There is no such published achievement.")
    demand = db.session.get(Demand, demand_id) if demand_id is not None else None
    if demand_id is not None and (demand is None or demand.status != "published"):
        errors["demand_id"] = _("There is no such published demand.")
    if demand is not None:
        buyer_org_id = buyer_org_id or demand.org_id
        if buyer_org_id != demand.org_id:
            errors["buyer_org_id"] = _("The buyer is the organisation that posted the demand.")
    if buyer_org_id is None:
        errors["buyer_org_id"] = _("Choose the buyer organisation or a demand.")
    elif db.session.get(Organisation, buyer_org_id) is None:
        errors["buyer_org_id"] = _("There is no such organisation.")
    elif achievement is not None and buyer_org_id == achievement.org_id:
        errors["buyer_org_id"] = _("The buyer must be a different organisation from the seller.")
    if errors:
        raise ValidationError(fields=errors)
    assert achievement is not None
    if demand is not None:
        existing = db.session.execute(
            sa.select(Deal).where(
                Deal.demand_id == demand.id, Deal.achievement_id == achievement.id
            )
        ).scalar()
        if existing is not None:
            raise Conflict(
                _(
                    "A deal for this demand and achievement already exists (#%(id)d).",
                    id=existing.id,
                ),
                fields={"demand_id": _("A deal already exists.")},
            )
    stage = "claimed" if user.role == "broker" else "suggested"
    deal = Deal(
        demand_id=demand.id if demand else None,
        achievement_id=achievement.id,
        buyer_org_id=buyer_org_id,
        seller_org_id=achievement.org_id,
        stage=stage,
        source="manual",
        reasons=[],
        broker_id=user.id if user.role == "broker" else None,
    )
    db.session.add(deal)
    db.session.flush()
    _event(deal, user, "stage", text, None, stage)
    if deal.broker_id:
        _event(deal, user, "claim", "")
    db.session.commit()
    return deal


def claim_deal(actor: User, deal_id: int, note: str = "") -> Deal:
    """A broker takes a suggested deal from the queue and is on it from now on."""
    user = require_role(actor, "broker")
    text = _note_text(note)
    deal = deal_for_update(deal_id)
    if deal.broker_id == user.id:
        raise InvalidTransition(_("You are already working on this deal."))
    if deal.broker_id is not None:
        raise Conflict(_("Another broker has already claimed this deal."), code="already_claimed")
    if deal.stage != "suggested":
        raise InvalidTransition(_("Only a suggested deal can be claimed."))
    deal.broker_id = user.id
    deal.stage = "claimed"
    _event(deal, user, "claim", text, "suggested", "claimed")
    _notify_stage(deal)
    db.session.commit()
    return deal


def release_deal(actor: User, deal_id: int, note: str = "") -> Deal:
    """The broker gives an open deal back to the queue (admins may release anyone's)."""
    user = require_role(actor, "broker", "admin")
    text = _note_text(note)
    deal = deal_for_update(deal_id)
    _require_on_deal(user, deal)
    if deal.stage not in ("claimed", "contacting", "negotiating") or deal.broker_id is None:
        raise InvalidTransition(_("Only an open deal with a broker can be released."))
    before = deal.stage
    deal.broker_id = None
    deal.stage = "suggested"
    _event(deal, user, "release", text, before, "suggested")
    db.session.commit()
    return deal


def assign_deal(actor: User, deal_id: int, broker_id: int, note: str = "") -> Deal:
    """An admin puts a (different) broker on an open deal."""
    user = require_role(actor, "admin")
    text = _note_text(note)
    deal = deal_for_update(deal_id)
    broker = db.session.get(User, broker_id)
    if broker is None or broker.role != "broker" or not broker.active:
        raise ValidationError(fields={"broker_id": _("Choose an active technology broker.")})
    if deal.stage not in ("suggested", *OPEN_STAGES):
        raise InvalidTransition(_("A closed deal cannot be reassigned."))
    if deal.broker_id == broker.id:
        raise InvalidTransition(_("That broker is already on this deal."))
    before = deal.stage
    previous = deal.broker_id
    deal.broker_id = broker.id
    if deal.stage == "suggested":
        deal.stage = "claimed"
    label = text or _("Assigned to %(name)s.", name=broker.display_name)
    _event(deal, user, "assign", label, before, deal.stage)
    notify(
        kind="deal_stage",
        params={"title": deal.achievement.title, "stage": deal.stage},
        user_ids=[broker.id] + ([previous] if previous else []),
        link=f"/deals/{deal.id}",
    )
    db.session.commit()
    return deal


def _require_on_deal(user: User, deal: Deal) -> None:
    if user.role == "admin":
        return
    if deal.broker_id != user.id:
        raise PermissionDenied(_("Only the broker on this deal can change it."))


def change_stage(actor: User, deal_id: int, change: StageChange) -> Deal:
    """Move a deal along its stages; failing needs a reason code, every move is an event."""
    user = require_role(actor, "broker", "admin")
    text = _note_text(change.note)
    deal = deal_for_update(deal_id)
    _require_on_deal(user, deal)
    if change.stage not in DEAL_STAGES:
        raise ValidationError(fields={"stage": _("Choose one of the deal stages.")})
    if change.stage == deal.stage:
        raise InvalidTransition(
            _("The deal is already at that stage."),
            fields={"stage": _("The deal is already at that stage.")},
        )
    if change.stage not in TRANSITIONS[deal.stage]:
        message = _(
            "A deal cannot move from %(before)s to %(after)s.",
            before=DEAL_STAGES.label(deal.stage),
            after=DEAL_STAGES.label(change.stage),
        )
        raise InvalidTransition(message, fields={"stage": message})
    if change.stage == "failed":
        if change.failure_reason not in DEAL_FAILURE_REASONS:
            raise ValidationError(fields={"failure_reason": _("Choose why the deal failed.")})
        deal.failure_reason = change.failure_reason
    elif change.failure_reason:
        raise ValidationError(
            fields={"failure_reason": _("A reason is only given when the deal fails.")}
        )
    if deal.stage != "suggested" and deal.broker_id is None:
        raise InvalidTransition(_("Claim the deal first."))
    before = deal.stage
    deal.stage = change.stage
    if change.stage == "signed":
        deal.signed_at = utcnow()
    _event(deal, user, "stage", text, before, change.stage)
    _notify_stage(deal)
    db.session.commit()
    return deal


def add_note(actor: User, deal_id: int, note: str, kind: str = "note") -> DealEvent:
    """Log a note or a contact with a party on the deal's timeline."""
    user = require_role(actor, "broker", "admin")
    text = _note_text(note)
    if not text:
        raise ValidationError(fields={"note": _("Write the note.")})
    if kind not in NOTE_KINDS:
        raise ValidationError(fields={"kind": _("Choose a note or a contact.")})
    deal = deal_for_update(deal_id)
    _require_on_deal(user, deal)
    event = _event(deal, user, kind, text)
    db.session.commit()
    return event
