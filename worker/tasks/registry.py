"""Registration-office jobs: the monthly bulletin (简报) on the first of each month."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from celery import shared_task

from marketplace.registry.bulletin import previous_month, produce_bulletin

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


@shared_task(ignore_result=True, acks_late=True)
def produce_monthly_bulletin(year: int | None = None, month: int | None = None) -> int:
    """Produce the bulletin of the month before today (local time), or of ``year``-``month``.

    Idempotent: producing the same month again replaces it with the current figures.
    """
    if year is None or month is None:
        year, month = previous_month(datetime.now(LOCAL_TZ).date())
    return produce_bulletin(year, month).id
