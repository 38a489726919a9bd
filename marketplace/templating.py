"""Template globals and filters: vocab labels, money in 万元, dates, pagination, unread count."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Flask, request, url_for
from flask_babel import format_datetime, get_locale, gettext
from flask_login import current_user

from marketplace import vocab
from marketplace.accounts.devices import describe_user_agent
from marketplace.money import (
    format_headline,
    format_stats_number,
    format_wan,
    format_yuan,
    stats_unit,
)
from marketplace.notifications.services import unread_count
from marketplace.workdays import LOCAL_TZ


def _local_datetime(value: datetime | None, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    if value is None:
        return ""
    return format_datetime(value.astimezone(LOCAL_TZ), fmt)


def _date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    return value.strftime("%Y-%m-%d")


def url_with(**changes: Any) -> str:
    """The current URL with some query arguments replaced (for filters and pagination)."""
    args = request.args.to_dict(flat=False)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = [str(value)]
    values: dict[str, Any] = {**(request.view_args or {}), **args}
    return url_for(request.endpoint or "main.index", **values)


def init_templating(app: Flask) -> None:
    app.jinja_env.globals.update(
        vocab=vocab,
        url_with=url_with,
        region_name=vocab.region_name,
        maturity_label=vocab.maturity_label,
        stats_unit=stats_unit,
        describe_user_agent=describe_user_agent,
    )
    app.jinja_env.filters.update(
        wan=format_wan,
        yuan=format_yuan,
        headline=format_headline,
        stats_amount=format_stats_number,
        localtime=_local_datetime,
        isodate=_date,
    )

    @app.context_processor
    def inject_user_context() -> dict[str, Any]:
        unread = 0
        if current_user and current_user.is_authenticated:
            unread = unread_count(current_user)
        locale = get_locale()
        current = "en" if locale is not None and locale.language == "en" else "zh_CN"
        return {"unread_notifications": unread, "current_locale": current}

    @app.template_filter("colon")
    def _colon(label: Any) -> str:
        # "经纪人：" in Chinese, "Broker:" in English: the colon is part of the language.
        return gettext("%(label)s:", label=label)

    @app.template_filter("decimal")
    def _decimal(value: Decimal | None) -> str:
        return "" if value is None else f"{value:,.2f}"
