"""Writing the voucher audit trail (who, when, from which status to which, why)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.vouchers.models import VoucherEvent


def record(
    subject: str,
    subject_id: int,
    actor: User | None,
    action: str,
    *,
    before: str | None = None,
    after: str | None = None,
    reason_code: str | None = None,
    note: str = "",
    amount: Decimal | None = None,
    details: Any = None,
) -> None:
    """Add one audit row in the caller's transaction; ``actor`` None means a scheduled job."""
    db.session.add(
        VoucherEvent(
            subject=subject,
            subject_id=subject_id,
            actor_id=getattr(actor, "id", None),
            action=action,
            from_status=before,
            to_status=after,
            reason_code=reason_code,
            note=note,
            amount=amount,
            details=details,
        )
    )


def events_of(subject: str, subject_id: int) -> list[VoucherEvent]:
    return list(
        db.session.execute(
            sa.select(VoucherEvent)
            .where(VoucherEvent.subject == subject, VoucherEvent.subject_id == subject_id)
            .order_by(VoucherEvent.id)
        ).scalars()
    )
