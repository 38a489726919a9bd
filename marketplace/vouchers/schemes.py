"""Admin use cases: configure voucher schemes, approve providers, record declared ties."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import Organisation, User
from marketplace.accounts.permissions import require_role
from marketplace.database import is_db_id, utcnow
from marketplace.errors import Conflict, InvalidTransition, NotFound, ValidationError
from marketplace.extensions import db
from marketplace.money import MoneyError, parse_money
from marketplace.vocab import ORG_KINDS, is_region
from marketplace.vouchers.audit import record
from marketplace.vouchers.models import VoucherProvider, VoucherScheme, VoucherTie
from marketplace.vouchers.vocab import PAYEE_MODES, SERVICE_TYPES
from marketplace.workdays import LOCAL_TZ


@dataclass(frozen=True)
class SchemeData:
    """A scheme as an admin enters it; amounts as ``Decimal`` (or text, re-checked here)."""

    name: str = ""
    year: int | None = None
    budget: Any = None
    eligible_kinds: tuple[str, ...] = ("enterprise",)
    eligible_regions: tuple[str, ...] = ()
    excluded_org_ids: tuple[int, ...] = ()
    services: tuple[str, ...] = ()
    ratio_percent: int | None = None
    cap_per_application: Any = None
    cap_per_enterprise_year: Any = None
    full_offset_below: Any = None
    payee_mode: str = "provider"
    opens_on: date | None = None
    use_by: date | None = None
    redeem_by: date | None = None
    publication_days: int = 5


def local_today() -> date:
    return utcnow().astimezone(LOCAL_TZ).date()


def _amount(
    value: Any, name: str, errors: dict[str, str], *, required: bool = True
) -> Decimal | None:
    try:
        amount = parse_money(value, allow_zero=not required)
    except MoneyError as error:
        errors[name] = str(error)
        return None
    if amount is None and required:
        errors[name] = _("Enter an amount in yuan.")
    return amount


def _check_dates(data: SchemeData, today: date, errors: dict[str, str]) -> None:
    """Opening, use-by and redeem-by dates in order, and the publication period."""
    if data.opens_on is None:
        errors["opens_on"] = _("Enter the date the scheme opens.")
    if data.use_by is None:
        errors["use_by"] = _("Enter the use-by date.")
    elif data.use_by < today:
        errors["use_by"] = _("The use-by date cannot be in the past.")
    elif data.opens_on is not None and data.use_by < data.opens_on:
        errors["use_by"] = _("The use-by date cannot be before the scheme opens.")
    if data.redeem_by is None:
        errors["redeem_by"] = _("Enter the redeem-by date.")
    elif data.use_by is not None and data.redeem_by < data.use_by:
        errors["redeem_by"] = _("The redeem-by date cannot be before the use-by date.")
    if not 0 <= data.publication_days <= 60:
        errors["publication_days"] = _("Enter 0–60 days of publication.")


def _clean(data: SchemeData) -> dict[str, Any]:
    errors: dict[str, str] = {}
    name = data.name.strip()
    if not name:
        errors["name"] = _("Enter the scheme's name.")
    elif len(name) > 200:
        errors["name"] = _("Use at most 200 characters.")
    today = local_today()
    if data.year is None or not today.year - 1 <= data.year <= today.year + 5:
        errors["year"] = _(
            "Enter a year between %(a)d and %(b)d.", a=today.year - 1, b=today.year + 5
        )
    budget = _amount(data.budget, "budget", errors)
    cap_app = _amount(data.cap_per_application, "cap_per_application", errors)
    cap_year = _amount(data.cap_per_enterprise_year, "cap_per_enterprise_year", errors)
    threshold = _amount(data.full_offset_below, "full_offset_below", errors, required=False)
    if cap_app is not None and cap_year is not None and cap_year < cap_app:
        errors["cap_per_enterprise_year"] = _(
            "The yearly cap cannot be below the cap per application."
        )
    if cap_app is not None and budget is not None and cap_app > budget:
        errors["cap_per_application"] = _("The cap per application cannot exceed the budget.")
    if data.ratio_percent is None or not 1 <= data.ratio_percent <= 100:
        errors["ratio_percent"] = _("Enter the share of the cost a voucher pays, 1–100 %.")
    kinds = tuple(dict.fromkeys(data.eligible_kinds))
    if not kinds or any(kind not in ORG_KINDS for kind in kinds):
        errors["eligible_kinds"] = _("Choose the kinds of organisation that may apply.")
    regions = tuple(dict.fromkeys(code.strip() for code in data.eligible_regions if code.strip()))
    if any(not is_region(code) for code in regions):
        errors["eligible_regions"] = _("Use GB/T 2260 region codes, such as 330300.")
    services = tuple(dict.fromkeys(data.services))
    if not services or any(code not in SERVICE_TYPES for code in services):
        errors["services"] = _("Choose the services vouchers may pay for.")
    excluded = tuple(dict.fromkeys(data.excluded_org_ids))
    if any(not is_db_id(org_id) for org_id in excluded):
        errors["excluded_org_ids"] = _("There is no such organisation.")
    elif excluded:
        found = set(
            db.session.execute(
                sa.select(Organisation.id).where(Organisation.id.in_(excluded))
            ).scalars()
        )
        if found != set(excluded):
            errors["excluded_org_ids"] = _("There is no such organisation.")
    if data.payee_mode not in PAYEE_MODES:
        errors["payee_mode"] = _("Choose who is paid.")
    _check_dates(data, today, errors)
    if errors:
        raise ValidationError(fields=errors)
    return {
        "name": name,
        "year": data.year,
        "budget": budget,
        "eligible_kinds": list(kinds),
        "eligible_regions": list(regions),
        "excluded_org_ids": list(excluded),
        "services": list(services),
        "ratio_percent": data.ratio_percent,
        "cap_per_application": cap_app,
        "cap_per_enterprise_year": cap_year,
        "full_offset_below": threshold,
        "payee_mode": data.payee_mode,
        "opens_on": data.opens_on,
        "use_by": data.use_by,
        "redeem_by": data.redeem_by,
        "publication_days": data.publication_days,
    }


def scheme_data(scheme: VoucherScheme) -> SchemeData:
    """A scheme's current values as input (the base a partial update is merged onto)."""
    return SchemeData(
        **{
            f.name: getattr(scheme, f.name)
            for f in dataclasses.fields(SchemeData)
            if f.name not in ("eligible_kinds", "eligible_regions", "excluded_org_ids", "services")
        },
        eligible_kinds=tuple(scheme.eligible_kinds),
        eligible_regions=tuple(scheme.eligible_regions),
        excluded_org_ids=tuple(scheme.excluded_org_ids),
        services=tuple(scheme.services),
    )


def create_scheme(actor: User, data: SchemeData, *, open_now: bool = False) -> VoucherScheme:
    """Configure a scheme (admin); a draft until opened."""
    user = require_role(actor, "admin")
    scheme = VoucherScheme(created_by_id=user.id, status="draft", **_clean(data))
    db.session.add(scheme)
    db.session.flush()
    record("scheme", scheme.id, user, "create", after="draft", amount=scheme.budget)
    if open_now:
        _set_status(scheme, user, "open")
    db.session.commit()
    return scheme


def get_scheme(scheme_id: int, *, for_update: bool = False) -> VoucherScheme:
    if not is_db_id(scheme_id):
        raise NotFound()
    query = sa.select(VoucherScheme).where(VoucherScheme.id == scheme_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    scheme = db.session.execute(query).scalar_one_or_none()
    if scheme is None:
        raise NotFound()
    return scheme


def update_scheme(actor: User, scheme_id: int, data: SchemeData) -> VoucherScheme:
    """Change a scheme; the budget may not drop below what is already committed and redeemed."""
    user = require_role(actor, "admin")
    scheme = get_scheme(scheme_id, for_update=True)
    if scheme.status == "closed":
        raise InvalidTransition(_("A closed scheme cannot be changed."))
    values = _clean(data)
    if values["budget"] < scheme.committed + scheme.redeemed:
        raise ValidationError(
            fields={
                "budget": _(
                    "The budget cannot be less than the %(amount)s already committed and redeemed.",
                    amount=str(scheme.committed + scheme.redeemed),
                )
            }
        )
    changed = {key: value for key, value in values.items() if getattr(scheme, key) != value}
    for key, value in changed.items():
        setattr(scheme, key, value)
    record(
        "scheme",
        scheme.id,
        user,
        "edit",
        before=scheme.status,
        after=scheme.status,
        details=sorted(changed),
    )
    db.session.commit()
    return scheme


def _set_status(scheme: VoucherScheme, user: User, status: str, note: str = "") -> None:
    before = scheme.status
    scheme.status = status
    record(
        "scheme",
        scheme.id,
        user,
        {"open": "open", "closed": "close"}[status],
        before=before,
        after=status,
        note=note,
    )


def open_scheme(actor: User, scheme_id: int) -> VoucherScheme:
    user = require_role(actor, "admin")
    scheme = get_scheme(scheme_id, for_update=True)
    if scheme.status != "draft":
        raise InvalidTransition(_("Only a draft scheme can be opened."))
    if scheme.use_by < local_today():
        raise ValidationError(fields={"use_by": _("The use-by date has passed.")})
    _set_status(scheme, user, "open")
    db.session.commit()
    return scheme


def close_scheme(actor: User, scheme_id: int, note: str = "") -> VoucherScheme:
    """Stop new applications; vouchers already approved run their course."""
    user = require_role(actor, "admin")
    scheme = get_scheme(scheme_id, for_update=True)
    if scheme.status != "open":
        raise InvalidTransition(_("Only an open scheme can be closed."))
    _set_status(scheme, user, "closed", note.strip()[:2000])
    db.session.commit()
    return scheme


# -- providers and ties -------------------------------------------------------------------


def approve_provider(
    actor: User, org_id: int, services: tuple[str, ...], note: str = ""
) -> VoucherProvider:
    """Admit an organisation to accept vouchers for ``services`` (or re-admit a suspended one)."""
    user = require_role(actor, "admin")
    errors: dict[str, str] = {}
    org = db.session.get(Organisation, org_id) if is_db_id(org_id) else None
    if org is None:
        errors["org_id"] = _("There is no such organisation.")
    elif org.kind == "government":
        errors["org_id"] = _("Government bodies cannot be voucher providers.")
    codes = tuple(dict.fromkeys(services))
    if not codes or any(code not in SERVICE_TYPES for code in codes):
        errors["services"] = _("Choose the services this provider offers.")
    if errors:
        raise ValidationError(fields=errors)
    provider = db.session.execute(
        sa.select(VoucherProvider).where(VoucherProvider.org_id == org_id)
    ).scalar_one_or_none()
    before = provider.status if provider else None
    if provider is None:
        provider = VoucherProvider(org_id=org_id)
        db.session.add(provider)
    provider.services, provider.status, provider.note = list(codes), "approved", note.strip()
    provider.approved_by_id, provider.approved_at = user.id, utcnow()
    db.session.flush()
    record(
        "provider",
        provider.id,
        user,
        "approve",
        before=before,
        after="approved",
        note=provider.note,
        details=list(codes),
    )
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise Conflict(_("This organisation was just approved by someone else.")) from error
    return provider


def suspend_provider(actor: User, provider_id: int, reason: str) -> VoucherProvider:
    user = require_role(actor, "admin")
    provider = db.session.get(VoucherProvider, provider_id) if is_db_id(provider_id) else None
    if provider is None:
        raise NotFound()
    text = reason.strip()
    if not text:
        raise ValidationError(fields={"reason": _("Give a reason.")})
    if provider.status != "approved":
        raise InvalidTransition(_("Only an approved provider can be suspended."))
    provider.status = "suspended"
    record(
        "provider",
        provider.id,
        user,
        "suspend",
        before="approved",
        after="suspended",
        note=text[:2000],
    )
    db.session.commit()
    return provider


def approved_provider(org_id: int, service_type: str | None = None) -> VoucherProvider | None:
    if not is_db_id(org_id):
        return None
    provider = db.session.execute(
        sa.select(VoucherProvider).where(
            VoucherProvider.org_id == org_id, VoucherProvider.status == "approved"
        )
    ).scalar_one_or_none()
    if provider is None or (service_type is not None and service_type not in provider.services):
        return None
    return provider


def declare_tie(actor: User, org_a: int, org_b: int, note: str = "") -> VoucherTie:
    """Record that two organisations are related (admins; enterprises declare their own ties)."""
    user = require_role(actor, "admin", "enterprise", "researcher")
    if user.role != "admin" and user.org_id not in (org_a, org_b):
        raise ValidationError(fields={"org_id": _("Declare ties of your own organisation.")})
    if org_a == org_b or any(
        not is_db_id(o) or db.session.get(Organisation, o) is None for o in (org_a, org_b)
    ):
        raise ValidationError(fields={"org_id": _("Choose another existing organisation.")})
    low, high = sorted((org_a, org_b))
    existing = db.session.execute(
        sa.select(VoucherTie).where(VoucherTie.org_a_id == low, VoucherTie.org_b_id == high)
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    tie = VoucherTie(org_a_id=low, org_b_id=high, note=note.strip()[:2000], declared_by_id=user.id)
    db.session.add(tie)
    db.session.flush()
    record("tie", tie.id, user, "declare", note=tie.note, details=[low, high])
    db.session.commit()
    return tie


def related(org_a: int, org_b: int) -> bool:
    """Same organisation, or a declared tie between the two."""
    if org_a == org_b:
        return True
    low, high = sorted((org_a, org_b))
    return (
        db.session.execute(
            sa.select(VoucherTie.id).where(VoucherTie.org_a_id == low, VoucherTie.org_b_id == high)
        ).first()
        is not None
    )
