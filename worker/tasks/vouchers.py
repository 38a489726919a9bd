"""Voucher jobs: end of publication (→ redeemed), expiry of unused vouchers, overdue revocation."""

from __future__ import annotations

from celery import shared_task

from marketplace.vouchers.jobs import run_voucher_jobs


@shared_task(ignore_result=True, acks_late=True)
def voucher_transitions() -> dict[str, int]:
    """Apply every due transition; idempotent (each voucher moves under its scheme's lock and
    only from the status the job expects)."""
    return run_voucher_jobs()
