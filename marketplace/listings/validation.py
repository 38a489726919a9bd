"""Clean raw listing values from a form, the API or an import row into column values.

One cleaner serves every entry point, so the web form, the JSON API and bulk import accept and
refuse exactly the same input with the same per-field messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _

from marketplace.money import MoneyError, parse_money
from marketplace.vocab import FIELDS, IP_TYPES, MODES, is_region

TITLE_MAX = 200
BODY_MAX = 20_000
KEYWORD_MAX = 30
KEYWORDS_MAX = 20
PATENTS_MAX = 30
EARLIEST_DATE = date(1980, 1, 1)
LATEST_DATE = date(2100, 12, 31)


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET: Any = _Unset()


@dataclass(frozen=True)
class ListingInput:
    """Raw values for a listing; a field left ``UNSET`` is not changed (PATCH semantics).

    ``body`` is the achievement's summary or the demand's description.
    """

    title: Any = UNSET
    body: Any = UNSET
    keywords: Any = UNSET
    field: Any = UNSET
    maturity: Any = UNSET
    ip_type: Any = UNSET
    patent_numbers: Any = UNSET
    modes: Any = UNSET
    region: Any = UNSET
    contact_name: Any = UNSET
    contact_phone: Any = UNSET
    contact_email: Any = UNSET
    price: Any = UNSET
    budget_min: Any = UNSET
    budget_max: Any = UNSET
    deadline: Any = UNSET
    is_challenge: Any = UNSET
    bounty: Any = UNSET
    applications_open_on: Any = UNSET
    applications_close_on: Any = UNSET
    posted_on: Any = UNSET

    def given(self) -> dict[str, Any]:
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if getattr(self, f.name) is not UNSET
        }

    @classmethod
    def from_mapping(cls, data: dict[str, Any], kind: str) -> ListingInput:
        """Build from SPEC field names (``summary``/``description`` become ``body``)."""
        values = dict(data)
        for alias in ("summary", "description"):
            if alias in values:
                values["body"] = values.pop(alias)
        names = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in values.items() if key in names})


ACHIEVEMENT_ONLY = ("maturity", "ip_type", "patent_numbers", "price")
DEMAND_ONLY = (
    "budget_min",
    "budget_max",
    "deadline",
    "is_challenge",
    "bounty",
    "applications_open_on",
    "applications_close_on",
)

# Markup that would run or load something if a page ever rendered it unescaped. Plain tags
# such as <sub>/<sup> occur in real scientific text and are kept (and escaped on display).
_DANGEROUS_MARKUP = re.compile(
    r"<\s*/?\s*(script|iframe|object|embed|style|svg|img|link|meta|form|input|base|frame|"
    r"frameset|applet|math|video|audio|source)\b|<[^>]*\bon[a-z]+\s*=|javascript\s*:|"
    r"vbscript\s*:|data\s*:\s*text/html",
    re.IGNORECASE,
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPLIT = re.compile(r"[,，;；、\n\r\t]+")
_PATENT = re.compile(r"^(ZL|CN)?\d{7,13}(\.[0-9X])?[A-Z]?\d?$")
_PHONE = re.compile(r"^[0-9+\-() ]{5,40}$")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


def _body_key(kind: str) -> str:
    return "summary" if kind == "achievement" else "description"


def clean_text(
    value: Any, *, label_max: int, required: bool = False, single_line: bool = False
) -> str:
    """Strip, refuse control characters and active markup, enforce the length; raise ValueError."""
    if value is None:
        value = ""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError(_("Enter text."))
    text = value.replace("\r\n", "\n").strip()
    if single_line:
        text = re.sub(r"\s+", " ", text)
    if _CONTROL.search(text):
        raise ValueError(_("The text contains invisible control characters; remove them."))
    if _DANGEROUS_MARKUP.search(text):
        raise ValueError(_("Scripts and HTML such as <script> are not allowed; write plain text."))
    if required and not text:
        raise ValueError(_("This field is required."))
    if len(text) > label_max:
        raise ValueError(
            _("At most %(max)d characters (this has %(count)d).", max=label_max, count=len(text))
        )
    return text


def _split_list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [part.strip() for part in _SPLIT.split(value) if part.strip()]
    if isinstance(value, list | tuple):
        items: list[str] = []
        for item in value:
            if not isinstance(item, str):
                raise ValueError(_("Enter a list of words."))
            items.append(item.strip())
        return [item for item in items if item]
    raise ValueError(_("Enter a list of words."))


def clean_keywords(value: Any) -> list[str]:
    result: list[str] = []
    for word in _split_list(value):
        word = clean_text(word, label_max=KEYWORD_MAX, single_line=True)
        if word and word not in result:
            result.append(word)
    if len(result) > KEYWORDS_MAX:
        raise ValueError(_("At most %(max)d keywords.", max=KEYWORDS_MAX))
    return result


def clean_modes(value: Any) -> list[str]:
    result: list[str] = []
    for code in _split_list(value):
        if code not in MODES:
            raise ValueError(_("Unknown cooperation mode %(code)s.", code=code[:40]))
        if code not in result:
            result.append(code)
    return result


def clean_patents(value: Any) -> list[str]:
    result: list[str] = []
    for raw in _split_list(value):
        number = re.sub(r"\s+", "", raw).upper()
        if not _PATENT.match(number):
            raise ValueError(
                _("%(number)s is not a patent number such as ZL201720001285.X.", number=raw[:40])
            )
        if number not in result:
            result.append(number)
    if len(result) > PATENTS_MAX:
        raise ValueError(_("At most %(max)d patent numbers.", max=PATENTS_MAX))
    return result


def clean_code(value: Any, vocabulary: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or value not in vocabulary:
        raise ValueError(
            _("Unknown value %(value)s; choose one from the list.", value=str(value)[:40])
        )
    return value


def clean_maturity(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(_("Choose a maturity level from 1 to 9."))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or not 1 <= value <= 9:
        raise ValueError(_("Choose a maturity level from 1 to 9."))
    return value


def clean_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in (None, "", 0, "0", "false", "False", "no", "off"):
        return False
    if value in (1, "1", "true", "True", "yes", "on", "y"):
        return True
    raise ValueError(_("Enter yes or no."))


def clean_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        value = value.date()
    elif isinstance(value, str):
        text = (
            value.strip()[:10]
            if re.match(r"^\d{4}-\d{2}-\d{2}([T ].*)?$", value.strip())
            else value.strip()
        )
        try:
            value = date.fromisoformat(text)
        except ValueError:
            raise ValueError(_("Enter a real date as YYYY-MM-DD.")) from None
    if not isinstance(value, date):
        raise ValueError(_("Enter a real date as YYYY-MM-DD."))
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValueError(
            _(
                "Enter a date between %(start)s and %(end)s.",
                start=EARLIEST_DATE.isoformat(),
                end=LATEST_DATE.isoformat(),
            )
        )
    return value


def clean_money(value: Any, *, allow_zero: bool = True) -> Decimal | None:
    try:
        return parse_money(value, allow_zero=allow_zero)
    except MoneyError as error:
        raise ValueError(str(error)) from None


def clean_listing(
    kind: str,
    given: dict[str, Any],
    *,
    current: dict[str, Any] | None = None,
    today: date | None = None,
    check_deadline: bool = True,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Return ``(values, errors)``: column values for the given fields and per-field messages.

    ``current`` holds the listing's present column values so cross-field rules (budget range,
    application window) see the result of a partial update. Errors are keyed by SPEC field name.
    """
    today = today or date.today()
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    body_key = _body_key(kind)

    def run(name: str, func: Any, *args: Any, key: str | None = None, **kwargs: Any) -> None:
        if name not in given:
            return
        try:
            values[name] = func(given[name], *args, **kwargs)
        except ValueError as error:
            errors[key or name] = str(error)

    run("title", clean_text, label_max=TITLE_MAX, required=True, single_line=True)
    run("body", clean_text, label_max=BODY_MAX, key=body_key)
    run("keywords", clean_keywords)
    run("field", clean_code, FIELDS)
    run("modes", clean_modes)
    run("region", lambda v: _clean_region(v))
    run("contact_name", lambda v: clean_text(v, label_max=100, single_line=True) or None)
    run("contact_phone", lambda v: _clean_phone(v))
    run("contact_email", lambda v: _clean_email(v))
    run("posted_on", clean_date)
    if kind == "achievement":
        run("maturity", clean_maturity)
        run("ip_type", clean_code, IP_TYPES)
        run("patent_numbers", clean_patents)
        run("price", clean_money, allow_zero=False)
    else:
        run("budget_min", clean_money)
        run("budget_max", clean_money)
        run("deadline", clean_date)
        run("is_challenge", clean_bool)
        run("bounty", clean_money, allow_zero=False)
        run("applications_open_on", clean_date)
        run("applications_close_on", clean_date)

    if values.get("posted_on") and values["posted_on"] > today:
        errors["posted_on"] = _("The posting date cannot be in the future.")

    merged = dict(current or {})
    merged.update(values)
    if kind == "demand":
        _check_demand(merged, values, errors, today=today, check_deadline=check_deadline)
    return values, errors


def _check_demand(
    merged: dict[str, Any],
    values: dict[str, Any],
    errors: dict[str, str],
    *,
    today: date,
    check_deadline: bool,
) -> None:
    low, high = merged.get("budget_min"), merged.get("budget_max")
    if (
        low is not None
        and high is not None
        and low > high
        and "budget_min" not in errors
        and "budget_max" not in errors
    ):
        errors["budget_max"] = _("The maximum budget must not be less than the minimum.")
    if (
        check_deadline
        and values.get("deadline")
        and values["deadline"] < today
        and "deadline" not in errors
    ):
        errors["deadline"] = _("The deadline has already passed.")
    if not merged.get("is_challenge"):
        return
    if merged.get("bounty") is None and "bounty" not in errors:
        errors["bounty"] = _("A challenge needs a bounty.")
    opens, closes = merged.get("applications_open_on"), merged.get("applications_close_on")
    if closes is None and "applications_close_on" not in errors:
        errors["applications_close_on"] = _("A challenge needs a closing date for applications.")
    if opens and closes and opens > closes and "applications_close_on" not in errors:
        errors["applications_close_on"] = _("Applications cannot close before they open.")
    if (
        check_deadline
        and "applications_close_on" in values
        and closes
        and closes < today
        and "applications_close_on" not in errors
    ):
        errors["applications_close_on"] = _("The closing date has already passed.")
    deadline = merged.get("deadline")
    if deadline and closes and closes > deadline and "applications_close_on" not in errors:
        errors["applications_close_on"] = _("Applications must close by the demand's deadline.")


def _clean_region(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str) or not is_region(value.strip()):
        raise ValueError(_("Unknown region code; choose a region from the list."))
    return value.strip()


def _clean_phone(value: Any) -> str | None:
    text = clean_text(value, label_max=40, single_line=True)
    if text and not _PHONE.match(text):
        raise ValueError(_("Enter a phone number of digits, spaces, + and -."))
    return text or None


def _clean_email(value: Any) -> str | None:
    text = clean_text(value, label_max=254, single_line=True)
    if text and not _EMAIL.match(text):
        raise ValueError(_("Enter an e-mail address such as name@example.cn."))
    return text.lower() or None
