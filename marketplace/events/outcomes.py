"""Outcomes per pair of parties, their deals, and the event report with the conversion to contracts.

The conversion is what no public source reports: of the intents recorded at an event, how many
became a registered technology contract (through the deal the intent was followed up in).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.accounts.models import Organisation, User
from marketplace.accounts.permissions import is_admin, require_user
from marketplace.contracts.models import Contract
from marketplace.database import is_db_id
from marketplace.deals import services as deal_services
from marketplace.errors import NotFound, PermissionDenied, ValidationError
from marketplace.events.models import Appointment, Event, Outcome, Signup
from marketplace.events.permissions import can_record_outcome
from marketplace.events.services import get_event, log, signup_of
from marketplace.events.vocab import OUTCOME_KINDS
from marketplace.extensions import db
from marketplace.listings.models import Achievement, Demand
from marketplace.money import MoneyError, parse_money
from marketplace.stats.rollup import counted_tech_amount

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class OutcomeInput:
    seller_org_id: Any
    buyer_org_id: Any
    kind: Any
    amount: Any = None
    signed_before_event: Any = False
    achievement_id: Any = None
    demand_id: Any = None
    note: Any = ""


def _org(value: Any) -> Organisation | None:
    return db.session.get(Organisation, value) if isinstance(value, int) else None


def record_outcome(actor: User, event_id: int, data: OutcomeInput) -> Outcome:
    """The organiser, or a participant for a pair it is part of, records what came of it."""
    user = require_user(actor)
    event = get_event(event_id)
    if not can_record_outcome(user, signup_of(event.id, user.org_id)):
        raise PermissionDenied()
    errors: dict[str, str] = {}
    seller, buyer = _org(data.seller_org_id), _org(data.buyer_org_id)
    if seller is None:
        errors["seller_org_id"] = _("Choose the seller organisation.")
    if buyer is None:
        errors["buyer_org_id"] = _("Choose the buyer organisation.")
    elif seller is not None and seller.id == buyer.id:
        errors["buyer_org_id"] = _("The buyer must be a different organisation from the seller.")
    if not is_admin(user) and user.org_id not in {data.seller_org_id, data.buyer_org_id}:
        errors["seller_org_id"] = _("Record outcomes of pairs your organisation is part of.")
    if data.kind not in OUTCOME_KINDS:
        errors["kind"] = _("Choose what came of it.")
    try:
        amount = parse_money(data.amount)
    except MoneyError as error:
        errors["amount"] = str(error)
        amount = None
    achievement = (
        db.session.get(Achievement, data.achievement_id) if is_db_id(data.achievement_id) else None
    )
    if data.achievement_id is not None and (
        achievement is None or seller is None or achievement.org_id != seller.id
    ):
        errors["achievement_id"] = _("Choose an achievement of the seller.")
    demand = db.session.get(Demand, data.demand_id) if is_db_id(data.demand_id) else None
    if data.demand_id is not None and (
        demand is None or buyer is None or demand.org_id != buyer.id
    ):
        errors["demand_id"] = _("Choose a demand of the buyer.")
    note = str(data.note or "").strip()
    if len(note) > 5000:
        errors["note"] = _("At most %(n)s characters.", n=5000)
    if errors:
        raise ValidationError(fields=errors)
    assert seller is not None and buyer is not None
    outcome = Outcome(
        event_id=event.id,
        seller_org_id=seller.id,
        buyer_org_id=buyer.id,
        achievement_id=achievement.id if achievement else None,
        demand_id=demand.id if demand else None,
        kind=data.kind,
        amount=amount,
        signed_before_event=bool(data.signed_before_event),
        note=note,
        recorded_by_id=user.id,
    )
    db.session.add(outcome)
    log(event, user, "outcome", f"{seller.name} · {buyer.name}: {data.kind}")
    db.session.commit()
    return outcome


def follow_up_in_deal(actor: User, outcome_id: int) -> Outcome:
    """Open the deal a broker (or the bureau) follows the outcome up in; the contracts signed in
    that deal are what the event report counts as converted."""
    user = require_user(actor)
    outcome = db.session.get(Outcome, outcome_id)
    if outcome is None:
        raise NotFound(_("No such outcome."))
    if outcome.deal_id is not None:
        return outcome
    if outcome.achievement_id is None:
        raise ValidationError(
            fields={"achievement_id": _("Name the seller's achievement before opening a deal.")}
        )
    deal = deal_services.create_deal(
        user,
        outcome.achievement_id,
        demand_id=outcome.demand_id,
        buyer_org_id=outcome.buyer_org_id,
        note=_("From the event #%(id)s", id=outcome.event_id),
    )
    outcome.deal_id = deal.id
    log(get_event(outcome.event_id), user, "deal", f"#{deal.id}")
    db.session.commit()
    return outcome


@dataclass(frozen=True)
class EventReport:
    signups: int
    approved: int
    checked_in: int
    meetings: int  # accepted 1-on-1 appointments (对接)
    outcomes: int
    intents: int
    intended_amount: Decimal
    signed_before: int
    followed_in_deals: int
    converted: int  # intents whose deal has a registered contract
    contract_amount: Decimal
    tech_amount: Decimal

    @property
    def conversion(self) -> Decimal | None:
        """Intents that became a registered contract, as a share of the intents."""
        if not self.intents:
            return None
        return (Decimal(self.converted) / self.intents).quantize(Decimal("0.0001"))


def event_report(event: Event) -> EventReport:
    def count(query: sa.Select) -> int:
        return int(db.session.execute(query).scalar_one())

    signups = sa.select(sa.func.count()).select_from(Signup).where(Signup.event_id == event.id)
    outcomes = list(
        db.session.execute(sa.select(Outcome).where(Outcome.event_id == event.id)).scalars()
    )
    deal_ids = {o.deal_id for o in outcomes if o.deal_id is not None}
    registered = sa.and_(Contract.deal_id.in_(deal_ids), Contract.status == "registered")
    converted_deals = (
        set(db.session.execute(sa.select(Contract.deal_id).where(registered)).scalars())
        if deal_ids
        else set()
    )
    # 技术交易额 counts as in the statistics: the registrar's verified amount where there is one.
    contract_amount, tech_amount = (
        db.session.execute(
            sa.select(
                sa.func.sum(Contract.contract_amount), sa.func.sum(counted_tech_amount())
            ).where(registered)
        ).one()
        if deal_ids
        else (None, None)
    )
    intents = [o for o in outcomes if o.kind == "intent"]
    return EventReport(
        signups=count(signups),
        approved=count(signups.where(Signup.status == "approved")),
        checked_in=count(signups.where(Signup.checked_in_at.is_not(None))),
        meetings=count(
            sa.select(sa.func.count())
            .select_from(Appointment)
            .where(Appointment.event_id == event.id, Appointment.status == "accepted")
        ),
        outcomes=len(outcomes),
        intents=len(intents),
        intended_amount=sum((o.amount or ZERO for o in intents), ZERO),
        signed_before=sum(1 for o in outcomes if o.signed_before_event),
        followed_in_deals=len(deal_ids),
        converted=sum(1 for o in intents if o.deal_id in converted_deals),
        contract_amount=contract_amount or ZERO,
        tech_amount=tech_amount or ZERO,
    )
