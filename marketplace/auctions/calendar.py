"""The 挂牌 announcement period, counted in working days (marketplace.workdays)."""

from __future__ import annotations

from datetime import datetime, time

from marketplace.workdays import LOCAL_TZ, add_working_days


def listing_period_end(announced_at: datetime, working_days: int) -> datetime:
    """End of a 挂牌 period: the close of business (17:00 Beijing time) of the last working day."""
    local_day = announced_at.astimezone(LOCAL_TZ).date()
    last = add_working_days(local_day, working_days)
    return datetime.combine(last, time(17, 0), tzinfo=LOCAL_TZ)
