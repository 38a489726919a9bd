"""Read side of vouchers: visible schemes and vouchers, audit trails, form choices."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.accounts.models import Organisation, User
from marketplace.accounts.permissions import require_user
from marketplace.errors import NotFound
from marketplace.extensions import db
from marketplace.vouchers import permissions
from marketplace.vouchers.audit import events_of
from marketplace.vouchers.models import Voucher, VoucherEvent, VoucherProvider, VoucherScheme


def schemes_query(user: User) -> sa.Select:
    query = sa.select(VoucherScheme).order_by(VoucherScheme.year.desc(), VoucherScheme.id.desc())
    if not permissions.is_admin(user):
        query = query.where(VoucherScheme.status != "draft")
    return query


def get_scheme_for(user: User, scheme_id: int) -> VoucherScheme:
    scheme = db.session.get(VoucherScheme, scheme_id)
    if scheme is None or (scheme.status == "draft" and not permissions.is_admin(user)):
        raise NotFound()
    return scheme


def open_schemes() -> list[VoucherScheme]:
    return list(
        db.session.execute(
            sa.select(VoucherScheme)
            .where(VoucherScheme.status == "open")
            .order_by(VoucherScheme.id)
        ).scalars()
    )


def visible_vouchers(
    actor: User, *, status: str | None = None, scheme_id: int | None = None, side: str | None = None
) -> sa.Select:
    """Admins see all; others their organisation's vouchers (``side='enterprise'``), those
    naming it as provider (``side='provider'``), or both."""
    user = require_user(actor)
    query = sa.select(Voucher)
    if user.role != "admin":
        mine = Voucher.org_id == user.org_id
        providing = Voucher.provider_org_id == user.org_id
        query = query.where(
            mine
            if side == "enterprise"
            else providing
            if side == "provider"
            else sa.or_(mine, providing)
        )
    if status:
        query = query.where(Voucher.status == status)
    if scheme_id:
        query = query.where(Voucher.scheme_id == scheme_id)
    return query.order_by(Voucher.id.desc())


def voucher_events(voucher_id: int) -> list[VoucherEvent]:
    return events_of("voucher", voucher_id)


def providers() -> list[VoucherProvider]:
    return list(
        db.session.execute(
            sa.select(VoucherProvider).join(VoucherProvider.org).order_by(Organisation.name)
        ).scalars()
    )


def provider_choices(service_type: str | None = None) -> list[tuple[int, str]]:
    return [
        (p.org_id, p.org.name)
        for p in providers()
        if p.status == "approved" and (service_type is None or service_type in p.services)
    ]
