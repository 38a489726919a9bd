"""Working days in China (public holidays and make-up working days), for every rule that counts
them: the 挂牌 announcement period and the registrar's target.

The ``holidays`` package carries the State Council's yearly holiday arrangement, including the
weekend days that become working days (调休); its 2026 table matches chinese-calendar's exactly.
Years it has no official table for are computed from the statutory rules, so keep the package
current (it releases monthly).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays

# The platform's working days and office hours are Beijing time's.
LOCAL_TZ = ZoneInfo("Asia/Shanghai")


@cache
def _calendar(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("CN", years=year)


def is_working_day(day: date) -> bool:
    """A weekday that is not a public holiday, or a weekend day made a working day."""
    return bool(_calendar(day.year).is_working_day(day))


def add_working_days(start: date, count: int) -> date:
    """The ``count``-th working day after ``start`` (``start`` itself not counted)."""
    day = start
    remaining = count
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 if ``end`` <= ``start``)."""
    return sum(
        1
        for offset in range(1, (end - start).days + 1)
        if is_working_day(start + timedelta(offset))
    )
