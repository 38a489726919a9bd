"""Scheduled voucher transitions: expiry, revocation when overdue, end of publication."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.notifications.services import notify
from marketplace.vouchers.audit import record
from marketplace.vouchers.models import Voucher, VoucherScheme
from marketplace.vouchers.schemes import get_scheme
from marketplace.workdays import LOCAL_TZ


def _close(
    voucher_id: int,
    status_from: tuple[str, ...],
    status_to: str,
    action: str,
    reason_code: str,
    note: str,
    now: datetime,
) -> bool:
    """Move one voucher in its own short transaction, under the scheme's lock."""
    voucher = db.session.get(Voucher, voucher_id)
    if voucher is None:
        return False
    scheme = get_scheme(voucher.scheme_id, for_update=True)
    voucher = db.session.execute(
        sa.select(Voucher)
        .where(Voucher.id == voucher_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    if voucher.status not in status_from:  # someone moved it meanwhile
        db.session.rollback()
        return False
    before = voucher.status
    if status_to == "redeemed":
        assert voucher.approved_amount is not None and voucher.redeemed_amount is not None
        scheme.committed = scheme.committed - voucher.approved_amount
        scheme.redeemed = scheme.redeemed + voucher.redeemed_amount
        voucher.redeemed_at = now
    elif voucher.approved_amount is not None:
        scheme.committed = scheme.committed - voucher.approved_amount
    voucher.status, voucher.closed_at = status_to, now
    record(
        "voucher",
        voucher.id,
        None,
        action,
        before=before,
        after=status_to,
        reason_code=reason_code,
        note=note,
        amount=voucher.redeemed_amount if status_to == "redeemed" else voucher.approved_amount,
    )
    notify(
        kind="voucher_status",
        org_ids=[voucher.org_id],
        params={"id": voucher.id, "status": status_to},
        link=f"/vouchers/{voucher.id}",
    )
    db.session.commit()
    return True


def _due(condition: sa.ColumnElement[bool], statuses: tuple[str, ...]) -> list[int]:
    return list(
        db.session.execute(
            sa.select(Voucher.id)
            .join(VoucherScheme, VoucherScheme.id == Voucher.scheme_id)
            .where(Voucher.status.in_(statuses), condition)
            .order_by(Voucher.id)
        ).scalars()
    )


def expire_vouchers(now: datetime | None = None) -> int:
    """Approved vouchers never used by the scheme's use-by date expire; the amount returns."""
    now = now or utcnow()
    today = now.astimezone(LOCAL_TZ).date()
    ids = _due(VoucherScheme.use_by < today, ("approved",))
    db.session.rollback()
    return sum(
        _close(
            i,
            ("approved",),
            "expired",
            "expire",
            "use_by_passed",
            _("Not used by the use-by date."),
            now,
        )
        for i in ids
    )


def revoke_overdue(now: datetime | None = None) -> int:
    """Vouchers used but not handed in for redemption by the redeem-by date are revoked."""
    now = now or utcnow()
    today = now.astimezone(LOCAL_TZ).date()
    statuses = ("ordered", "confirmed")
    ids = _due(VoucherScheme.redeem_by < today, statuses)
    db.session.rollback()
    return sum(
        _close(
            i,
            statuses,
            "revoked",
            "revoke",
            "redeem_by_passed",
            _("Not redeemed by the redeem-by date."),
            now,
        )
        for i in ids
    )


def finish_publications(now: datetime | None = None) -> int:
    """Vouchers whose publication period (公示) ended are redeemed."""
    now = now or utcnow()
    ids = list(
        db.session.execute(
            sa.select(Voucher.id)
            .where(Voucher.status == "publicised", Voucher.publication_ends_at <= now)
            .order_by(Voucher.id)
        ).scalars()
    )
    db.session.rollback()
    return sum(
        _close(
            i,
            ("publicised",),
            "redeemed",
            "redeemed",
            "publication_ended",
            _("Publication period ended without objection."),
            now,
        )
        for i in ids
    )


def run_voucher_jobs(now: datetime | None = None) -> dict[str, int]:
    """All three, in the order that keeps the budget right."""
    return {
        "redeemed": finish_publications(now),
        "expired": expire_vouchers(now),
        "revoked": revoke_overdue(now),
    }
