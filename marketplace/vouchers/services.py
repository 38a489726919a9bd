"""The voucher life cycle (SPEC §6.2): apply, approve/refuse, use, confirm, redeem, review.

Money rules: the approved amount stays within the caps; a scheme's committed + redeemed never
exceed its budget (the scheme row is locked for every change of them, and a CHECK constraint
backs it); the redeemed amount never exceeds ratio × actual cost nor the ordered amount.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.accounts.models import User
from marketplace.accounts.permissions import require_role, require_user
from marketplace.contracts.models import Contract
from marketplace.database import is_db_id, utcnow
from marketplace.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from marketplace.extensions import db
from marketplace.instruments.models import Booking
from marketplace.money import MoneyError, parse_money
from marketplace.notifications.messages import register_coded_params
from marketplace.notifications.services import notify
from marketplace.vouchers import permissions
from marketplace.vouchers.audit import record
from marketplace.vouchers.documents import (
    StoredDocument,
    remove_files,
    store_documents,
)
from marketplace.vouchers.models import Voucher, VoucherDocument, VoucherScheme
from marketplace.vouchers.rules import in_region, payable
from marketplace.vouchers.schemes import approved_provider, get_scheme, local_today, related
from marketplace.vouchers.vocab import (
    COMMITTED_STATUSES,
    REFUSAL_CODES,
    REVIEW_REJECT_CODES,
    SERVICE_TYPES,
    VOUCHER_STATUSES,
)

register_coded_params("voucher_status", status=VOUCHER_STATUSES)

MAX_TEXT = 4000


@dataclass(frozen=True)
class Application:
    scheme_id: int
    service_type: str
    requested_amount: Any
    purpose: str = ""


@dataclass(frozen=True)
class Redemption:
    """What the enterprise hands in: where the service was delivered and the documents."""

    contract_id: int | None = None
    booking_id: int | None = None
    amount: Any = None  # optional: less than the computed voucher part
    documents: dict[str, Any] | None = None  # kind → Upload


class BudgetExhausted(Conflict):
    code = "budget_exhausted"


def _money(value: Any, field: str, *, required: bool = True) -> Decimal | None:
    try:
        amount = parse_money(value, allow_zero=False)
    except MoneyError as error:
        raise ValidationError(fields={field: str(error)}) from error
    if amount is None and required:
        raise ValidationError(fields={field: _("Enter an amount in yuan.")})
    return amount


def _text(value: str, field: str) -> str:
    text = (value or "").strip()
    if len(text) > MAX_TEXT:
        raise ValidationError(fields={field: _("Use at most %(n)d characters.", n=MAX_TEXT)})
    return text


def _notify(voucher: Voucher, *, org_ids: list[int] | None = None, admins: bool = False) -> None:
    notify(
        kind="voucher_status",
        org_ids=org_ids or [voucher.org_id],
        roles=["admin"] if admins else None,
        params={"id": voucher.id, "status": voucher.status},
        link=f"/vouchers/{voucher.id}",
    )


def _move(
    voucher: Voucher,
    actor: User,
    action: str,
    status: str,
    *,
    reason_code: str | None = None,
    note: str = "",
    amount: Decimal | None = None,
) -> None:
    before = voucher.status
    voucher.status = status
    record(
        "voucher",
        voucher.id,
        actor,
        action,
        before=before,
        after=status,
        reason_code=reason_code,
        note=note,
        amount=amount,
    )


def get_voucher_for(actor: User, voucher_id: int) -> Voucher:
    user = require_user(actor)
    voucher = db.session.get(Voucher, voucher_id)
    if voucher is None:
        raise NotFound()
    if not permissions.can_view_voucher(user, voucher):
        raise PermissionDenied()
    return voucher


def _locked(voucher_id: int) -> Voucher:
    voucher = db.session.execute(
        sa.select(Voucher)
        .where(Voucher.id == voucher_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if voucher is None:
        raise NotFound()
    return voucher


def org_year_total(scheme: VoucherScheme, org_id: int, exclude_id: int | None = None) -> Decimal:
    """Approved amounts of ``org_id`` in ``scheme`` still committed or redeemed (the
    enterprise-year cap counts them)."""
    query = sa.select(Voucher).where(
        Voucher.scheme_id == scheme.id,
        Voucher.org_id == org_id,
        Voucher.status.in_((*COMMITTED_STATUSES, "redeemed")),
    )
    if exclude_id is not None:
        query = query.where(Voucher.id != exclude_id)
    total = Decimal("0.00")
    for voucher in db.session.execute(query).scalars():
        total += (
            voucher.redeemed_amount if voucher.status == "redeemed" else voucher.approved_amount
        ) or Decimal(0)
    return total


def eligibility_errors(scheme: VoucherScheme, org: Any) -> list[str]:
    reasons: list[str] = []
    if scheme.eligible_kinds and org.kind not in scheme.eligible_kinds:
        reasons.append(_("Organisations of your kind cannot apply to this scheme."))
    if not in_region(org.region, scheme.eligible_regions):
        reasons.append(_("Your organisation's region is not covered by this scheme."))
    if org.id in scheme.excluded_org_ids:
        reasons.append(_("Your organisation is excluded from this scheme."))
    return reasons


# -- apply, approve, refuse ---------------------------------------------------------------


def apply_for_voucher(actor: User, data: Application) -> Voucher:
    """申领: an enterprise asks for a voucher of an open scheme."""
    user = require_user(actor)
    if not permissions.can_apply(user):
        raise PermissionDenied(_("Enterprise users apply for vouchers."))
    scheme = get_scheme(data.scheme_id)
    today = local_today()
    if scheme.status != "open" or not scheme.opens_on <= today <= scheme.use_by:
        raise Conflict(_("This scheme is not open for applications."), code="scheme_closed")
    errors: dict[str, str] = {}
    reasons = eligibility_errors(scheme, user.org)
    if reasons:
        errors["scheme_id"] = " ".join(reasons)
    if data.service_type not in SERVICE_TYPES or data.service_type not in scheme.services:
        errors["service_type"] = _("Choose one of the services this scheme pays for.")
    amount = None
    try:
        amount = _money(data.requested_amount, "requested_amount")
    except ValidationError as error:
        errors.update(error.fields)
    if amount is not None:
        if amount > scheme.cap_per_application:
            errors["requested_amount"] = _(
                "The amount is above the scheme's cap of %(cap)s per application.",
                cap=str(scheme.cap_per_application),
            )
        elif org_year_total(scheme, user.org_id) + amount > scheme.cap_per_enterprise_year:
            errors["requested_amount"] = _(
                "With your other vouchers this is above the cap of %(cap)s per enterprise "
                "and year.",
                cap=str(scheme.cap_per_enterprise_year),
            )
    purpose = (data.purpose or "").strip()
    if not purpose:
        errors["purpose"] = _("Describe the service you need.")
    elif len(purpose) > MAX_TEXT:
        errors["purpose"] = _("Use at most %(n)d characters.", n=MAX_TEXT)
    if errors:
        raise ValidationError(fields=errors)
    voucher = Voucher(
        scheme_id=scheme.id,
        org_id=user.org_id,
        applicant_id=user.id,
        service_type=data.service_type,
        purpose=purpose,
        requested_amount=amount,
        status="applied",
        payee_mode=scheme.payee_mode,
        applied_at=utcnow(),
    )
    db.session.add(voucher)
    db.session.flush()
    record("voucher", voucher.id, user, "apply", after="applied", amount=amount)
    _notify(voucher, org_ids=[voucher.org_id], admins=True)
    db.session.commit()
    return voucher


def approve_voucher(actor: User, voucher_id: int, amount: Any = None, note: str = "") -> Voucher:
    """Applied → approved with an amount (admin), committed against the scheme's budget.

    The scheme row is locked first (``SELECT … FOR UPDATE``), so concurrent approvals of one
    scheme queue and each sees the others' commitments; when the budget cannot take the
    amount the approval fails with ``budget_exhausted`` and nothing changes.
    """
    user = require_role(actor, "admin")
    text = _text(note, "note")
    voucher = db.session.get(Voucher, voucher_id)
    if voucher is None:
        raise NotFound()
    scheme = get_scheme(voucher.scheme_id, for_update=True)
    voucher = _locked(voucher_id)
    if voucher.status != "applied":
        raise InvalidTransition(_("Only an application can be approved."))
    value = _money(amount, "amount", required=False) or voucher.requested_amount
    if value > voucher.requested_amount:
        raise ValidationError(fields={"amount": _("Approve at most the amount applied for.")})
    if value > scheme.cap_per_application:
        raise ValidationError(
            fields={
                "amount": _(
                    "The amount is above the scheme's cap of %(cap)s per application.",
                    cap=str(scheme.cap_per_application),
                )
            }
        )
    if org_year_total(scheme, voucher.org_id, voucher.id) + value > scheme.cap_per_enterprise_year:
        raise ValidationError(
            fields={
                "amount": _(
                    "With its other vouchers the enterprise would pass the cap of %(cap)s "
                    "per year.",
                    cap=str(scheme.cap_per_enterprise_year),
                )
            }
        )
    if scheme.committed + scheme.redeemed + value > scheme.budget:
        raise BudgetExhausted(
            _(
                "The scheme's budget is exhausted: %(left)s is left, %(amount)s was asked.",
                left=str(scheme.available),
                amount=str(value),
            )
        )
    scheme.committed = scheme.committed + value
    voucher.approved_amount, voucher.approved_at = value, utcnow()
    _move(voucher, user, "approve", "approved", note=text, amount=value)
    _notify(voucher)
    db.session.commit()
    return voucher


def refuse_voucher(actor: User, voucher_id: int, reason_code: str, note: str = "") -> Voucher:
    """Applied → refused with a reason code (admin)."""
    user = require_role(actor, "admin")
    if reason_code not in REFUSAL_CODES:
        raise ValidationError(fields={"reason_code": _("Choose one of the reasons.")})
    text = _text(note, "note")
    voucher = _locked(voucher_id)
    if voucher.status != "applied":
        raise InvalidTransition(_("Only an application can be refused."))
    voucher.refusal_code, voucher.refusal_reason = reason_code, text
    voucher.closed_at = utcnow()
    _move(voucher, user, "refuse", "refused", reason_code=reason_code, note=text)
    _notify(voucher)
    db.session.commit()
    return voucher


# -- use and confirm ----------------------------------------------------------------------


def use_voucher(
    actor: User, voucher_id: int, provider_org_id: int, amount: Any, note: str = ""
) -> Voucher:
    """Approved → ordered: the enterprise names an approved provider and the amount to use."""
    user = require_user(actor)
    voucher = _locked(voucher_id)
    if (
        not permissions.can_view_voucher(user, voucher)
        or user.org_id != voucher.org_id
        or user.role not in permissions.MEMBER_ROLES
    ):
        raise PermissionDenied()
    if voucher.status != "approved":
        raise InvalidTransition(_("Only an approved voucher can be used."))
    if local_today() > voucher.scheme.use_by:
        raise Conflict(_("The voucher's use-by date has passed."), code="voucher_expired")
    value = _money(amount, "amount")
    assert value is not None and voucher.approved_amount is not None
    if value > voucher.approved_amount:
        raise ValidationError(
            fields={
                "amount": _(
                    "Use at most the approved %(amount)s.", amount=str(voucher.approved_amount)
                )
            }
        )
    if approved_provider(provider_org_id, voucher.service_type) is None:
        raise ValidationError(
            fields={
                "provider_org_id": _(
                    "This organisation is not an approved provider of this service."
                )
            },
            code="provider_not_approved",
        )
    if related(voucher.org_id, provider_org_id):  # ids checked by approved_provider
        raise ValidationError(
            fields={"provider_org_id": _("No voucher may pass between related parties.")},
            code="related_party",
        )
    text = _text(note, "note")
    voucher.provider_org_id, voucher.order_amount = provider_org_id, value
    voucher.order_note, voucher.ordered_at = text, utcnow()
    _move(voucher, user, "use", "ordered", note=text, amount=value)
    _notify(voucher, org_ids=[voucher.org_id, provider_org_id])
    db.session.commit()
    return voucher


def confirm_voucher(actor: User, voucher_id: int, note: str = "") -> Voucher:
    """Ordered → confirmed by the provider."""
    user = require_user(actor)
    voucher = _locked(voucher_id)
    if not permissions.can_view_voucher(user, voucher):
        raise PermissionDenied()
    if voucher.status != "ordered":
        raise InvalidTransition(_("Only an ordered voucher can be confirmed."))
    if not permissions.can_confirm(user, voucher):
        raise PermissionDenied()
    text = _text(note, "note")
    voucher.confirmed_at = utcnow()
    _move(voucher, user, "confirm", "confirmed", note=text)
    _notify(voucher)
    db.session.commit()
    return voucher


# -- redemption and review ----------------------------------------------------------------


def _delivery(voucher: Voucher, data: Redemption) -> tuple[Decimal, Decimal]:
    """(actual cost, the most the voucher may pay) from the contract or booking delivered."""
    assert voucher.provider_org_id is not None and voucher.order_amount is not None
    if (data.contract_id is None) == (data.booking_id is None):
        raise ValidationError(
            fields={
                "contract_id": _(
                    "Name the registered technology contract or the instrument booking the service "
                    "was delivered under."
                )
            }
        )
    if data.contract_id is not None:
        contract = (
            db.session.get(Contract, data.contract_id) if is_db_id(data.contract_id) else None
        )
        if contract is None or contract.status != "registered":
            raise ValidationError(
                fields={"contract_id": _("Name a registered technology contract.")}
            )
        if (
            contract.buyer_org_id != voucher.org_id
            or contract.seller_org_id != voucher.provider_org_id
        ):
            raise ValidationError(
                fields={
                    "contract_id": _(
                        "The contract must be between your organisation (buyer) and the provider "
                        "(seller)."
                    )
                }
            )
        cost = contract.contract_amount
        return cost, payable(voucher.scheme, cost, voucher.order_amount)
    booking = db.session.get(Booking, data.booking_id) if is_db_id(data.booking_id) else None
    if booking is None or booking.requester_org_id != voucher.org_id:
        raise ValidationError(fields={"booking_id": _("Name one of your organisation's bookings.")})
    if booking.status != "completed" or booking.fee is None:
        raise ValidationError(fields={"booking_id": _("The booking has not been completed.")})
    if booking.instrument.org_id != voucher.provider_org_id:
        raise ValidationError(
            fields={
                "booking_id": _("The instrument belongs to another organisation than the provider.")
            }
        )
    if booking.voucher_id not in (None, voucher.id):
        raise ValidationError(fields={"booking_id": _("Another voucher pays for this booking.")})
    limit = (
        booking.voucher_amount
        if booking.voucher_id == voucher.id and booking.voucher_amount is not None
        else voucher.order_amount
    )
    return booking.fee, payable(voucher.scheme, booking.fee, limit)


def request_redemption(actor: User, voucher_id: int, data: Redemption) -> Voucher:
    """Confirmed → redeem_requested (兑付申请) with the delivery and its documents."""
    user = require_user(actor)
    voucher = _locked(voucher_id)
    if not permissions.can_view_voucher(user, voucher):
        raise PermissionDenied()
    if voucher.status != "confirmed":
        raise InvalidTransition(_("Only a voucher confirmed by its provider can be redeemed."))
    if not permissions.can_request_redemption(user, voucher):
        raise PermissionDenied()
    if local_today() > voucher.scheme.redeem_by:
        raise Conflict(_("The redeem-by date has passed."), code="redeem_closed")
    cost, allowed = _delivery(voucher, data)
    amount = _money(data.amount, "amount", required=False)
    if amount is not None and amount > allowed:
        raise ValidationError(
            fields={
                "amount": _(
                    "The voucher may pay at most %(amount)s of this service "
                    "(%(ratio)d %% of the cost, "
                    "within the ordered amount).",
                    amount=str(allowed),
                    ratio=voucher.scheme.ratio_percent,
                )
            },
            code="above_cap",
        )
    if allowed <= 0:
        raise ValidationError(fields={"amount": _("There is nothing for the voucher to pay.")})
    required = (
        ("contract", "invoice", "payment", "result")
        if data.contract_id is not None
        else ("invoice", "payment", "result")
    )
    stored: list[StoredDocument] = store_documents(data.documents or {}, required)
    replaced = [document.stored_name for document in voucher.documents]
    try:
        # A request sent back and handed in again replaces its documents.
        remove_files(replaced)
        for old in list(voucher.documents):
            db.session.delete(old)
        for document in stored:
            db.session.add(
                VoucherDocument(
                    voucher_id=voucher.id,
                    kind=document.kind,
                    original_name=document.original_name,
                    stored_name=document.stored_name,
                    content_type=document.content_type,
                    size_bytes=document.size_bytes,
                    uploaded_by_id=user.id,
                )
            )
        voucher.contract_id, voucher.booking_id = data.contract_id, data.booking_id
        voucher.actual_cost = cost
        voucher.redeemed_amount = amount if amount is not None else allowed
        voucher.redeem_requested_at = utcnow()
        _move(voucher, user, "redeem", "redeem_requested", amount=voucher.redeemed_amount)
        _notify(voucher, org_ids=[voucher.org_id], admins=True)
        db.session.commit()
    except Exception:
        db.session.rollback()  # the new documents' bytes were in this transaction: gone too
        raise
    return voucher


def review_redemption(
    actor: User, voucher_id: int, decision: str, reason_code: str | None = None, note: str = ""
) -> Voucher:
    """Admin review: ``approve`` starts the publication period (公示) — with none configured
    the voucher is redeemed at once; ``reject`` sends it back to the enterprise with a reason."""
    user = require_role(actor, "admin")
    text = _text(note, "note")
    voucher = db.session.get(Voucher, voucher_id)
    if voucher is None:
        raise NotFound()
    if decision not in ("approve", "reject"):
        raise ValidationError(fields={"decision": _("Decide approve or reject.")})
    if decision == "reject" and reason_code not in REVIEW_REJECT_CODES:
        raise ValidationError(fields={"reason_code": _("Choose one of the reasons.")})
    scheme = get_scheme(voucher.scheme_id, for_update=True)
    voucher = _locked(voucher_id)
    if voucher.status != "redeem_requested":
        raise InvalidTransition(_("Only a redemption request can be reviewed."))
    voucher.reviewed_at = utcnow()
    if decision == "reject":
        _move(voucher, user, "review", "confirmed", reason_code=reason_code, note=text)
    else:
        voucher.publication_ends_at = voucher.reviewed_at + timedelta(days=scheme.publication_days)
        _move(voucher, user, "review", "publicised", note=text, amount=voucher.redeemed_amount)
        if scheme.publication_days == 0:
            _finish(voucher, scheme, user)
    _notify(voucher, admins=False)
    db.session.commit()
    return voucher


def _finish(voucher: Voucher, scheme: VoucherScheme, actor: User) -> None:
    """Publicised → redeemed: the commitment becomes a redemption (never larger)."""
    assert voucher.approved_amount is not None and voucher.redeemed_amount is not None
    scheme.committed = scheme.committed - voucher.approved_amount
    scheme.redeemed = scheme.redeemed + voucher.redeemed_amount
    voucher.redeemed_at = voucher.closed_at = utcnow()
    _move(
        voucher,
        actor,
        "redeemed",
        "redeemed",
        amount=voucher.redeemed_amount,
        note=_("Publication period ended without objection.") if actor is None else "",
    )


def _release(voucher: Voucher, scheme: VoucherScheme) -> None:
    if voucher.status in COMMITTED_STATUSES and voucher.approved_amount is not None:
        scheme.committed = scheme.committed - voucher.approved_amount


def revoke_voucher(actor: User, voucher_id: int, reason: str) -> Voucher:
    """An admin withdraws a voucher (e.g. an objection during publication); the committed
    amount returns to the budget."""
    user = require_role(actor, "admin")
    text = _text(reason, "reason")
    if not text:
        raise ValidationError(fields={"reason": _("Give a reason.")})
    voucher = db.session.get(Voucher, voucher_id)
    if voucher is None:
        raise NotFound()
    scheme = get_scheme(voucher.scheme_id, for_update=True)
    voucher = _locked(voucher_id)
    if not permissions.can_revoke(user, voucher):
        raise InvalidTransition(_("This voucher can no longer be revoked."))
    _release(voucher, scheme)
    voucher.closed_at = utcnow()
    _move(voucher, user, "revoke", "revoked", reason_code="admin", note=text)
    _notify(
        voucher,
        org_ids=[voucher.org_id, *([voucher.provider_org_id] if voucher.provider_org_id else [])],
    )
    db.session.commit()
    return voucher
