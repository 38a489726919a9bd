"""Contract use cases: record, edit, submit, register (登记号), reject, void."""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import Organisation, User
from marketplace.accounts.permissions import require_role
from marketplace.contracts.models import (
    Contract,
    ContractHistory,
    ContractLineItem,
    ContractSignedCopy,
    RegistrationCounter,
)
from marketplace.contracts.queries import can_change, contract_for_update
from marketplace.contracts.vocab import PLAN_CATEGORIES, REJECT_REASONS, TAX_EXEMPT_TYPES
from marketplace.database import utcnow
from marketplace.deals.models import Deal
from marketplace.errors import Conflict, InvalidTransition, ValidationError
from marketplace.extensions import db
from marketplace.money import MoneyError, money_str, parse_money
from marketplace.notifications.services import notify
from marketplace.outbox import enqueue
from marketplace.vocab import CONTRACT_SUBTYPES, CONTRACT_TYPES, FIELDS
from marketplace.workdays import LOCAL_TZ

MAX_LINE_ITEMS = 50
EDITABLE_STATUSES = ("draft", "rejected")
SEQUENCE_DIGITS = 6


@dataclass(frozen=True)
class LineItemData:
    description: str
    amount: Decimal | None
    non_technical: bool = False


@dataclass(frozen=True)
class ContractData:
    """Everything a broker enters for a contract; amounts already parsed to ``Decimal``.

    ``tech_amount`` is computed from the line items when there are any (a value given as well
    must agree), else it is entered directly. Missing parties, field and title are taken from
    ``deal_id`` when given.
    """

    title: str = ""
    type: str = ""
    subtype: str | None = None
    seller_org_id: int | None = None
    buyer_org_id: int | None = None
    signed_on: date | None = None
    contract_amount: Decimal | None = None
    tech_amount: Decimal | None = None
    line_items: tuple[LineItemData, ...] = ()
    field: str | None = None
    term_end: date | None = None
    plan_category: str | None = None
    deal_id: int | None = None
    broker_id: int | None = None


def local_today() -> date:
    return datetime.now(LOCAL_TZ).date()


def prefilled_from_deal(data: ContractData, deal: Deal) -> ContractData:
    """The deal pre-fills whatever the broker left empty: title, parties and field (the web
    form shows these values before the broker types anything)."""
    return dataclasses.replace(
        data,
        title=data.title.strip() or deal.achievement.title,
        seller_org_id=data.seller_org_id or deal.seller_org_id,
        buyer_org_id=data.buyer_org_id or deal.buyer_org_id,
        field=data.field or deal.achievement.field or (deal.demand.field if deal.demand else None),
    )


def contract_data(contract: Contract) -> ContractData:
    """The current values of ``contract`` as input, the base an API PATCH is merged onto."""
    return ContractData(
        title=contract.title,
        type=contract.type,
        subtype=contract.subtype,
        seller_org_id=contract.seller_org_id,
        buyer_org_id=contract.buyer_org_id,
        signed_on=contract.signed_on,
        contract_amount=contract.contract_amount,
        # With line items the amount is derived, so a changed item must not clash with it.
        tech_amount=None if contract.line_items else contract.tech_amount,
        line_items=tuple(
            LineItemData(item.description, item.amount, item.non_technical)
            for item in contract.line_items
        ),
        field=contract.field,
        term_end=contract.term_end,
        plan_category=contract.plan_category,
        deal_id=contract.deal_id,
        broker_id=contract.broker_id,
    )


# -- validation -------------------------------------------------------------------------------


def _checked_amount(
    value: Decimal | None,
    field: str,
    errors: dict[str, str],
    *,
    required: bool = True,
    allow_zero: bool = True,
) -> Decimal | None:
    """Re-check an amount with the strict parser, so direct callers get the same rules."""
    if value is None:
        if required:
            errors[field] = _("Enter an amount in yuan.")
        return None
    try:
        return parse_money(value, allow_zero=allow_zero)
    except MoneyError as error:
        errors[field] = str(error)
        return None


def _check_deal(data: ContractData, actor: User, errors: dict[str, str]) -> Deal | None:
    """The deal the contract is recorded for, if the actor may use it; None otherwise."""
    if data.deal_id is None:
        return None
    deal = db.session.get(Deal, data.deal_id)
    if deal is None:
        errors["deal_id"] = _("There is no such deal.")
    elif actor.role != "admin" and deal.broker_id != actor.id:
        errors["deal_id"] = _("You can only record contracts for deals you work on.")
        deal = None
    elif deal.stage == "failed":
        errors["deal_id"] = _("That deal has failed; record the contract without it.")
        deal = None
    return deal


def _check_title(data: ContractData, errors: dict[str, str]) -> str:
    title = data.title.strip()
    if not title:
        errors["title"] = _("Enter the contract title.")
    elif len(title) > 200:
        errors["title"] = _("Use at most 200 characters.")
    return title


def _check_type(data: ContractData, errors: dict[str, str]) -> str | None:
    """Checks the type and its subtype; returns the normalised subtype."""
    subtype = (data.subtype or "").strip() or None
    if data.type not in CONTRACT_TYPES:
        errors["type"] = _("Choose one of the contract types.")
    else:
        subtypes = CONTRACT_SUBTYPES[data.type]
        if len(subtypes) == 0:
            if subtype is not None:
                errors["subtype"] = _("This contract type has no subtypes.")
        elif subtype is None:
            errors["subtype"] = _("Choose the subtype of this contract type.")
        elif subtype not in subtypes:
            errors["subtype"] = _("That subtype does not belong to this contract type.")
    return subtype


def _check_parties(data: ContractData, errors: dict[str, str]) -> None:
    for name in ("seller_org_id", "buyer_org_id"):
        org_id = getattr(data, name)
        if org_id is None:
            errors[name] = _("Choose the organisation.")
        elif db.session.get(Organisation, org_id) is None:
            errors[name] = _("There is no such organisation.")
    if data.seller_org_id is not None and data.seller_org_id == data.buyer_org_id:
        errors["buyer_org_id"] = _("The buyer must be a different organisation from the seller.")


def _check_classification(
    data: ContractData, errors: dict[str, str]
) -> tuple[str | None, str | None]:
    """Checks the technology field and plan category; returns both normalised."""
    field = data.field or None
    if field is None:
        errors["field"] = _("Choose the technology field.")
    elif field not in FIELDS:
        errors["field"] = _("Choose one of the technology fields.")
    plan_category = data.plan_category or None
    if plan_category is not None and plan_category not in PLAN_CATEGORIES:
        errors["plan_category"] = _("Choose one of the plan categories.")
    return field, plan_category


def _check_dates(data: ContractData, errors: dict[str, str]) -> None:
    if data.signed_on is None:
        errors["signed_on"] = _("Enter the date the contract was signed.")
    elif data.signed_on > local_today():
        errors["signed_on"] = _("The signing date cannot be in the future.")
    elif data.signed_on.year < 1985:
        errors["signed_on"] = _("Enter a realistic signing date.")
    if data.term_end is not None and data.signed_on is not None and data.term_end < data.signed_on:
        errors["term_end"] = _("The term cannot end before the contract was signed.")


def _check_line_items(data: ContractData, errors: dict[str, str]) -> list[LineItemData]:
    """The line items normalised (descriptions stripped, amounts re-parsed)."""
    items: list[LineItemData] = []
    if len(data.line_items) > MAX_LINE_ITEMS:
        errors["line_items"] = _("Use at most %(n)d line items.", n=MAX_LINE_ITEMS)
    for index, item in enumerate(data.line_items[:MAX_LINE_ITEMS]):
        description = item.description.strip()
        if not description:
            errors[f"line_items.{index}.description"] = _("Describe the line item.")
        elif len(description) > 200:
            errors[f"line_items.{index}.description"] = _("Use at most 200 characters.")
        amount = _checked_amount(item.amount, f"line_items.{index}.amount", errors)
        items.append(LineItemData(description, amount, bool(item.non_technical)))
    return items


def _technology_amount(
    data: ContractData,
    contract_amount: Decimal | None,
    items: list[LineItemData],
    errors: dict[str, str],
) -> Decimal | None:
    """The technology amount: computed from the line items when there are any, else entered."""
    tech_amount = None
    if items:
        given = _checked_amount(data.tech_amount, "tech_amount", errors, required=False)
        if contract_amount is not None and all(item.amount is not None for item in items):
            total = sum((item.amount for item in items if item.amount is not None), Decimal(0))
            non_technical = sum(
                (item.amount for item in items if item.non_technical and item.amount is not None),
                Decimal(0),
            )
            if total != contract_amount:
                # A gap would silently count as technical income: every yuan of the contract
                # must sit on a line, the remainder on an explicit "other" line if need be.
                errors["line_items"] = _(
                    "The line items add up to %(total)s but the contract amount is %(amount)s. "
                    "Correct the items, or add the difference of %(gap)s as a line such as "
                    "“Other” (technical or not).",
                    total=money_str(total),
                    amount=money_str(contract_amount),
                    gap=money_str(abs(contract_amount - total)),
                )
            else:
                tech_amount = contract_amount - non_technical
                if given is not None and given != tech_amount:
                    errors["tech_amount"] = _(
                        "With line items the technology amount is computed (%(amount)s); "
                        "leave it empty.",
                        amount=money_str(tech_amount),
                    )
    else:
        tech_amount = _checked_amount(data.tech_amount, "tech_amount", errors)
    if tech_amount is not None and contract_amount is not None and tech_amount > contract_amount:
        errors["tech_amount"] = _(
            "The technology transaction amount cannot exceed the contract amount."
        )
    return tech_amount


def _check_broker(
    data: ContractData, actor: User, deal: Deal | None, errors: dict[str, str]
) -> int | None:
    """The broker the contract is recorded for: a broker records in their own name."""
    broker_id = data.broker_id
    if actor.role == "broker":
        if broker_id not in (None, actor.id):
            errors["broker_id"] = _("Brokers record contracts in their own name.")
        return actor.id
    if broker_id is None and deal is not None:
        broker_id = deal.broker_id
    if broker_id is not None:
        broker = db.session.get(User, broker_id)
        if broker is None or broker.role != "broker":
            errors["broker_id"] = _("Choose a technology broker.")
    return broker_id


def _clean(data: ContractData, actor: User) -> tuple[ContractData, list[LineItemData]]:
    """Validate ``data`` fully; returns it normalised with the computed technology amount."""
    errors: dict[str, str] = {}
    deal = _check_deal(data, actor, errors)
    if deal is not None:
        data = prefilled_from_deal(data, deal)
    title = _check_title(data, errors)
    subtype = _check_type(data, errors)
    _check_parties(data, errors)
    field, plan_category = _check_classification(data, errors)
    _check_dates(data, errors)
    contract_amount = _checked_amount(
        data.contract_amount, "contract_amount", errors, allow_zero=False
    )
    items = _check_line_items(data, errors)
    tech_amount = _technology_amount(data, contract_amount, items, errors)
    broker_id = _check_broker(data, actor, deal, errors)
    if errors:
        raise ValidationError(fields=errors)
    cleaned = dataclasses.replace(
        data,
        title=title,
        subtype=subtype,
        field=field,
        plan_category=plan_category,
        contract_amount=contract_amount,
        tech_amount=tech_amount,
        broker_id=broker_id,
        line_items=tuple(items),
    )
    return cleaned, items


# -- audit ------------------------------------------------------------------------------------

AUDITED_FIELDS = (
    "title",
    "type",
    "subtype",
    "seller_org_id",
    "buyer_org_id",
    "broker_id",
    "deal_id",
    "field",
    "plan_category",
    "signed_on",
    "term_end",
    "contract_amount",
    "tech_amount",
    "line_items",
)


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return money_str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def snapshot(contract: Contract) -> dict[str, Any]:
    """The audited fields of ``contract`` as JSON values (amounts as decimal strings)."""
    values = {
        name: _json_value(getattr(contract, name))
        for name in AUDITED_FIELDS
        if name != "line_items"
    }
    values["line_items"] = [
        {
            "description": item.description,
            "amount": money_str(item.amount),
            "non_technical": item.non_technical,
        }
        for item in contract.line_items
    ]
    return values


def _record(
    contract: Contract,
    actor: User | None,
    action: str,
    field: str | None = None,
    before: Any = None,
    after: Any = None,
    note: str = "",
) -> None:
    db.session.add(
        ContractHistory(
            contract_id=contract.id,
            actor_id=actor.id if actor else None,
            action=action,
            field=field,
            before=before,
            after=after,
            note=note,
        )
    )


def _record_changes(
    contract: Contract, actor: User, action: str, before: dict[str, Any], after: dict[str, Any]
) -> int:
    changed = 0
    for name in AUDITED_FIELDS:
        if before.get(name) != after.get(name):
            _record(contract, actor, action, name, before.get(name), after.get(name))
            changed += 1
    return changed


# -- write use cases ------------------------------------------------------------------------


def _apply(contract: Contract, data: ContractData, items: list[LineItemData]) -> None:
    contract.title = data.title
    contract.type = data.type
    contract.subtype = data.subtype
    contract.seller_org_id = data.seller_org_id  # type: ignore[assignment]
    contract.buyer_org_id = data.buyer_org_id  # type: ignore[assignment]
    contract.broker_id = data.broker_id
    contract.deal_id = data.deal_id
    contract.field = data.field
    contract.plan_category = data.plan_category
    contract.signed_on = data.signed_on  # type: ignore[assignment]
    contract.term_end = data.term_end
    contract.contract_amount = data.contract_amount  # type: ignore[assignment]
    contract.tech_amount = data.tech_amount  # type: ignore[assignment]
    current = [(i.description, i.amount, i.non_technical) for i in contract.line_items]
    wanted = [(i.description, i.amount, i.non_technical) for i in items]
    if current != wanted:
        contract.line_items = [
            ContractLineItem(description=d, amount=a, non_technical=n) for d, a, n in wanted
        ]


def _parties_and_broker(contract: Contract) -> dict[str, Any]:
    return {
        "org_ids": [contract.seller_org_id, contract.buyer_org_id],
        "user_ids": [contract.broker_id] if contract.broker_id else [],
    }


def _notify_status(contract: Contract, *, admins: bool = False) -> None:
    recipients = _parties_and_broker(contract)
    notify(
        kind="contract_status",
        params={"title": contract.title, "status": contract.status},
        roles=["admin"] if admins else None,
        link=f"/contracts/{contract.id}",
        **recipients,
    )


def create_contract(actor: User, data: ContractData) -> Contract:
    """Record a draft contract (broker in their own name, or an admin); audited field by field."""
    user = require_role(actor, "broker", "admin")
    cleaned, items = _clean(data, user)
    contract = Contract(status="draft", created_by_id=user.id)
    _apply(contract, cleaned, items)
    db.session.add(contract)
    db.session.flush()
    after = snapshot(contract)
    _record(contract, user, "create", "status", None, "draft")
    for name in AUDITED_FIELDS:
        if after.get(name) not in (None, []):
            _record(contract, user, "create", name, None, after[name])
    db.session.commit()
    return contract


def _refuse_frozen(contract: Contract) -> None:
    if contract.status in ("registered", "void"):
        message = _("A registered contract cannot be changed; an administrator can void it.")
        raise Conflict(message, code="contract_registered", fields={"status": message})
    if contract.status not in EDITABLE_STATUSES:
        message = _("A submitted contract cannot be changed until it is rejected.")
        raise InvalidTransition(message, fields={"status": message})


def update_contract(actor: User, contract_id: int, data: ContractData) -> Contract:
    """Replace the contract's fields with ``data`` (draft or rejected only); audits each change."""
    user = require_role(actor, "broker", "admin")
    contract = contract_for_update(user, contract_id)
    _refuse_frozen(contract)
    cleaned, items = _clean(data, user)
    before = snapshot(contract)
    _apply(contract, cleaned, items)
    db.session.flush()
    _record_changes(contract, user, "edit", before, snapshot(contract))
    db.session.commit()
    return contract


def _transition(contract: Contract, user: User, to: str, action: str, note: str = "") -> None:
    before = contract.status
    contract.status = to
    _record(contract, user, action, "status", before, to, note)


def submit_contract(actor: User, contract_id: int) -> Contract:
    """Draft (or rejected and corrected) → submitted for registration."""
    user = require_role(actor, "broker", "admin")
    contract = contract_for_update(user, contract_id)
    if contract.status not in EDITABLE_STATUSES:
        raise InvalidTransition(_("Only a draft or rejected contract can be submitted."))
    if not has_signed_copy(contract.id):
        raise ValidationError(
            fields={
                "signed_copy": _(
                    "Upload the signed contract (PDF) before submitting it for registration."
                )
            }
        )
    _transition(contract, user, "submitted", "submit")
    contract.submitted_at = utcnow()
    contract.reject_reason = None
    contract.reject_code = None
    _notify_status(contract, admins=True)
    db.session.commit()
    return contract


def _required_reason(reason: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise ValidationError(fields={"reason": _("Give the reason.")})
    if len(text) > 2000:
        raise ValidationError(fields={"reason": _("Use at most 2000 characters.")})
    return text


def reject_contract(actor: User, contract_id: int, reason: str, code: str = "other") -> Contract:
    """Submitted → rejected with a reason code (材料不全, 非技术合同, 金额不符, …) and a note the
    broker can act on (admin). The note is required when the code is ``other``."""
    user = require_role(actor, "admin")
    if code not in REJECT_REASONS:
        raise ValidationError(fields={"code": _("Choose one of the refusal reasons.")})
    text = _required_reason(reason) if code == "other" or (reason or "").strip() else ""
    contract = contract_for_update(user, contract_id)
    if contract.status != "submitted":
        raise InvalidTransition(_("Only a submitted contract can be rejected."))
    _transition(contract, user, "rejected", "reject", text)
    _record(contract, user, "reject", "reject_code", contract.reject_code, code)
    contract.reject_code = code
    contract.reject_reason = text or None
    _notify_status(contract)
    db.session.commit()
    return contract


def registration_number(year: int, region: str, sequence: int) -> str:
    """登记号: year, seller-region code and the zero-padded sequence, e.g. 2026330300000042."""
    return f"{year}{region}{sequence:0{SEQUENCE_DIGITS}d}"


def next_sequence(year: int, region: str) -> int:
    """The next registration sequence of (year, region), locked until the caller commits.

    PostgreSQL: the counter row is locked with ``SELECT … FOR UPDATE`` so concurrent
    registrations queue on it; the first registration of a (year, region) inserts the row, and
    when two race to do so the loser's unique violation is rolled back to a savepoint and it
    locks the winner's row instead. SQLite serialises writers on the database itself. Because the
    increment commits with the registration, a failed registration leaves no gap.
    """
    for _attempt in range(5):
        counter = db.session.execute(
            sa.select(RegistrationCounter)
            .where(RegistrationCounter.year == year, RegistrationCounter.region == region)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).scalar_one_or_none()
        if counter is None:
            try:
                with db.session.begin_nested():
                    db.session.add(RegistrationCounter(year=year, region=region, last_seq=0))
            except IntegrityError:
                continue  # another registration created the row first: lock theirs
            continue
        counter.last_seq += 1
        db.session.flush()
        return counter.last_seq
    raise Conflict(_("The registration counter is busy; try again."))


@dataclass(frozen=True)
class Verification:
    """What the registrar decides at registration (核定): the technology amount, why it differs
    from the entered one, and whether the contract qualifies for the VAT exemption (``None`` =
    the default for its type)."""

    tech_amount: Decimal | None = None
    reason: str = ""
    tax_exempt: bool | None = None


def tax_exempt_eligible(contract: Contract) -> bool:
    """Transfer, licence and development contracts may have their technical income exempted."""
    return contract.type in TAX_EXEMPT_TYPES


def can_record(user: User) -> bool:
    """Brokers and administrators record contracts (create_contract)."""
    return getattr(user, "role", None) in ("broker", "admin")


def chooses_broker(user: User) -> bool:
    """An administrator names the broker of a contract; a broker records it in their own name."""
    return getattr(user, "role", None) == "admin"


def can_edit(user: User, contract: Contract) -> bool:
    """Edit or submit: whoever may change the contract, while it is a draft or rejected."""
    return can_change(user, contract) and contract.status in EDITABLE_STATUSES


def can_register(user: User, contract: Contract) -> bool:
    return getattr(user, "role", None) == "admin" and contract.status == "submitted"


def can_void(user: User, contract: Contract) -> bool:
    """An administrator may void a registered contract (void_contract)."""
    return getattr(user, "role", None) == "admin" and contract.status == "registered"


def can_upload_signed_copy(user: User, contract: Contract) -> bool:
    return can_edit(user, contract)


def has_signed_copy(contract_id: int) -> bool:
    return (
        db.session.execute(
            sa.select(ContractSignedCopy.id).where(ContractSignedCopy.contract_id == contract_id)
        ).first()
        is not None
    )


# Letters and digits that cannot be mistaken for one another when typed from paper.
_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 10


def new_verification_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _verified(contract: Contract, verification: Verification) -> tuple[Decimal, str, bool]:
    errors: dict[str, str] = {}
    amount = contract.tech_amount
    if verification.tech_amount is not None:
        checked = _checked_amount(verification.tech_amount, "verified_tech_amount", errors)
        if checked is not None and checked > contract.contract_amount:
            errors["verified_tech_amount"] = _(
                "The verified technology amount cannot exceed the contract amount (%(amount)s).",
                amount=money_str(contract.contract_amount),
            )
        elif checked is not None:
            amount = checked
    reason = (verification.reason or "").strip()
    if len(reason) > 2000:
        errors["reason"] = _("Use at most 2000 characters.")
    elif amount != contract.tech_amount and not reason:
        errors["reason"] = _("Give the reason for changing the technology amount.")
    eligible = tax_exempt_eligible(contract)
    exempt = eligible if verification.tax_exempt is None else verification.tax_exempt
    if exempt and not eligible:
        errors["tax_exempt"] = _(
            "Only technology development, transfer and licence contracts "
            "qualify for the VAT exemption."
        )
    if errors:
        raise ValidationError(fields=errors)
    return amount, reason, exempt


def register_contract(
    actor: User,
    contract_id: int,
    *,
    at: datetime | None = None,
    verification: Verification | None = None,
) -> Contract:
    """Submitted → registered (认定登记) by an admin: 核定 of the technology amount, the 登记号,
    the verification code of the certificate, the VAT-exemption flag; freezes the contract.

    The parties' regions and kinds are copied onto the contract, and the statistics (which
    count the verified amount) are told through the outbox in the same transaction. ``at``
    back-dates the registration (imports).
    """
    user = require_role(actor, "admin")
    contract = contract_for_update(user, contract_id)
    if contract.status != "submitted":
        raise InvalidTransition(_("Only a submitted contract can be registered."))
    amount, reason, exempt = _verified(contract, verification or Verification())
    seller, buyer = contract.seller_org, contract.buyer_org
    if not seller.region:
        raise ValidationError(
            fields={
                "seller_org_id": _(
                    "The seller organisation has no region; set it before registering."
                )
            }
        )
    when = at or utcnow()
    year = when.astimezone(LOCAL_TZ).year
    sequence = next_sequence(year, seller.region)
    contract.registration_no = registration_number(year, seller.region, sequence)
    contract.registered_at = when
    contract.registered_by_id = user.id
    contract.seller_region, contract.seller_kind = seller.region, seller.kind
    contract.buyer_region, contract.buyer_kind = buyer.region, buyer.kind
    contract.verified_tech_amount = amount
    contract.verification_note = reason or None
    contract.verification_code = new_verification_code()
    contract.tax_exempt = exempt
    _transition(contract, user, "registered", "register")
    _record(contract, user, "register", "registration_no", None, contract.registration_no)
    _record(
        contract,
        user,
        "verify",
        "verified_tech_amount",
        money_str(contract.tech_amount),
        money_str(amount),
        reason,
    )
    _record(contract, user, "register", "tax_exempt", None, exempt)
    enqueue("stats", {"contract_id": contract.id})
    _notify_status(contract)
    db.session.commit()
    return contract


def void_contract(actor: User, contract_id: int, reason: str) -> Contract:
    """Registered → void with a reason (admin); the number stays, the statistics drop it."""
    user = require_role(actor, "admin")
    text = _required_reason(reason)
    contract = contract_for_update(user, contract_id)
    if contract.status != "registered":
        raise InvalidTransition(_("Only a registered contract can be voided."))
    _transition(contract, user, "void", "void", text)
    contract.void_reason = text
    contract.voided_at = utcnow()
    enqueue("stats", {"contract_id": contract.id})
    _notify_status(contract)
    db.session.commit()
    return contract
